package server

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// OriginAllowed reports whether the request's Origin is the page's own origin or a
// trusted one. A request without Origin is allowed only when Sec-Fetch-Site does not
// say it is cross-site (non-browser clients send neither). The WebSocket hub uses it
// for handshakes.
func (g *Guard) OriginAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		site := r.Header.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin" || site == "none"
	}
	for _, t := range g.TrustedOrigins {
		if origin == t {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" || u.Path != "" {
		return false
	}
	return LoopbackHost(u.Host, g.Port) && strings.EqualFold(u.Host, r.Host)
}

// crossOrigin refuses state-changing requests from other sites with Go's
// http.CrossOriginProtection (Sec-Fetch-Site, else Origin against Host; trusted origins
// such as the desktop webview's pass), and WebSocket handshakes (GETs, which it lets
// through) whose Origin is not allowed.
func crossOrigin(allowed func(*http.Request) bool, trusted []string, log *slog.Logger) Middleware {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			log.Warn("ignoring a trusted origin", "origin", o, "err", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Warn("refused request: foreign origin", "origin", r.Header.Get("Origin"), "method", r.Method, "path", r.URL.Path)
		deny(w, http.StatusForbidden, "Requests from other sites are refused.")
	}))
	return func(next http.Handler) http.Handler {
		ws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") && !allowed(r) {
				log.Warn("refused WebSocket: foreign origin", "origin", r.Header.Get("Origin"), "path", r.URL.Path)
				deny(w, http.StatusForbidden, "Requests from other sites are refused.")
				return
			}
			next.ServeHTTP(w, r)
		})
		return cop.Handler(ws)
	}
}
