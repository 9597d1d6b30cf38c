// Package application is geojobs' application root: it opens the database and the
// keystore, starts the built-in endpoint, and builds every service once, each given
// what it depends on when it is made (endpoints, processes, the job monitor, sign-ins,
// results, downloads, exports, batches, the STAC item finder). The browser mode
// (`geojobs` and `geojobs serve`), the desktop shell and the browser tests build it the
// same way, with New, and hand it to frontend/webapp, which serves it over HTTP.
//
// What happens to jobs, downloads and exports is told through typed event feeds
// (JobChanges, Endings, DownloadProgress, ExportProgress) that the web front and the
// desktop shell subscribe to; no service is handed another one after it was built. This package makes the outbound
// calls the pages need (key checks, bucket listings, exports, re-runs); it renders
// nothing and serves no HTTP of its own besides the built-in endpoint's handler.
package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/events"
	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/itemfinder"
	"github.com/geojobs/geojobs/backend/joblog"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
)

// LocalPrefix is where the built-in endpoint is mounted inside the app's server.
const LocalPrefix = "/local/ogcapi"

// Options configure New. DataDir, BaseURL and Token are required.
type Options struct {
	// DataDir holds the database, the keystore and the built-in endpoint's files.
	DataDir string
	// Version is the application's version (shown on the Settings page).
	Version string
	// LocalFs is the built-in endpoint's file system (default: the OS's).
	LocalFs afero.Fs
	// BaseURL is the app server's root URL ("http://127.0.0.1:PORT/"); the app calls
	// its own built-in endpoint there, under LocalPrefix.
	BaseURL string
	// Token is the server Guard's token; the app's own clients send it to the
	// built-in endpoint.
	Token string
	// Keystore is the keystore; nil opens the one in DataDir (locked until the Keystore
	// page unlocks it).
	Keystore *keystore.Store
	Logger   *slog.Logger
	// SignInClock decides when the tokens of oidc keys end (oidc.Config.Now);
	// default time.Now. Tests give the clock of their OpenID provider.
	SignInClock func() time.Time
}

// App is the assembled application. Its fields are set by New and never change.
type App struct {
	Version string
	// BaseURL is the app server's root URL (Options.BaseURL).
	BaseURL string
	Paths   config.Paths
	Store   *store.Store
	// Keys is the keystore (locked until unlocked; check Keys.Locked). Endpoints,
	// exports and s3:// or WebDAV downloads use its keys.
	Keys *keystore.Store
	// Local is the built-in endpoint, served under LocalPrefix at LocalURL.
	Local    *localep.Server
	LocalURL string
	// LocalCredentials are the built-in endpoint's (the run's token).
	LocalCredentials ogcapi.Credentials
	Endpoints        *endpoints.Registry
	Processes        *processes.Directory
	Monitor          *jobs.Monitor
	// Jobs are the job pages' actions: the monitor's, and re-run.
	Jobs *Jobs
	// Logs reads jobs' logs through the endpoints' clients.
	Logs *joblog.Source
	// SignIns signs the keystore's oidc keys in and out and keeps their tokens fresh.
	SignIns *oidc.Manager
	// Results gives jobs' results as STAC; Downloads is the download manager.
	Results   *results.Service
	Downloads *results.Downloads
	// Exporter copies results to the keystore's buckets and shares; Exports is the
	// results page's access to it (keys and destinations).
	Exporter *export.Exporter
	Exports  *Exports
	// KeyRemote checks keys and works with buckets for the Keystore page.
	KeyRemote *KeyRemote
	// Batches submits the members of batches.
	Batches *batch.Engine
	// Finder searches the built-in STAC API and the saved catalogs ("Find items").
	Finder *itemfinder.Finder

	jobChanges     events.Feed[jobs.Change]
	downloads      events.Feed[results.JobProgress]
	exportProgress events.Feed[export.Progress]
	signIns        *events.Queue[string]
	endings        events.Feed[Notification]
	endingsIn      *events.Queue[jobs.Change]
	log            *slog.Logger
	// sources are the drivers that read files (see buildSources), sourcesAuth their
	// http(s) credentials.
	sources     *transfer.Mux
	sourcesAuth *results.Authorizer
}

// New opens the database and the keystore and starts the built-in endpoint; call Run
// to track jobs and Close when done.
func New(opts Options) (*App, error) {
	if opts.DataDir == "" || opts.BaseURL == "" || opts.Token == "" {
		return nil, errors.New("application: DataDir, BaseURL and Token are required")
	}
	if _, err := url.Parse(opts.BaseURL); err != nil {
		return nil, fmt.Errorf("application: base URL: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.LocalFs == nil {
		opts.LocalFs = afero.NewOsFs()
	}
	a := &App{Version: opts.Version, BaseURL: opts.BaseURL, Paths: config.Paths{Root: opts.DataDir}, Keys: opts.Keystore, log: log,
		LocalURL: strings.TrimSuffix(opts.BaseURL, "/") + LocalPrefix + "/", LocalCredentials: ogcapi.Bearer(opts.Token)}
	if err := a.Paths.Ensure(); err != nil {
		return nil, err
	}
	var err error
	if a.Store, err = store.Open(a.Paths.Database()); err != nil {
		return nil, err
	}
	if err := a.build(opts); err != nil {
		_ = a.Close(context.Background())
		return nil, err
	}
	return a, nil
}

// build makes the services in the order they depend on each other.
func (a *App) build(opts Options) error {
	ctx := context.Background()
	log := a.log
	if err := rebaseLocal(ctx, a.Store, a.LocalURL, log); err != nil {
		return err
	}
	if a.Keys == nil {
		var err error
		if a.Keys, err = keystore.Open(keystore.Config{Dir: opts.DataDir}); err != nil {
			return fmt.Errorf("opening the keystore: %w", err)
		}
	}
	a.buildSources()
	// The built-in endpoint reads the inputs of the packages it runs with the
	// keystore's keys, and runs them as Settings says (PackageRuns applies changes).
	runs := prefs.LoadPackageRuns(ctx, a.Store)
	var err error
	a.Local, err = localep.New(localep.Options{DataDir: a.Paths.LocalEndpoint(), Fs: opts.LocalFs,
		Logger: log.With("component", "local-endpoint"), Title: "Local", BasePath: LocalPrefix,
		HTTPClient: selfClient(opts.BaseURL, opts.Token), Inputs: a.sources,
		CWL: localep.CWLOptions{Containers: runs.Containers, Keep: runs.Keep, MaxRuns: runs.MaxRuns}})
	if err != nil {
		return fmt.Errorf("starting the built-in endpoint: %w", err)
	}
	if a.Endpoints, err = endpoints.New(endpoints.Options{Store: a.Store, LocalURL: a.LocalURL,
		LocalCredentials: a.LocalCredentials, Credentials: keyCredentials(a.Keys),
		PrivateNetworks: func(ctx context.Context) bool { return prefs.Load(ctx, a.Store).AllowPrivate },
		Logger:          log.With("component", "endpoints")}); err != nil {
		return err
	}
	if a.Processes, err = processes.New(processes.Options{Clients: a.Endpoints}); err != nil {
		return err
	}
	clientFor := func(ctx context.Context, id string) (*ogcapi.Client, error) { return a.Endpoints.Client(ctx, id) }
	a.Logs = &joblog.Source{ClientFor: func(ctx context.Context, id string) (joblog.Remote, error) { return clientFor(ctx, id) }}
	if err := a.buildResults(opts); err != nil {
		return err
	}
	if a.Monitor, err = jobs.New(jobs.Config{Store: a.Store, Logger: log.With("component", "jobs"), OnChange: a.jobChanged,
		ClientFor: func(ctx context.Context, id string) (jobs.Remote, error) { return clientFor(ctx, id) }}); err != nil {
		return err
	}
	a.Jobs = &Jobs{Monitor: a.Monitor, processes: a.Processes}
	a.endingsIn = a.jobChanges.Subscribe()
	a.Batches = batch.New(a.Store, a.Monitor, log.With("component", "batches"))
	// oidc keys: tokens renewed for every request; after a sign-in, jobs waiting for
	// it are asked about at once (Run).
	a.SignIns = oidc.New(oidc.Config{Store: a.Keys, Now: opts.SignInClock, Logger: log.With("component", "oidc")})
	a.signIns = a.SignIns.Changes()
	a.KeyRemote = &KeyRemote{keys: a.Keys}
	a.Finder = itemfinder.New(a.Store, a.Keys, a.LocalURL+"stac/", a.LocalCredentials)
	return nil
}

// jobChanged is the monitor's OnChange: a successful job's results are stored as STAC
// as soon as they are in (from the results the monitor fetched; nil, e.g. for a job
// found already ended: fetched again), the batch engine looks for members to submit,
// and subscribers (the live pages) are told.
func (a *App) jobChanged(c jobs.Change) {
	if c.Results && c.Status == ogcapi.StatusSuccessful {
		a.Results.Collected(c.JobID, c.Outputs)
	}
	a.Batches.Notify()
	a.jobChanges.Publish(c)
}

// wakeOnSignIn asks at once about the jobs whose server was unreachable (a sign-in
// they were waiting for may have happened), and resumes the downloads paused for a
// sign-in, after every sign-in change.
func (a *App) wakeOnSignIn(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.signIns.Ready():
			a.signIns.Take()
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = a.Monitor.PollUnreachable(pctx)
			cancel()
			a.Downloads.ResumeSignedIn() // downloads paused for a sign-in go on too
		}
	}
}

// JobChanges subscribes to the monitor's job changes, from now on.
func (a *App) JobChanges() *events.Queue[jobs.Change] { return a.jobChanges.Subscribe() }

// DownloadProgress subscribes to the progress of jobs' downloads, from now on.
func (a *App) DownloadProgress() *events.Queue[results.JobProgress] { return a.downloads.Subscribe() }

// ExportProgress subscribes to the progress of jobs' exports, from now on.
func (a *App) ExportProgress() *events.Queue[export.Progress] { return a.exportProgress.Subscribe() }

// Run tracks jobs, resumes unfinished downloads, submits batches, wakes the jobs
// waiting for a sign-in and tells Endings subscribers of jobs that end, until ctx ends.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.restoreDownloads(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); _ = a.Batches.Run(ctx) }()
	go func() { defer wg.Done(); a.wakeOnSignIn(ctx) }()
	go func() { defer wg.Done(); a.watchEndings(ctx) }()
	err := a.Monitor.Run(ctx)
	cancel()
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Close stops the built-in endpoint's jobs and closes the database; call it after Run
// returned.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.Exporter != nil {
		a.Exporter.Close() // an export stopped halfway is started again by the user
	}
	if a.Downloads != nil {
		errs = append(errs, a.Downloads.Close()) // partial files stay; Run resumes them
	}
	if a.Local != nil {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		errs = append(errs, a.Local.Close(cctx))
		cancel()
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}

// rebaseLocal moves the built-in endpoint's stored URLs to this run's address when the
// app could not get its previous port back (see server.ListenPreferLast), so jobs
// submitted before keep being tracked and their assets stay reachable.
func rebaseLocal(ctx context.Context, st *store.Store, base string, log *slog.Logger) error {
	prev, ok, err := st.Setting(ctx, store.SettingLocalBase)
	if err != nil {
		return err
	}
	if ok && prev != base {
		n, err := st.RebaseLocal(ctx, prev, base)
		if err != nil {
			return err
		}
		log.Info("the built-in endpoint moved: stored URLs rewritten", "from", prev, "to", base, "rows", n)
	}
	return st.SetSetting(ctx, store.SettingLocalBase, base)
}
