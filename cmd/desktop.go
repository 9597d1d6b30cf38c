//go:build desktop || dev || bindings

package cmd

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/geojobs/geojobs/app"
	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/folderlock"
)

// ExecuteDesktop runs the command line of the desktop build: without a subcommand it
// opens the desktop window (--browser serves the UI in the browser as the plain build
// does); every subcommand (run, local-endpoint, keys, serve, …) works as in the plain
// build.
func ExecuteDesktop() int {
	root, opts := newRoot()
	browser := root.RunE
	var useBrowser bool
	root.Flags().BoolVar(&useBrowser, "browser", false, "serve the user interface in the browser instead of the desktop window")
	root.Long = "geojobs runs processing on OGC API – Processes servers (ZOO-Project, pygeoapi, EOEPCA and its own\n" +
		"built-in local endpoint). Without a subcommand it opens the desktop window (--browser: the browser)."
	root.RunE = func(c *cobra.Command, args []string) error {
		if useBrowser {
			return browser(c, args)
		}
		return runDesktop(c)
	}
	root.SetArgs(CommandArgs(os.Args))
	return execute(root, opts) // errors printed through the scrubber, as in the plain build
}

// runDesktop opens the window over the same application the browser mode serves.
func runDesktop(c *cobra.Command) error {
	opts := &rootOptions{
		DataDir:  c.Flag("data-dir").Value.String(),
		LogLevel: c.Flag("log-level").Value.String(),
	}
	log, closer, err := opts.logger(c.ErrOrStderr(), true)
	if err != nil {
		return err
	}
	defer closer.Close()
	lock, err := folderlock.Acquire(opts.DataDir, "geojobs desktop")
	if err != nil {
		return err
	}
	defer lock.Release()
	keys, err := openKeystore(opts.DataDir, log)
	if err != nil {
		return err
	}
	defer keys.Lock()
	return app.Run(app.Options{
		DataDir: opts.DataDir,
		Version: Version,
		LogFile: config.Paths{Root: opts.DataDir}.LogFile(),
		Logger:  log,
		App:     application.Options{DataDir: opts.DataDir, Version: Version, Keystore: keys, Logger: log},
	})
}
