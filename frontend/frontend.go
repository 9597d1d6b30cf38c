// Package frontend renders geojobs' user interface: templ components and pages, and the
// embedded static assets (vendored HTMX, styles, scripts, the map component). It renders
// what backend services give it; it does not talk to remote servers itself.
package frontend

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/frontend/pages/batchespage"
	"github.com/geojobs/geojobs/frontend/pages/catalogspage"
	"github.com/geojobs/geojobs/frontend/pages/endpointspage"
	"github.com/geojobs/geojobs/frontend/pages/executepage"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
	"github.com/geojobs/geojobs/frontend/pages/processespage"
	"github.com/geojobs/geojobs/frontend/pages/settingspage"
	"github.com/geojobs/geojobs/frontend/web"
)

//go:embed static
var staticFS embed.FS

// Static is the embedded static tree, rooted at its content (app.css, vendor/…).
func Static() fs.FS {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	return sub
}

// Deps are the backend services the pages use.
type Deps struct {
	Endpoints *endpoints.Registry
	Processes *processes.Directory
	// Jobs are the job pages' dependencies (store, monitor, endpoints, logs).
	Jobs jobspage.Deps
	// Submit creates jobs from the execution form.
	Submit executepage.Submitter
	// KeyNames lists the keystore's key names for the endpoint form; optional.
	KeyNames func(ctx context.Context) []string
	// Settings are the Settings page's dependencies; without its Settings field there is
	// no Settings page and maps use the default preferences.
	Settings settingspage.Deps
	// Batches are the batch pages' dependencies and Batch creates batches from the
	// execution form; both optional.
	Batches *batchespage.Deps
	Batch   executepage.BatchCreator
	// Finder searches STAC catalogs for "Find items" and Catalogs are the Catalogs
	// page's dependencies; both optional.
	Finder   executepage.Finder
	Catalogs *catalogspage.Deps
	Logger   *slog.Logger
}

// New returns the UI's handler. It must be served behind the server's Guard.
func New(d Deps) http.Handler {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/endpoints", http.StatusSeeOther)
	})
	endpointspage.New(d.Endpoints, d.KeyNames, log).Register(mux)
	processespage.New(d.Endpoints, d.Processes, log).Register(mux)
	// Every map follows the user's preferences (tiles, AOI warning).
	mapPrefs := func(ctx context.Context) prefs.Prefs {
		if d.Settings.Settings == nil {
			return prefs.Defaults()
		}
		return prefs.Load(ctx, d.Settings.Settings)
	}
	ex := executepage.New(d.Endpoints, d.Processes, d.Submit, log).WithPrefs(mapPrefs)
	if d.Batch != nil {
		ex.WithBatches(d.Batch)
	}
	if d.Finder != nil {
		ex.WithFinder(d.Finder)
	}
	if d.Catalogs != nil {
		if d.Catalogs.Logger == nil {
			d.Catalogs.Logger = log
		}
		catalogspage.New(*d.Catalogs).Register(mux)
	}
	ex.Register(mux)
	if d.Batches != nil {
		if d.Batches.Logger == nil {
			d.Batches.Logger = log
		}
		batchespage.New(*d.Batches).Register(mux)
	}
	if d.Jobs.Logger == nil {
		d.Jobs.Logger = log
	}
	if d.Jobs.Prefs == nil {
		d.Jobs.Prefs = mapPrefs
	}
	// The job list names the place of a job's area with the map's offline gazetteer.
	jobspage.PlaceNear = PlaceNear
	jobspage.New(d.Jobs).Register(mux)
	if d.Settings.Settings != nil {
		if d.Settings.Logger == nil {
			d.Settings.Logger = log
		}
		settingspage.New(d.Settings).Register(mux)
	}
	// Anything else: a readable "not found" page in the shell, not Go's plain text.
	mux.Handle("/", web.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		return web.NotFound("There is no page at " + r.URL.Path + ".")
	}))
	return mux
}

// staticHandler serves embedded assets; they are small and change with releases, so
// they may be cached for a while.
func staticHandler() http.Handler {
	fsrv := http.FileServerFS(Static())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Files only: a folder's listing is nobody's business.
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if fi, err := fs.Stat(Static(), strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")); err != nil || fi.IsDir() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}
