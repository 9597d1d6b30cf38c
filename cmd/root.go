// Package cmd holds geojobs' command line: the root command (open the UI) and its
// subcommands. Each subcommand lives in its own file and is registered in NewRoot.
package cmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/geojobs/geojobs/backend/errs"
)

// Version is stamped at build time with -ldflags "-X github.com/geojobs/geojobs/cmd.Version=…".
var Version = "dev"

// rootOptions are the flags every subcommand shares.
type rootOptions struct {
	// DataDir holds the database, keystore, built-in endpoint state and logs.
	DataDir  string
	LogLevel string
}

// NewRoot builds the geojobs command tree.
func NewRoot() *cobra.Command {
	opts := &rootOptions{}
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
	return root
}

// extraCommands lets feature files register their subcommand from an init function
// without editing NewRoot.
var extraCommands []func(*rootOptions) *cobra.Command

// Execute runs the command line and returns the process exit code.
func Execute() int {
	root := NewRoot()
	root.SetArgs(CommandArgs(os.Args))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "geojobs:", err)
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
