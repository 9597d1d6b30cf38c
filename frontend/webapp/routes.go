package webapp

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/frontend"
	"github.com/geojobs/geojobs/frontend/pages/batchespage"
	"github.com/geojobs/geojobs/frontend/pages/catalogspage"
	"github.com/geojobs/geojobs/frontend/pages/endpointspage"
	"github.com/geojobs/geojobs/frontend/pages/executepage"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
	"github.com/geojobs/geojobs/frontend/pages/keystorepage"
	"github.com/geojobs/geojobs/frontend/pages/processespage"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
	"github.com/geojobs/geojobs/frontend/pages/settingspage"
	"github.com/geojobs/geojobs/frontend/web"
)

// routes is every route of the app's server, in one place: each page is made from
// the application's services and registers its own paths (listed beside it).
func (u *UI) routes(log *slog.Logger) http.Handler {
	a := u.app
	// Every map follows the user's preferences (tiles, AOI warning).
	mapPrefs := func(ctx context.Context) prefs.Prefs { return prefs.Load(ctx, a.Store) }
	// The job list names the place of a job's area with the map's offline gazetteer.
	jobspage.PlaceNear = frontend.PlaceNear

	mux := http.NewServeMux()
	// The built-in OGC API – Processes endpoint (and its STAC API under /stac/).
	mux.Handle(application.LocalPrefix+"/", http.StripPrefix(application.LocalPrefix, a.Local.Handler()))
	// The live connection: the hub pushes rendered fragments to subscribed pages.
	mux.Handle("GET /ws", u.Hub)
	mux.Handle("GET /static/", http.StripPrefix("/static/", frontend.StaticHandler()))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/endpoints", http.StatusSeeOther)
	})
	// /endpoints, /endpoints/{id}, /endpoints/test, …
	endpointspage.New(a.Endpoints, a.KeyNames, log).Register(mux)
	// /processes, /endpoints/{eid}/processes/{pid}, deploy, preview, undeploy
	processespage.New(a.Endpoints, a.Processes, log).Register(mux)
	// /endpoints/{eid}/processes/{pid}/execute and its "Find items" (…/find/…, /find/footprints/{id})
	executepage.New(executepage.Deps{Endpoints: a.Endpoints, Processes: a.Processes, Submit: a.Monitor,
		Prefs: mapPrefs, Batches: a.Batches, Finder: a.Finder, Logger: log}).Register(mux)
	// /catalogs (saved STAC catalogs)
	catalogspage.New(catalogspage.Deps{Store: a.Store, KeyNames: a.KeyNames, Changed: a.Finder.Forget, Logger: log}).Register(mux)
	// /batches, /batches/{id}/…
	batchespage.New(batchespage.Deps{Store: a.Store, Engine: a.Batches, Dismiss: a.Monitor.Dismiss, Logger: log,
		Downloads: a.Downloads, DefaultDir: func(ctx context.Context, id string) string { return a.DownloadDir(ctx, "batch-"+id) },
		Merged: func(ctx context.Context, id string) (*stac.ItemCollection, int, error) {
			return batch.Merged(ctx, a.Store, id)
		}}).Register(mux)
	// /jobs, /jobs/{id}, /jobs/{id}/log, dismiss, rerun, refresh, label, bulk, import
	jobspage.New(jobspage.Deps{Store: a.Store, Monitor: a.Jobs, Endpoints: a.Endpoints, Logs: a.Logs,
		Prefs: mapPrefs, Logger: log}).Register(mux)
	// /jobs/{id}/results, outputs, assets, downloads, exports
	u.results = resultspage.New(resultspage.Deps{Jobs: a.Store, Results: a.Results, Downloads: a.Downloads,
		Exports: a.Exports, Publisher: u.Hub, DefaultDir: a.DownloadDir, Prefs: mapPrefs, Logger: log})
	u.results.Register(mux)
	// /keystore, /keystore/keys/{name}/…
	// (from the desktop window a sign-in opens the system browser)
	keystorepage.New(keystorepage.Deps{Keys: a.Keys, Remote: a.KeyRemote, SignIns: a.SignIns, OpenURL: u.openURL,
		Logger: log}).Register(mux)
	// /settings
	settingspage.New(settingspage.Deps{Settings: a.Store, Version: a.Version, KeystoreState: keystoreState(a.Keys), Logger: log,
		Packages: a.Local, // how the built-in endpoint runs CWL packages
		Paths: settingspage.Paths{DataDir: a.Paths.Root, Database: a.Paths.Database(), Keystore: a.Keys.Path(),
			LogFile: a.Paths.LogFile(), LocalEndpoint: a.Paths.LocalEndpoint()}}).Register(mux)
	// Anything else: a readable "not found" page in the shell, not Go's plain text.
	mux.Handle("/", web.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		return web.NotFound("There is no page at " + r.URL.Path + ".")
	}))
	return mux
}

// keystoreState describes the keystore for the Settings page.
func keystoreState(keys *keystore.Store) func() string {
	return func() string {
		how := "not created yet"
		switch keys.Protection() {
		case keystore.ProtectedByKeychain:
			how = "protected by the OS keychain"
		case keystore.ProtectedByPassphrase:
			how = "protected by a passphrase"
		}
		if keys.Locked() {
			return "locked, " + how
		}
		return "unlocked, " + how
	}
}
