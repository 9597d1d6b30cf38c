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
// the application's services, and its paths are listed here with the handlers that
// serve them.
func (u *UI) routes(log *slog.Logger) http.Handler {
	a := u.app
	// Every map follows the user's preferences (tiles, AOI warning).
	mapPrefs := func(ctx context.Context) prefs.Prefs { return prefs.Load(ctx, a.Store) }
	// The job list names the place of a job's area with the map's offline gazetteer.
	jobspage.PlaceNear = frontend.PlaceNear

	mux := http.NewServeMux()
	// page routes a page's handler: its errors become error pages (web.Handle).
	page := func(pattern string, h web.HandlerFunc) { mux.Handle(pattern, web.Handle(log, h)) }

	// The built-in OGC API – Processes endpoint (and its STAC API under /stac/).
	mux.Handle(application.LocalPrefix+"/", http.StripPrefix(application.LocalPrefix, a.Local.Handler()))
	// The live connection: the hub pushes rendered fragments to subscribed pages.
	mux.Handle("GET /ws", u.Hub)
	mux.Handle("GET /static/", http.StripPrefix("/static/", frontend.StaticHandler()))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/endpoints", http.StatusSeeOther)
	})

	// Endpoints: the OGC API – Processes servers, their connection tests.
	ep := endpointspage.New(a.Endpoints, a.KeyNames, log)
	page("GET /endpoints", ep.List)
	page("GET /endpoints/new", ep.NewForm)
	page("POST /endpoints", ep.Create)
	page("POST /endpoints/test", ep.TestInput)
	page("GET /endpoints/{id}", ep.Detail)
	page("GET /endpoints/{id}/test", ep.Test)
	page("GET /endpoints/{id}/edit", ep.EditForm)
	page("POST /endpoints/{id}", ep.Update)
	page("POST /endpoints/{id}/delete", ep.Remove)

	// Processes: an endpoint's processes, a process's description, deploying packages.
	pp := processespage.New(a.Endpoints, a.Processes, log)
	page("GET /processes", pp.List)
	page("GET /endpoints/{eid}/processes", pp.ListOf)
	page("GET /endpoints/{eid}/processes/{pid}", pp.Detail)
	page("GET /endpoints/{eid}/processes/{pid}/undeploy", pp.UndeployConfirm)
	page("POST /endpoints/{eid}/processes/{pid}/undeploy", pp.Undeploy)
	page("GET /endpoints/{eid}/deploy", pp.DeployPage)
	page("POST /endpoints/{eid}/deploy", pp.Deploy)

	// Execute: the execution form, and its "Find items" in STAC catalogs.
	ex := executepage.New(executepage.Deps{Endpoints: a.Endpoints, Processes: a.Processes, Submit: a.Monitor,
		Prefs: mapPrefs, Batches: a.Batches, Finder: a.Finder, Logger: log})
	page("GET /endpoints/{eid}/processes/{pid}/execute", ex.Show)
	page("POST /endpoints/{eid}/processes/{pid}/execute", ex.Post)
	page("GET /endpoints/{eid}/processes/{pid}/find/panel", ex.FindPanel)
	page("GET /endpoints/{eid}/processes/{pid}/find/collections", ex.FindCollections)
	page("POST /endpoints/{eid}/processes/{pid}/find/search", ex.FindSearch)
	page("GET /find/footprints/{id}", ex.FindFootprints)

	// Catalogs: the saved STAC catalogs "Find items" searches.
	cp := catalogspage.New(catalogspage.Deps{Store: a.Store, KeyNames: a.KeyNames, Changed: a.Finder.Forget, Logger: log})
	page("GET /catalogs", cp.List)
	page("POST /catalogs", cp.Create)
	page("POST /catalogs/{id}/delete", cp.Remove)

	// Batches: one process run over many items, features or dates.
	u.batches = batchespage.New(batchespage.Deps{Store: a.Store, Engine: a.Batches, Dismiss: a.Monitor.Dismiss, Logger: log,
		Downloads: a.Downloads, Publisher: u.Hub, DefaultDir: func(ctx context.Context, id string) string { return a.DownloadDir(ctx, "batch-"+id) },
		Merged: func(ctx context.Context, id string) (*stac.ItemCollection, int, error) {
			return batch.Merged(ctx, a.Store, id)
		}})
	bp := u.batches
	page("GET /batches", bp.List)
	page("GET /batches/{id}", bp.Show)
	page("GET /batches/{id}/summary", bp.ShowSummary)
	page("GET /batches/{id}/items.json", bp.Items)
	page("GET /batches/{id}/map.geojson", bp.MapData)
	page("POST /batches/{id}/retry", bp.Retry)
	page("POST /batches/{id}/dismiss", bp.Dismiss)
	page("POST /batches/{id}/hide", bp.Hide)
	page("POST /batches/{id}/limit", bp.Limit)
	page("GET /batches/{id}/downloads", bp.Downloads)
	page("POST /batches/{id}/downloads", bp.DownloadAll)

	// Jobs: the job list and a job's page.
	jp := jobspage.New(jobspage.Deps{Store: a.Store, Monitor: a.Jobs, Endpoints: a.Endpoints, Logs: a.Logs,
		Prefs: mapPrefs, Logger: log})
	page("GET /jobs", jp.List)
	page("POST /jobs/bulk", jp.Bulk)
	page("POST /jobs/import", jp.ImportJobs)
	page("POST /jobs/notifications", jp.Notifications)
	page("GET /jobs/{id}", jp.Job)
	page("GET /jobs/{id}/log", jp.JobLog)
	page("GET /jobs/{id}/inputs.geojson", jp.InputsGeoJSON)
	page("POST /jobs/{id}/dismiss", jp.Dismiss)
	page("POST /jobs/{id}/rerun", jp.Rerun)
	page("POST /jobs/{id}/refresh", jp.Refresh)
	page("POST /jobs/{id}/label", jp.Label)

	// Results: a job's outputs and items, their assets, downloads and exports.
	u.results = resultspage.New(resultspage.Deps{Jobs: a.Store, Results: a.Results, Downloads: a.Downloads,
		Exports: a.Exports, Publisher: u.Hub, DefaultDir: a.DownloadDir, Prefs: mapPrefs, Logger: log})
	rp := u.results
	page("GET /jobs/{id}/results", rp.Page)
	page("GET /jobs/{id}/results.json", rp.ExportJSON)
	page("GET /jobs/{id}/map.geojson", rp.MapData)
	page("GET /jobs/{id}/outputs", rp.Outputs)
	mux.HandleFunc("GET /jobs/{id}/assets/{item}/{asset}", rp.Asset) // writes its own errors (a proxy)
	page("GET /jobs/{id}/downloads", rp.Panel)
	page("POST /jobs/{id}/downloads", rp.Start)
	page("POST /jobs/{id}/downloads/check", rp.CheckFolder)
	page("POST /jobs/{id}/downloads/{op}", rp.Control)
	page("POST /jobs/{id}/downloads/{task}/{op}", rp.Control)
	page("GET /jobs/{id}/exports", rp.ExportPanel)
	page("POST /jobs/{id}/exports", rp.StartExport)
	page("POST /jobs/{id}/exports/cancel", rp.CancelExport)

	// Keystore: credentials, the bucket picker of the execution form, sign-ins
	// (from the desktop window a sign-in opens the system browser).
	kp := keystorepage.New(keystorepage.Deps{Keys: a.Keys, Remote: a.KeyRemote, SignIns: a.SignIns, OpenURL: u.openURL,
		Logger: log})
	page("GET /keystore", kp.List)
	page("POST /keystore/unlock", kp.Unlock)
	page("POST /keystore/lock", kp.Lock)
	page("GET /keystore/new", kp.NewForm)
	page("POST /keystore", kp.Create)
	page("GET /keystore/pick", kp.Pick)
	page("GET /keystore/pick/browse", kp.Browse)
	page("GET /keystore/pick/object", kp.PickObject)
	page("GET /keystore/pick/ref", kp.PickRef)
	page("GET /keystore/keys/{name}", kp.Detail)
	page("GET /keystore/keys/{name}/edit", kp.EditForm)
	page("POST /keystore/keys/{name}", kp.Update)
	page("POST /keystore/keys/{name}/delete", kp.Remove)
	page("POST /keystore/keys/{name}/test", kp.Test)
	page("POST /keystore/keys/{name}/export", kp.Export)
	page("POST /keystore/keys/{name}/signin", kp.BeginSignIn)
	page("GET /keystore/keys/{name}/signin", kp.SignInStatus)
	page("POST /keystore/keys/{name}/signout", kp.SignOut)

	// Settings: preferences, how the built-in endpoint runs CWL packages, paths.
	sp := settingspage.New(settingspage.Deps{Settings: a.Store, Version: a.Version, KeystoreState: keystoreState(a.Keys), Logger: log,
		Packages: a.Local,
		Paths: settingspage.Paths{DataDir: a.Paths.Root, Database: a.Paths.Database(), Keystore: a.Keys.Path(),
			LogFile: a.Paths.LogFile(), LocalEndpoint: a.Paths.LocalEndpoint()}})
	page("GET /settings", sp.Show)
	page("POST /settings", sp.Save)
	page("POST /settings/packages", sp.SavePackages)

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
