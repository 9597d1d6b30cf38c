// Package frontend renders geojobs' user interface: templ components and pages, and the
// embedded static assets (vendored HTMX, styles, scripts). It renders what backend services
// give it; it does not talk to remote servers itself.
package frontend

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/a-h/templ"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/pages/home"
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
	// Overview lists the endpoints with their processes for the home page.
	Overview func(ctx context.Context) []home.EndpointView
	Logger   *slog.Logger
}

// New returns the UI's handler.
func New(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "Home", "", home.View(d.Overview(r.Context())))
	})
	return mux
}

// staticHandler serves embedded assets; they are versioned by file name, so they may be cached.
func staticHandler() http.Handler {
	fsrv := http.FileServerFS(Static())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// render writes a full page, or only the main region for an HTMX request, so that one
// component serves a full load (deep links, reload) and a swap.
func render(w http.ResponseWriter, r *http.Request, title string, section components.Section, content templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "HX-Request")
	var c templ.Component
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true" {
		c = components.Main(content)
	} else {
		c = components.Page(title, section, content)
	}
	if err := c.Render(r.Context(), w); err != nil {
		slog.Default().Error("render failed", "page", title, "err", err)
	}
}
