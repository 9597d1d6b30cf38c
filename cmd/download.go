package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/file"
)

func init() { extraCommands = append(extraCommands, newDownloadCmd) }

// Exit statuses of download.
const (
	downloadFailed = 1 // some files failed (checksum, server, disk)
	downloadUsage  = 2
)

type downloadFlags struct {
	dest   string
	assets []string
	conns  int
	files  int
	quiet  bool

	// Set by the commands, not flags.
	app      *server.Credentials // the running app's, for its built-in endpoint's files
	scope    *netpolicy.Scope    // whose server named the assets (nil: the user's own file)
	keysNote string              // why the keystore is locked, said when a file was refused
}

func newDownloadCmd(opts *rootOptions) *cobra.Command {
	f := &downloadFlags{}
	c := &cobra.Command{
		Use:   "download SOURCE [--dest DIR]",
		Short: "Download the assets of a job's results, an ItemCollection or a STAC catalog",
		Long: `Download the assets of STAC results into a folder, with several connections per file,
resuming from partial files (run it again after an interruption), and verifying
file:size and file:checksum. Beside the files it writes geojobs-manifest.json and a
local STAC catalog (catalog.json and one JSON per item) whose hrefs point to the local
files.

SOURCE is a job id from the local database (--data-dir), an ItemCollection, Item or
Catalog file, or an http(s) URL of one. Each item's assets go to DIR/<item id>/. A job
whose results were never opened has them fetched from its endpoint (and stored).

s3:// assets, and http(s) assets behind a login (WebDAV shares, secured servers), are
read with the keystore's keys (geojobs keys): the key whose URL prefix matches, as in
the app. The keystore opens with the OS keychain, or with its passphrase from
GEOJOBS_KEYSTORE_PASSPHRASE, or else from a prompt when run in a terminal.

Exit status: 0 all files downloaded and verified, 1 some failed, 2 usage.`,
		Example: `  geojobs download 0b7d…e2 --dest ~/Downloads/scene
  geojobs download feature-collection.json -d out --asset scene/data
  geojobs download https://example.org/stac/catalog.json -d out`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &exitError{code: downloadUsage, err: errors.New("give one SOURCE: a job id, a file or a URL")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signalContext()
			defer stop()
			boundMemory()
			keys, note := openDownloadKeys(opts, cmd.ErrOrStderr())
			if keys != nil {
				defer keys.Lock()
			}
			f.keysNote = note
			if app, err := server.ReadCredentials(opts.DataDir); err == nil {
				f.app = &app
			}
			src, err := resolveJobPrefix(ctx, opts, args[0])
			if err != nil {
				return err
			}
			ic, local, err := loadItems(ctx, opts, src, keys)
			if err != nil {
				return err
			}
			if !local {
				f.scope = &netpolicy.Scope{Endpoint: itemsEndpoint(ctx, opts, src)}
			}
			if f.dest == "" {
				f.dest = "."
			}
			return downloadAll(ctx, cmd.ErrOrStderr(), ic, local, f, keys)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&f.dest, "dest", "d", "", "destination folder (default: the current folder)")
	fl.StringArrayVarP(&f.assets, "asset", "a", nil, `only this asset, as ITEM/KEY (repeatable); default all`)
	fl.IntVar(&f.conns, "connections", 0, "connections per file (default 32; with every host, connections start at 16 and adapt: more while requests succeed, up to 64, half as many after a 429 or 503)")
	fl.IntVar(&f.files, "parallel", 0, "large files downloaded at once (default 4; small files, one connection each, run beyond it)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress, only errors")
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{code: downloadUsage, err: err} })
	return c
}

// downloadHeap is the soft limit of the Go heap of geojobs download. What a download
// holds is bounded by design (a buffer per connection, the tasks, the catalog), but the
// collector lets the heap grow to twice what is live: 2,000 small files took 58–60 MB
// of RSS without the limit, 52 MB with it. The limit makes it collect sooner instead.
const downloadHeap = 40 << 20

// boundMemory sets the soft limit unless GOMEMLIMIT says otherwise.
func boundMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(downloadHeap)
	}
}

// loadItems reads SOURCE. local reports a source on this machine (a file or the
// database), whose file: asset hrefs may be copied; a remote document's may not.
func loadItems(ctx context.Context, opts *rootOptions, src string, keys *keystore.Store) (*stac.ItemCollection, bool, error) {
	usage := func(err error) error { return &exitError{code: downloadUsage, err: err} }
	if u, err := url.Parse(src); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		fetch := stac.HTTPFetcher{}
		doc, err := fetch.Fetch(ctx, u)
		if err != nil {
			return nil, false, usage(fmt.Errorf("%s: %w", u.Redacted(), err))
		}
		ic, err := stac.Resolve(ctx, doc, u, fetch, 0)
		if err != nil {
			return nil, false, usage(err)
		}
		return ic, false, nil
	}
	if fi, err := os.Stat(src); err == nil && !fi.IsDir() {
		abs, err := filepath.Abs(src)
		if err != nil {
			return nil, false, usage(err)
		}
		doc, err := os.ReadFile(abs)
		if err != nil {
			return nil, false, usage(err)
		}
		ic, err := stac.Resolve(ctx, doc, &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}, stac.HTTPFetcher{}, 0)
		if err != nil {
			return nil, false, usage(fmt.Errorf("%s: %w", src, err))
		}
		return ic, true, nil
	}
	// A job id in the local database.
	db := config.Paths{Root: opts.DataDir}.Database()
	if _, err := os.Stat(db); err != nil {
		return nil, false, usage(fmt.Errorf("%q is neither a file, a URL nor a job (no database in %s)", src, opts.DataDir))
	}
	st, err := store.Open(db)
	if err != nil {
		return nil, false, usage(err)
	}
	defer st.Close()
	raw, _, err := st.Items(ctx, src)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, usage(fmt.Errorf("%q is neither a file, a URL nor a job in %s", src, opts.DataDir))
	}
	if err != nil {
		return nil, false, usage(err)
	}
	if raw == nil {
		ic, err := fetchJobItems(ctx, st, src, keys)
		if err != nil {
			return nil, false, err
		}
		return ic, false, nil
	}
	ic := new(stac.ItemCollection)
	if err := ic.UnmarshalJSON(raw); err != nil {
		return nil, false, usage(err)
	}
	return ic, false, nil
}

// downloadAll downloads the chosen assets of ic into f.dest with a progress display,
// then writes the local catalog. It is shared with `run --download`.
func downloadAll(ctx context.Context, stderr io.Writer, ic *stac.ItemCollection, local bool, f *downloadFlags, keys *keystore.Store) error {
	var refs []results.AssetRef
	for _, a := range f.assets {
		item, key, ok := strings.Cut(a, "/")
		if !ok || item == "" || key == "" {
			return &exitError{code: downloadUsage, err: fmt.Errorf("--asset %q: want ITEM/KEY", a)}
		}
		refs = append(refs, results.AssetRef{Item: item, Asset: key})
	}
	dest, err := filepath.Abs(f.dest)
	if err != nil {
		return &exitError{code: downloadUsage, err: err}
	}
	mux := downloadMuxFor(keys, f.app)
	if local {
		mux.Register("file", file.Source{})
	}
	// The app's download orchestrator, without a database: plan, folder check, fetch
	// and verify, manifest and local catalog are the same as on the results page.
	bar := newProgressBar(stderr, f.quiet)
	var onProgress func(results.JobProgress)
	if !f.quiet {
		onProgress = bar.update // a view of every file: not built for nobody
	}
	d, err := results.NewDownloads(results.DownloadsOptions{
		Items:      func(context.Context, string) (*stac.ItemCollection, error) { return ic, nil },
		Transfer:   transfer.Options{Sources: mux, Connections: f.conns, MaxFiles: f.files},
		OnProgress: onProgress,
		// Whose server named the assets: no local addresses for a public one.
		Scope: func(context.Context, string) *netpolicy.Scope { return f.scope },
	})
	if err != nil {
		return err
	}
	n, serr := d.Start(ctx, "", dest, refs)
	if n == 0 {
		d.Close()
		if serr == nil {
			serr = errors.New("no assets to download")
		}
		return &exitError{code: downloadUsage, err: serr}
	}
	var errs []error
	if serr != nil {
		// Skipped assets (unsafe names, unknown refs) make the run a failure, by name.
		fmt.Fprintln(stderr, "geojobs: skipped:", serr)
		errs = append(errs, fmt.Errorf("skipped: %w", serr))
	}
	p, werr := d.Wait(ctx, "")
	d.Close() // keeps partial files: running the command again resumes
	bar.done()
	if werr != nil || ctx.Err() != nil {
		return &exitError{code: 130, err: errors.New("interrupted; run the command again to resume")}
	}
	var total int64
	refused := false
	for _, fv := range p.Files {
		switch fv.State {
		case transfer.StateCompleted:
			total += max(fv.Size, 0)
		case transfer.StateFailed:
			errs = append(errs, fmt.Errorf("%s/%s: %s", fv.Item, fv.Asset, fv.Error))
			refused = refused || fv.Code == transfer.PermissionDenied
		}
	}
	if refused && f.keysNote != "" {
		fmt.Fprintln(stderr, "geojobs:", f.keysNote)
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "%d of %d file(s), %s, in %s; catalog: %s\n", p.Completed, len(p.Files), transfer.FormatSize(total), dest,
			filepath.Join(dest, transfer.CatalogName))
	}
	if len(errs) > 0 {
		return &exitError{code: downloadFailed, err: errors.Join(errs...)}
	}
	return nil
}

// progressBar draws the total progress on one terminal line, or prints a plain line
// every few seconds when stderr is not a terminal (CI logs).
type progressBar struct {
	w     io.Writer
	tty   bool
	quiet bool
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer, quiet bool) *progressBar {
	// The bar holds only numbers of its own and redraws itself with "\r" and an
	// escape sequence: it goes around the scrubber.
	w = raw(w)
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progressBar{w: w, tty: tty, quiet: quiet}
}

func (b *progressBar) update(t results.JobProgress) {
	if b.quiet {
		return
	}
	pct := -1.0
	if t.Size > 0 {
		pct = 100 * float64(t.Done) / float64(t.Size)
	}
	eta := "?"
	if t.ETA >= 0 {
		eta = t.ETA.Round(time.Second).String()
	}
	line := fmt.Sprintf("%d/%d files  %s", t.Completed, len(t.Files), transfer.FormatSize(t.Done))
	if t.Size >= 0 {
		line += " of " + transfer.FormatSize(t.Size)
	}
	line += fmt.Sprintf("  %s/s  ETA %s", transfer.FormatSize(int64(t.Speed)), eta)
	if t.Failed > 0 {
		line += fmt.Sprintf("  %d failed", t.Failed)
	}
	if b.tty {
		const width = 30
		bar := strings.Repeat(" ", width)
		if pct >= 0 {
			n := int(pct / 100 * width)
			bar = strings.Repeat("█", n) + strings.Repeat("░", width-n)
		}
		fmt.Fprintf(b.w, "\r\033[K[%s] %5.1f%% %s", bar, max(pct, 0), line)
		b.drawn = true
		return
	}
	if time.Since(b.last) < 5*time.Second && t.Active > 0 {
		return
	}
	b.last = time.Now()
	if pct >= 0 {
		fmt.Fprintf(b.w, "%5.1f%% %s\n", pct, line)
	} else {
		fmt.Fprintln(b.w, line)
	}
}

func (b *progressBar) done() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

// resolveJobPrefix turns a job-id prefix (at least 4 characters, as the job pages show
// ids) into the job's id when SOURCE is neither a file nor a URL and one job of the
// local database starts with it. Anything else is returned as it is.
func resolveJobPrefix(ctx context.Context, opts *rootOptions, src string) (string, error) {
	if u, err := url.Parse(src); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return src, nil
	}
	if _, err := os.Stat(src); err == nil || len(src) < 4 {
		return src, nil
	}
	db := config.Paths{Root: opts.DataDir}.Database()
	if _, err := os.Stat(db); err != nil {
		return src, nil
	}
	st, err := store.Open(db)
	if err != nil {
		return "", &exitError{code: downloadUsage, err: err}
	}
	defer st.Close()
	id, err := st.JobIDByPrefix(ctx, src)
	switch {
	case errors.Is(err, store.ErrConflict):
		return "", &exitError{code: downloadUsage, err: fmt.Errorf("%q: %w", src, err)}
	case err != nil:
		return src, nil // loadItems says what SOURCE is not
	}
	return id, nil
}

// itemsEndpoint is the URL of the server that named SOURCE's assets: the job's
// endpoint, or the document's own URL.
func itemsEndpoint(ctx context.Context, opts *rootOptions, src string) string {
	if u, err := url.Parse(src); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return src
	}
	st, err := store.Open(config.Paths{Root: opts.DataDir}.Database())
	if err != nil {
		return ""
	}
	defer st.Close()
	j, err := st.Job(ctx, src)
	if err != nil {
		return ""
	}
	e, err := st.Endpoint(ctx, j.EndpointID)
	switch {
	case err != nil:
		return ""
	case e.BuiltIn:
		return "http://127.0.0.1/" // the app's own endpoint, on this machine
	}
	return e.URL
}
