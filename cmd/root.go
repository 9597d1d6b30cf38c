// Package cmd holds geojobs' command line: the root command (open the UI) and its
// subcommands. Each subcommand lives in its own file and is registered in NewRoot.
package cmd

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/backend/safetext"
)

// Version is stamped at build time with -ldflags "-X github.com/geojobs/geojobs/cmd.Version=…".
var Version = "dev"

// rootOptions are the flags every subcommand shares.
type rootOptions struct {
	// DataDir holds the database, keystore, built-in endpoint state and logs.
	DataDir  string
	LogLevel string

	// scrub is what every print path of the command line goes through (the command's
	// stdout and stderr writers): no control characters, no --header value, no
	// keystore secret in anything printed, whatever a server sends.
	scrub *safetext.Scrubber
	// signInClock decides when the tokens of oidc keys end (oidc.Config.Now);
	// nil: time.Now. Tests give their OpenID provider's clock.
	signInClock func() time.Time
}

// signIns makes st's oidc keys get and renew their tokens (oidc.New).
func (o *rootOptions) signIns(st *keystore.Store, log *slog.Logger) *oidc.Manager {
	return oidc.New(oidc.Config{Store: st, Logger: log, Now: o.signInClock})
}

// NewRoot builds the geojobs command tree.
func NewRoot() *cobra.Command {
	root, _ := newRoot()
	return root
}

func newRoot() (*cobra.Command, *rootOptions) {
	opts := &rootOptions{scrub: &safetext.Scrubber{}}
	root := &cobra.Command{
		Use:           "geojobs",
		Short:         "Run processing on OGC API – Processes servers",
		Long:          "geojobs runs processing on OGC API – Processes servers (ZOO-Project, pygeoapi, EOEPCA and its own\nbuilt-in local endpoint). Without a subcommand it serves the user interface and opens it in the browser.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.PersistentFlags().StringVar(&opts.DataDir, "data-dir", defaultDataDir(), "folder for the database, keystore, endpoint state and logs")
	root.PersistentFlags().StringVar(&opts.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.AddCommand(newVersionCmd())
	registerUI(root, opts)
	root.AddCommand(newLocalEndpointCmd(opts))
	root.AddCommand(newRunCmd(opts))
	for _, add := range extraCommands {
		root.AddCommand(add(opts))
	}
	applyEnv(root)
	root.SetOut(os.Stdout)
	root.SetErr(os.Stderr)
	// Whatever writers were set by now (a test's buffers), print through the scrubber.
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		opts.scrubOutput(root)
		return nil
	}
	return root, opts
}

// scrubOutput makes root's stdout and stderr writers scrub what is printed.
func (o *rootOptions) scrubOutput(root *cobra.Command) {
	root.SetOut(o.scrub.Writer(root.OutOrStdout()))
	root.SetErr(o.scrub.Writer(root.ErrOrStderr()))
}

// raw is the writer under a scrubbing one, for documents (an ItemCollection on stdout)
// and for output of geojobs' own with control characters (a progress bar).
func raw(w io.Writer) io.Writer {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		return u.Unwrap()
	}
	return w
}

// extraCommands lets feature files register their subcommand from an init function
// without editing NewRoot.
var extraCommands []func(*rootOptions) *cobra.Command

// Execute runs the command line and returns the process exit code.
func Execute() int {
	root, opts := newRoot()
	root.SetArgs(CommandArgs(os.Args))
	return execute(root, opts)
}

// execute runs root and prints its error, scrubbed, on its stderr.
func execute(root *cobra.Command, opts *rootOptions) int {
	if err := root.Execute(); err != nil {
		opts.scrubOutput(root) // also when the command never started (a bad flag)
		fmt.Fprintln(root.ErrOrStderr(), "geojobs:", err)
		var ec interface{ ExitCode() int }
		if asExitCoder(err, &ec) {
			return ec.ExitCode()
		}
		return errs.Exit(errs.CodeOf(err))
	}
	return 0
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "geojobs", Version)
		},
	}
}

// applyEnv makes every flag settable from GEOJOBS_<FLAG> (dashes become underscores),
// for every command in the tree. A flag given on the command line wins.
func applyEnv(c *cobra.Command) {
	prev := c.PreRunE
	c.PreRunE = func(cmd *cobra.Command, args []string) error {
		var err error
		set := func(f *pflag.Flag) {
			if f.Changed || err != nil {
				return
			}
			name := "GEOJOBS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			if v, ok := os.LookupEnv(name); ok {
				if e := f.Value.Set(v); e != nil {
					err = fmt.Errorf("%s=%q: %w", name, v, e)
				}
				f.Changed = true
			}
		}
		cmd.Flags().VisitAll(set)
		cmd.InheritedFlags().VisitAll(set)
		if err != nil {
			return err
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
	for _, sub := range c.Commands() {
		applyEnv(sub)
	}
}
