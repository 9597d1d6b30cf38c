package app

import (
	"context"
	_ "embed"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

//go:embed desktop.js
var desktopJS []byte

// Native is what the page may ask of the desktop; the Wails shell implements it.
type Native interface {
	// PickFolder shows the native folder picker; it returns "" when the user cancels.
	PickFolder(ctx context.Context, title, start string) (string, error)
}

// Settings are the preferences the desktop endpoints read and change (the shell
// keeps them in the database, as the Settings page does).
type Settings interface {
	DownloadsDir(ctx context.Context) string
	SetDownloadsDir(ctx context.Context, dir string) error
}

// WebviewOptions configure WebviewHandler.
type WebviewOptions struct {
	// App is the application handler (webapp.UI.Handler).
	App http.Handler
	// PushURL is the desktop topic's WebSocket URL, with its token (Loopback.WebSocketURL(DesktopPath)).
	PushURL string
	// ConnectSrc are the CSP connect-src sources besides 'self' (the loopback ws:// origin).
	ConnectSrc []string
	Native     Native
	Settings   Settings
	// SelfTest marks the page for the desktop self-test (desktop.js answers its probes).
	SelfTest bool
	Logger   *slog.Logger
}

// WebviewHandler is the handler the Wails AssetServer serves to the window. Requests
// reach it in-process, only from the webview (Wails answers only its own host), so it
// needs no token; it checks instead that state-changing requests come from the page
// itself (a remote page the webview was navigated to must not post to it), sets the
// security headers the Guard sets in browser mode, serves the desktop endpoints under
// /desktop/, and marks the app's requests as the desktop window's (web.DesktopShell), so
// that the layout adds the desktop's tags itself: the Wails runtime scripts, desktop.js
// and the desktop topic's WebSocket URL (<meta name="geojobs-ws">).
func WebviewHandler(o WebviewOptions) http.Handler {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	csp := webviewCSP(o.ConnectSrc)
	desktop := web.DesktopShell(components.Desktop{PushURL: o.PushURL, SelfTest: o.SelfTest})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /desktop/desktop.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(desktopJS)
	})
	mux.HandleFunc("GET /desktop/downloads-folder", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"path": o.Settings.DownloadsDir(r.Context())})
	})
	// Choose… beside a folder field (app.js): the native picker opens at start (the
	// field's value) or else at the downloads folder. The folder chosen is stored as
	// the downloads folder unless save=0 (a field that only wants a path: the results
	// page's destination, the Settings form, whose Save button stores it).
	mux.HandleFunc("POST /desktop/downloads-folder", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "The request could not be read."})
			return
		}
		start := r.PostForm.Get("start")
		if start == "" {
			start = o.Settings.DownloadsDir(r.Context())
		}
		dir, err := o.Native.PickFolder(r.Context(), "Choose the downloads folder", start)
		if err != nil {
			log.Error("folder picker", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "The folder picker could not be shown."})
			return
		}
		if dir == "" {
			w.WriteHeader(http.StatusNoContent) // cancelled
			return
		}
		if r.PostForm.Get("save") == "0" {
			writeJSON(w, http.StatusOK, map[string]string{"path": dir})
			return
		}
		if err := o.Settings.SetDownloadsDir(r.Context(), dir); err != nil {
			log.Error("saving the downloads folder", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "The folder could not be saved."})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"path": dir})
	})
	mux.Handle("/", clientRedirects(desktop(o.App)))

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if !safeMethod(r.Method) && !fromWebview(r) {
			log.Warn("refused request to the window's handler: foreign origin", "origin", r.Header.Get("Origin"), "path", r.URL.Path)
			http.Error(w, "Requests from other sites are refused.", http.StatusForbidden)
			return
		}
		log.Debug("webview request", "method", r.Method, "path", r.URL.Path)
		mux.ServeHTTP(w, r)
	})
}

// nearestDir is the folder a picker opens at for start: start itself, or the nearest of
// its parents that exists (a job's download folder is made only when it downloads),
// or "" (the picker's own default) when start is empty or relative.
func nearestDir(start string) string {
	if start == "" || !filepath.IsAbs(start) {
		return ""
	}
	for d := filepath.Clean(start); ; {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
		p := filepath.Dir(d)
		if p == d {
			return ""
		}
		d = p
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// fromWebview reports whether a state-changing request comes from the window's own
// page: an Origin that is a webview origin, or no Origin with Sec-Fetch-Site saying
// same-origin (WebKit omits Origin on some same-origin requests).
func fromWebview(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		s := r.Header.Get("Sec-Fetch-Site")
		return s == "" || s == "same-origin" || s == "none"
	}
	for _, w := range WebviewOrigins {
		if o == w {
			return true
		}
	}
	return false
}

func webviewCSP(connect []string) string {
	c := "'self'"
	if len(connect) > 0 {
		c += " " + strings.Join(connect, " ")
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; " +
		"connect-src " + c + "; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; " +
		"form-action 'self'; object-src 'none'"
}

// clientRedirects turns redirects into something the webview follows: WebKitGTK does
// not follow a redirect answered by a custom-scheme handler (the window stays blank),
// so a navigation gets a tiny page that refreshes to the target, and an HTMX request
// gets HX-Redirect.
func clientRedirects(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&redirectWriter{ResponseWriter: w, htmx: r.Header.Get("HX-Request") == "true"}, r)
	})
}

type redirectWriter struct {
	http.ResponseWriter
	htmx       bool
	redirected bool
}

func (w *redirectWriter) WriteHeader(code int) {
	loc := w.Header().Get("Location")
	if code < 300 || code > 399 || code == http.StatusNotModified || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.redirected = true
	h := w.Header()
	h.Del("Location")
	h.Set("Cache-Control", "no-store")
	if w.htmx {
		h.Set("HX-Redirect", loc)
		w.ResponseWriter.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.ResponseWriter.WriteHeader(http.StatusOK)
	e := html.EscapeString(loc)
	_, _ = w.ResponseWriter.Write([]byte(`<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=` + e +
		`"><title>geojobs</title><a href="` + e + `">Continue</a>` + "\n"))
}

func (w *redirectWriter) Write(p []byte) (int, error) {
	if w.redirected {
		return len(p), nil // the handler's own redirect body
	}
	return w.ResponseWriter.Write(p)
}

func (w *redirectWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
