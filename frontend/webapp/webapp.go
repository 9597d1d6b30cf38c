// Package webapp assembles geojobs' application server: the database, the built-in
// endpoint (mounted at LocalPrefix), the endpoint registry, the job monitor and the UI,
// as one handler to serve behind backend/server's Guard. `geojobs serve` and the
// browser tests build it the same way, with Build.
package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/itemfinder"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend"
	"github.com/geojobs/geojobs/frontend/pages/executepage"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
	"github.com/geojobs/geojobs/frontend/pages/keystorepage"
	"github.com/geojobs/geojobs/frontend/pages/settingspage"
)

// LocalPrefix is where the built-in endpoint is mounted inside the app's server.
const LocalPrefix = "/local/ogcapi"

// Options configure Build. DataDir, BaseURL and Token are required.
type Options struct {
	// DataDir holds the database and the built-in endpoint's files.
	DataDir string
	// Version is shown on the Settings page.
	Version string
	// LocalFs is the built-in endpoint's file system (default: the OS's).
	LocalFs afero.Fs
	// BaseURL is the server's root URL ("http://127.0.0.1:PORT/"); the app calls its
	// own built-in endpoint there.
	BaseURL string
	// Token is the Guard's token; the app's own client sends it to the built-in endpoint.
	Token string
	// Credentials resolves keystore keys named by endpoints; optional.
	Credentials endpoints.CredentialsFunc
	// KeyNames lists keystore key names for the endpoint form; optional.
	KeyNames func(ctx context.Context) []string
	// Keystore is the keystore; nil opens the one in DataDir (locked until the Keystore
	// page unlocks it). Credentials and KeyNames default to its keys.
	Keystore *keystore.Store
	Logger   *slog.Logger
	// Notifier shows a native notification when a job ends (the desktop shell's); optional.
	Notifier Notifier
	// OriginAllowed checks a WebSocket handshake's Origin (the server's
	// Guard.OriginAllowed); default: a Guard for BaseURL's port.
	OriginAllowed func(*http.Request) bool
}

// App is the assembled application.
type App struct {
	Handler   http.Handler
	Store     *store.Store
	Endpoints *endpoints.Registry
	Processes *processes.Directory
	Monitor   *jobs.Monitor
	Local     *localep.Server
	LocalURL  string
	// Hub pushes live updates to the pages (GET /ws).
	Hub  *hub.Hub
	live *jobspage.Live
	// Keys is the keystore (locked until unlocked; check Keys.Locked). Exports and
	// s3:// downloads use it: Keys.Get, Keys.Match, Keys.Authorizer.
	Keys *keystore.Store
	// SignIns signs the keystore's oidc keys in and out and keeps their tokens fresh.
	SignIns *oidc.Manager
	// Results gives jobs' results as STAC; Downloads is the download manager (results.go).
	Results   *results.Service
	Downloads *results.Downloads
	// Exports copies results to the keystore's buckets and shares (results.go).
	Exports *export.Exporter
	// Batches submits the members of batches (batches.go).
	Batches *batch.Engine
	finder  *itemfinder.Finder
	log     *slog.Logger
}

// Build opens the database and starts the built-in endpoint; call Run to track jobs
// and Close when done.
func Build(opts Options) (*App, error) {
	if opts.DataDir == "" || opts.BaseURL == "" || opts.Token == "" {
		return nil, errors.New("webapp: DataDir, BaseURL and Token are required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.LocalFs == nil {
		opts.LocalFs = afero.NewOsFs()
	}
	paths := config.Paths{Root: opts.DataDir}
	if err := paths.Ensure(); err != nil {
		return nil, err
	}
	st, err := store.Open(paths.Database())
	if err != nil {
		return nil, err
	}
	a := &App{Store: st, LocalURL: strings.TrimSuffix(opts.BaseURL, "/") + LocalPrefix + "/", Keys: opts.Keystore}
	if err := rebaseLocal(context.Background(), st, a.LocalURL, log); err != nil {
		st.Close()
		return nil, err
	}
	if a.Keys == nil {
		if a.Keys, err = keystore.Open(keystore.Config{Dir: opts.DataDir}); err != nil {
			st.Close()
			return nil, fmt.Errorf("opening the keystore: %w", err)
		}
	}
	if opts.Credentials == nil {
		opts.Credentials = keyCredentials(a.Keys)
	}
	if opts.KeyNames == nil {
		opts.KeyNames = httpKeyNames(a.Keys)
	}
	a.Local, err = localep.New(localep.Options{DataDir: paths.LocalEndpoint(), Fs: opts.LocalFs,
		Logger: log.With("component", "local-endpoint"), Title: "Local", BasePath: LocalPrefix,
		HTTPClient: selfClient(opts.BaseURL, opts.Token)})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("starting the built-in endpoint: %w", err)
	}
	a.Endpoints, err = endpoints.New(endpoints.Options{Store: st, LocalURL: a.LocalURL,
		LocalCredentials: ogcapi.Bearer(opts.Token), Credentials: opts.Credentials, Logger: log.With("component", "endpoints")})
	if err != nil {
		_ = a.Close(context.Background())
		return nil, err
	}
	if a.Processes, err = processes.New(processes.Options{Clients: a.Endpoints}); err != nil {
		_ = a.Close(context.Background())
		return nil, err
	}
	if err := a.buildLive(opts, log); err != nil {
		_ = a.Close(context.Background())
		return nil, err
	}
	a.Monitor, err = jobs.New(jobs.Config{Store: st, Logger: log.With("component", "jobs"), OnChange: func(c jobs.Change) { a.live.OnChange(c); a.onJobChange(c); a.Batches.Notify() },
		ClientFor: func(id string) (jobs.Remote, error) { return a.Endpoints.Client(context.Background(), id) }})
	if err != nil {
		_ = a.Close(context.Background())
		return nil, err
	}
	a.buildBatches(log)
	// oidc keys: tokens renewed for every request; after a sign-in, jobs waiting
	// for it are asked about at once.
	a.SignIns = oidc.New(oidc.Config{Store: a.Keys, Logger: log.With("component", "oidc")})
	a.SignIns.OnChange(func(string) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Monitor.PollUnreachable(ctx)
		}()
	})
	mux := http.NewServeMux()
	mux.Handle(LocalPrefix+"/", http.StripPrefix(LocalPrefix, a.Local.Handler()))
	keystorepage.New(a.Keys, keyRemote{keys: a.Keys}, log).WithSignIn(a.SignIns).Register(mux)
	rpage, err := a.buildResults(opts, log)
	if err != nil {
		_ = a.Close(context.Background())
		return nil, err
	}
	resultsRoutes(mux, rpage)
	a.log = log
	mux.Handle("GET /ws", a.Hub)
	mux.Handle("/", frontend.New(frontend.Deps{Endpoints: a.Endpoints, Processes: a.Processes, Jobs: a.jobsDeps(log), Submit: submitter{a.Monitor},
		KeyNames: opts.KeyNames, Settings: a.settingsDeps(opts, paths), Logger: log,
		Batches: a.batchDeps(), Batch: batchCreator{a.Batches}, Finder: a.buildFinder(opts), Catalogs: a.catalogDeps(opts)}))
	a.Handler = mux
	return a, nil
}

// Run tracks jobs until ctx ends.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	wait := a.runLive(ctx)
	a.restoreDownloads(ctx, a.log)
	go a.Batches.Run(ctx) //nolint:errcheck // ends with ctx
	err := a.Monitor.Run(ctx)
	cancel()
	wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Close stops the built-in endpoint's jobs and closes the database.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.Exports != nil {
		a.Exports.Close() // an export stopped halfway is started again by the user
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

// submitter submits the execution form's jobs through the monitor, which stores each
// job before sending it and tracks it afterwards.
type submitter struct{ mon *jobs.Monitor }

func (s submitter) Submit(ctx context.Context, sub executepage.Submission) (string, error) {
	desc, err := json.Marshal(sub.Process)
	if err != nil {
		return "", err
	}
	p := *sub.Process
	if sub.Mode == ogcapi.SyncExecute {
		// The monitor asks for async execution whenever the process allows it; a
		// description that allows only sync makes it send no Prefer header.
		p.JobControlOptions = []string{ogcapi.SyncExecute}
	}
	j, err := s.mon.Submit(ctx, jobs.Submission{EndpointID: sub.EndpointID, ProcessID: sub.ProcessID,
		Process: &p, Description: desc, Request: sub.Request, AOI: sub.AOI})
	return j.ID, err
}

// settingsDeps are the Settings page's: the preferences in the store, the data paths
// and the keystore's state.
func (a *App) settingsDeps(opts Options, p config.Paths) settingspage.Deps {
	return settingspage.Deps{
		Settings: a.Store, Version: opts.Version,
		Paths: settingspage.Paths{DataDir: p.Root, Database: p.Database(), Keystore: a.Keys.Path(),
			LogFile: p.LogFile(), LocalEndpoint: p.LocalEndpoint()},
		KeystoreState: func() string {
			how := "not created yet"
			switch a.Keys.Protection() {
			case keystore.ProtectedByKeychain:
				how = "protected by the OS keychain"
			case keystore.ProtectedByPassphrase:
				how = "protected by a passphrase"
			}
			if a.Keys.Locked() {
				return "locked, " + how
			}
			return "unlocked, " + how
		},
	}
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
