package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/spf13/cobra"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/folderlock"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keyscmd"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/frontend/webapp"
)

type uiOptions struct {
	Addr   string
	NoOpen bool
}

// registerUI makes the root command serve the UI and open the browser, and adds `serve`,
// which does the same without opening a browser.
func registerUI(root *cobra.Command, opts *rootOptions) {
	ui := &uiOptions{}
	root.Flags().StringVar(&ui.Addr, "addr", "127.0.0.1:0", "loopback address to serve the UI on (port 0: a free port)")
	root.Flags().BoolVar(&ui.NoOpen, "no-open", false, "do not open the browser")
	root.Args = cobra.NoArgs
	root.RunE = func(cmd *cobra.Command, _ []string) error { return serveUI(cmd, opts, ui) }

	serve := &cobra.Command{
		Use:   "serve",
		Short: "Serve the user interface in browser mode without opening a browser",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s := *ui
			s.NoOpen = true
			return serveUI(cmd, opts, &s)
		},
	}
	serve.Flags().StringVar(&ui.Addr, "addr", "127.0.0.1:0", "loopback address to serve the UI on (port 0: a free port)")
	root.AddCommand(serve)
}

func serveUI(cmd *cobra.Command, opts *rootOptions, ui *uiOptions) error {
	log, closer, err := opts.logger(cmd.ErrOrStderr(), true)
	if err != nil {
		return err
	}
	defer closer.Close()
	ctx, stop := signalContext()
	defer stop()
	// One process per data folder: a second one would rewrite this one's stored URLs.
	lock, err := folderlock.Acquire(opts.DataDir, cmd.CommandPath())
	if err != nil {
		return err
	}
	defer lock.Release()

	// The port of the last launch when free: the built-in endpoint's job and asset URLs
	// stored with earlier jobs carry it.
	srv, err := server.ListenRemembering(ui.Addr, filepath.Join(opts.DataDir, server.PortFile), "", log)
	if err != nil {
		return err
	}
	// The browser session outlives a restart: a tab left open reconnects by itself.
	if srv.Guard.Session, err = server.LoadSession(filepath.Join(opts.DataDir, server.SessionFile)); err != nil {
		return err
	}
	// geojobs' own CLI (run, download) reaches this app with its token, read from the
	// data folder (0600), never from a command line.
	removeCreds, err := server.WriteCredentials(opts.DataDir, server.Credentials{URL: srv.BaseURL(), Token: srv.Guard.Token, PID: os.Getpid()})
	if err != nil {
		return err
	}
	defer removeCreds()
	keys, err := openKeystore(opts.DataDir, log)
	if err != nil {
		return err
	}
	defer keys.Lock()
	app, err := application.New(application.Options{DataDir: opts.DataDir, Version: Version, BaseURL: srv.BaseURL(),
		Token: srv.Guard.Token, Keystore: keys, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := app.Close(context.Background()); err != nil {
			log.Warn("closing", "err", err)
		}
	}()
	web, err := webapp.New(app, webapp.Options{Logger: log})
	if err != nil {
		return err
	}
	// The job monitor and the live updates stop before the database closes (defers
	// run last in, first out).
	mctx, stopMonitor := context.WithCancel(ctx)
	var running sync.WaitGroup
	running.Add(2)
	go func() {
		defer running.Done()
		if err := app.Run(mctx); err != nil {
			log.Error("job monitor stopped", "err", err)
		}
	}()
	go func() { defer running.Done(); _ = web.Run(mctx) }()
	defer func() { stopMonitor(); running.Wait() }()

	fmt.Fprintf(cmd.OutOrStdout(), "geojobs %s is serving at\n\n    %s\n\nOpen that link (it carries this run's access token). Data: %s. Press Ctrl+C to stop.\n",
		Version, srv.LaunchURL(), opts.DataDir)
	log.Info("serving", "url", srv.BaseURL(), "data_dir", opts.DataDir)
	if !ui.NoOpen {
		// A single-use launch code, not the token: the opener's command line is public.
		if err := openBrowser(srv.OpenURL()); err != nil {
			log.Warn("could not open a browser; open the link above by hand", "err", err)
		}
	}
	return srv.Serve(ctx, web.Handler)
}

// openBrowser asks the desktop to open url.
func openBrowser(url string) error {
	var c *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		c = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	case "darwin":
		c = exec.Command("open", url)
	default:
		c = exec.Command("xdg-open", url)
	}
	if err := c.Start(); err != nil {
		return err
	}
	go func() { _ = c.Wait() }()
	slog.Debug("opened browser")
	return nil
}

// openKeystore opens the data dir's keystore and unlocks it when that needs no
// prompt: a file protected by the OS keychain, or a passphrase given in
// GEOJOBS_KEYSTORE_PASSPHRASE. Otherwise it stays locked and the Keystore page asks.
func openKeystore(dir string, log *slog.Logger) (*keystore.Store, error) {
	st, err := keystore.Open(keystore.Config{Dir: dir})
	if err != nil {
		return nil, err
	}
	if err := unlockWithoutPrompt(st, os.Getenv); err != nil {
		log.Warn("the keystore stays locked; unlock it on the Keystore page", "err", err)
	}
	return st, nil
}

// unlockWithoutPrompt unlocks an existing keystore from the OS keychain or the
// passphrase variable; it does nothing when neither applies (or there is no file).
func unlockWithoutPrompt(st *keystore.Store, getenv func(string) string) error {
	switch st.Protection() {
	case keystore.ProtectedByKeychain:
		return st.Unlock("")
	case keystore.ProtectedByPassphrase:
		if p := getenv(keyscmd.PassphraseEnv); p != "" {
			return st.Unlock(p)
		}
	}
	return nil
}
