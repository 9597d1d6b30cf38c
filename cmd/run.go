package cmd

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/afero"
	"github.com/spf13/cobra"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keyscmd"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/runner"
	"github.com/geojobs/geojobs/backend/server"
)

// ClientName is the name of the EOAP tutorial's client. The run command answers to it
// as an alias, and the geojobs binary behaves as `geojobs run` when invoked under it
// (a symlink in the container image).
const ClientName = "ogc-api-processes-client"

// runAliases are the single-dash long options of the EOAP client, which pflag cannot
// declare (it has no multi-letter single-dash flags).
var runAliases = map[string]string{"-api": "--api-endpoint", "-pid": "--process-id"}

// CommandArgs returns the arguments to give the root command for a process started with
// argv (os.Args): "run" is put first when the binary was invoked as ClientName, and the
// EOAP client's -api and -pid options of the run command are rewritten (see NormalizeRunArgs).
func CommandArgs(argv []string) []string {
	if len(argv) == 0 {
		return nil
	}
	args := argv[1:]
	if InvokedAsClient(argv[0]) {
		args = append([]string{"run"}, args...)
	}
	return NormalizeRunArgs(args)
}

// InvokedAsClient reports whether argv0 names the binary ClientName.
func InvokedAsClient(argv0 string) bool {
	base := filepath.Base(argv0)
	return strings.TrimSuffix(base, ".exe") == ClientName
}

// NormalizeRunArgs rewrites -api and -pid (also -api=URL) to --api-endpoint and
// --process-id in the arguments of the run command (or its alias), up to a "--".
// Arguments of other commands are returned unchanged.
func NormalizeRunArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	i := 0
	for ; i < len(out); i++ {
		a := out[i]
		if a == "run" || a == ClientName {
			break
		}
		if a == "--" || !strings.HasPrefix(a, "-") {
			return out // another command, or an argument
		}
		if (a == "--data-dir" || a == "--log-level") && i+1 < len(out) {
			i++ // the root flag's value
		}
	}
	for i++; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(a, "=")
		if long, ok := runAliases[name]; ok {
			if hasValue {
				out[i] = long + "=" + value
			} else {
				out[i] = long
			}
		}
	}
	return out
}

type runFlags struct {
	endpoint, processID, request, output string
	headers                              []string
	headerFile                           string
	key                                  string
	timeout, pollMax                     time.Duration
	quiet, sync, async, dismiss          bool
	download                             string // --download DIR
	sweep                                sweepFlags
}

const runLong = `Run one process on an OGC API – Processes server and write its results as a STAC
ItemCollection: submit the execute request (asynchronously when the process allows it),
follow the job, printing each status change on stderr, and collect the results.

The request file (JSON or YAML) is an OGC execute request ({"inputs": …, "outputs": …,
"response": …}) or the EOAP shape {"process_id": …, "inputs": …}, whose process_id may
replace --process-id. The output is the STAC the process returned (inline or by
reference), or else one STAC Item for the job: outputs by reference become assets, small
literals properties, other inline values files next to the output file.

With --sweep FILE the request is a base that runs once per line of FILE: JSON Lines (one
object of input overrides per line), a CSV (a header of input ids, one job per row) or a
GeoJSON FeatureCollection (each feature the AOI of the input --sweep-input names). At most
--parallel jobs run at a time; a server answering 429 or 503 to a submission is asked
again after its Retry-After. --output is then one merged ItemCollection whose items carry
geojobs:sweep_line, the line they come from; each job's own results stay in
<output>.members/line-N/. The exit status is 1 when any job failed; the others' results
are kept and merged.

Also available as ` + "`" + ClientName + "`" + `, with the EOAP client's options -api, -pid, -e, -o.
Every flag can be set from the environment: GEOJOBS_API_ENDPOINT, GEOJOBS_PROCESS_ID, …
Header values (--header) are secrets: they are sent only to the endpoint and never printed.

Credentials can also come from the keystore (geojobs keys): with --key NAME, that key;
without --key and without --header/--header-file, the HTTP key whose URL prefix matches
the endpoint, if any. The keystore is read only when it opens without a prompt: with the
OS keychain, or with its passphrase in GEOJOBS_KEYSTORE_PASSPHRASE.

Exit status:
  0    the job succeeded and the ItemCollection was written
  1    the job failed or was dismissed (the server's reason is printed)
  2    usage: bad flags, missing or invalid request file, unknown process, inputs refused
       (before sending, with the input and the reason) or rejected by the server
  3    the server erred, was unreachable or refused access
  4    --timeout passed before the job ended (the job may still run on the server)
  5    the results could not be turned into a valid STAC ItemCollection or written
  130  interrupted (Ctrl-C); with --dismiss-on-interrupt the job is dismissed`

func newRunCmd(opts *rootOptions) *cobra.Command {
	f := &runFlags{}
	c := &cobra.Command{
		Use:     "run --api-endpoint URL --process-id ID --execute-request FILE [--sweep FILE [--sweep-input NAME] [--parallel N]] [--output FILE]",
		Aliases: []string{ClientName},
		Short:   "Run a process on an OGC API – Processes server and write a STAC ItemCollection",
		Long:    runLong,
		Example: `  geojobs run --api-endpoint http://127.0.0.1:8085/ --process-id echo -e request.json -o fc.json
  geojobs run -api https://zoo.example.org/acme/ogc-api -pid water-bodies -e params.yaml \
      --header "Authorization: Bearer $TOKEN" --timeout 2h`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &exitError{code: runner.ExitUsage, err: fmt.Errorf("unexpected argument %q", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runRun(cmd, opts, f) },
	}
	fl := c.Flags()
	fl.StringVar(&f.endpoint, "api-endpoint", "", "the API's landing page URL (EOAP client: -api)")
	fl.StringVar(&f.processID, "process-id", "", "the process to run; default the request file's process_id (EOAP client: -pid)")
	fl.StringVarP(&f.request, "execute-request", "e", "", "the execute request file, JSON or YAML")
	fl.StringVarP(&f.output, "output", "o", "feature-collection.json", `the STAC ItemCollection file to write ("-": stdout)`)
	fl.StringArrayVarP(&f.headers, "header", "H", nil, `a header for every request to the endpoint, "Name: value" (repeatable; e.g. auth)`)
	fl.StringVar(&f.headerFile, "header-file", "", `a file of "Name: value" lines, sent like --header (keeps secrets out of command lines; # starts a comment)`)
	fl.StringVar(&f.key, "key", "", "the keystore key to authenticate to the endpoint with (default: the HTTP key matching the endpoint URL)")
	fl.DurationVar(&f.timeout, "timeout", 24*time.Hour, "give up after this long (0: never)")
	fl.DurationVar(&f.pollMax, "poll-max", runner.DefaultPollMax, "the longest wait between two status requests")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print no status lines, only errors")
	fl.BoolVar(&f.sync, "sync", false, "run synchronously (the process must allow it)")
	fl.BoolVar(&f.async, "async", false, "ask for asynchronous execution even when a description cannot be read")
	fl.BoolVar(&f.dismiss, "dismiss-on-interrupt", false, "dismiss the job when interrupted (Ctrl-C, SIGTERM)")
	fl.StringVar(&f.download, "download", "", "then download every asset of the results into this folder (as `geojobs download`)")
	f.sweep.register(fl)
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: runner.ExitUsage, err: err}
	})
	return c
}

func runRun(cmd *cobra.Command, opts *rootOptions, f *runFlags) error {
	usage := func(format string, args ...any) error {
		return &exitError{code: runner.ExitUsage, err: fmt.Errorf(format, args...)}
	}
	if f.endpoint == "" {
		return usage("--api-endpoint is required")
	}
	if f.request == "" {
		return usage("--execute-request is required")
	}
	if f.sync && f.async {
		return usage("--sync and --async exclude each other")
	}
	if f.timeout < 0 || f.pollMax < 0 {
		return usage("--timeout and --poll-max must not be negative")
	}
	log, closer, err := opts.logger(cmd.ErrOrStderr(), false) // run needs no data dir
	if err != nil {
		return &exitError{code: runner.ExitUsage, err: err}
	}
	defer closer.Close()
	fs := afero.NewOsFs()
	lines := f.headers
	if f.headerFile != "" {
		more, err := runner.LoadHeaderLines(fs, f.headerFile)
		if err != nil {
			return err
		}
		lines = append(more, lines...)
	}
	headers, err := runner.ParseHeaders(lines)
	if err != nil {
		return err
	}
	for _, vs := range headers {
		opts.scrub.Add(vs...) // a server echoing a header value back gets it redacted
	}
	req, err := runner.LoadRequest(fs, f.request)
	if err != nil {
		return err
	}
	keyStore, key, err := runKey(opts, f.endpoint, f.key, len(lines) > 0, log)
	if err != nil {
		return err
	}
	if keyStore != nil {
		defer keyStore.Lock()
	}
	o := runner.Options{
		Endpoint: f.endpoint, ProcessID: f.processID, Request: req,
		Output: f.output, Fs: fs, Stdout: raw(cmd.OutOrStdout()), // a document, not a message
		Headers: headers, Timeout: f.timeout, PollMax: f.pollMax,
		DismissOnInterrupt: f.dismiss, Logger: log,
	}
	app, appErr := server.ReadCredentials(opts.DataDir)
	switch {
	case key != nil:
		o.Credentials = keyStore.Credentials(key) // oidc keys: tokens renewed as needed
	case len(lines) == 0 && appErr == nil && app.Covers(f.endpoint):
		// The running app's built-in endpoint: its token, from the data folder (0600).
		o.Credentials = app
		log.Info("endpoint credentials of the running app", "data_dir", opts.DataDir)
	}
	switch {
	case f.sync:
		o.Mode = ogcapi.Sync
	case f.async:
		o.Mode = ogcapi.Async
	}
	if !f.quiet {
		o.Progress = cmd.ErrOrStderr()
	}
	ogcapi.UserAgent = "geojobs/" + Version
	ctx, stop := signalContext()
	defer stop()
	if f.download != "" && f.output == "-" {
		return usage("--download needs --output to be a file")
	}
	if f.sweep.file != "" {
		if f.download != "" {
			return usage("--download does not combine with --sweep (download the merged file with geojobs download)")
		}
		return runSweep(ctx, cmd, f, o)
	}
	if _, err = runner.Run(ctx, o); err != nil { // a *runner.Error carries its exit status
		return err
	}
	if f.download == "" {
		return nil
	}
	keys, note := openDownloadKeys(opts, cmd.ErrOrStderr())
	if keys != nil {
		defer keys.Lock()
	}
	ic, _, err := loadItems(ctx, opts, f.output, keys)
	if err != nil {
		return err
	}
	df := &downloadFlags{dest: f.download, quiet: f.quiet, keysNote: note,
		scope: &netpolicy.Scope{Endpoint: f.endpoint}} // the endpoint named the assets
	if appErr == nil {
		df.app = &app
	}
	// The output file is ours, but its hrefs came from the server: no file:// reads.
	return downloadAll(ctx, cmd.ErrOrStderr(), ic, false, df, keys)
}

// runKey picks the endpoint's key from the data dir's keystore: the named one, or
// (when no headers were given) the one matching the endpoint URL. A keystore that
// does not exist or cannot be unlocked without a prompt is skipped, unless a key was
// named. With a key it returns the store unlocked (oidc keys renew their tokens in
// it while the job runs); the caller locks it when done.
func runKey(opts *rootOptions, endpoint, name string, haveHeaders bool, log *slog.Logger) (*keystore.Store, *keystore.Key, error) {
	st, k, err := runKeyIn(opts.DataDir, endpoint, name, haveHeaders, log)
	opts.hideKeys(st)
	if k == nil || err != nil {
		if st != nil {
			st.Lock()
		}
		return nil, nil, err
	}
	opts.signIns(st, log)
	return st, k, nil
}

func runKeyIn(dataDir, endpoint, name string, haveHeaders bool, log *slog.Logger) (*keystore.Store, *keystore.Key, error) {
	usage := func(format string, args ...any) error {
		return &exitError{code: runner.ExitUsage, err: fmt.Errorf(format, args...)}
	}
	if name == "" && haveHeaders {
		return nil, nil, nil // explicit headers win over a keystore match
	}
	st, err := keystore.Open(keystore.Config{Dir: dataDir})
	if err != nil {
		if name != "" {
			return nil, nil, usage("--key: %v", err)
		}
		log.Warn("the keystore cannot be read; no endpoint credentials from it", "err", err)
		return nil, nil, nil
	}
	if st.Protection() == keystore.Unprotected {
		if name != "" {
			return nil, nil, usage("--key %q: there is no keystore in %s (geojobs keys add)", name, dataDir)
		}
		return nil, nil, nil
	}
	if err := unlockWithoutPrompt(st, os.Getenv); err != nil || st.Locked() {
		if name != "" {
			if err == nil {
				err = fmt.Errorf("set %s", keyscmd.PassphraseEnv)
			}
			return st, nil, usage("--key %q: the keystore could not be unlocked: %v", name, err)
		}
		log.Debug("the keystore is locked; no endpoint credentials from it", "err", err)
		return st, nil, nil
	}
	k, err := runner.EndpointKey(st, endpoint, name)
	if err != nil || k == nil {
		return st, nil, err
	}
	log.Info("endpoint credentials from the keystore", "key", k.Name)
	return st, k, nil
}
