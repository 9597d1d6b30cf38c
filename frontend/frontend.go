// Package frontend is geojobs' user interface: the pages (frontend/pages/<name>page,
// each with its handler, model and templ view), shared components, and the embedded
// static assets (vendored HTMX, styles, scripts, the map component) served by
// StaticHandler. frontend/webapp puts the pages together. The frontend renders what the
// backend services give it and handles requests; it never calls remote servers itself.
package frontend

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
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

// StaticHandler serves the embedded assets (mounted at /static/); they are small and
// change with releases, so they may be cached for a while.
func StaticHandler() http.Handler {
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
