// Package server is geojobs' local HTTP server: a loopback-only listener and the guard
// every request passes (Host allowlist against DNS rebinding, a per-launch token exchanged
// for a cookie, an Origin check on state-changing requests and WebSocket handshakes,
// security headers). It serves whatever handler it is given; it knows nothing of pages.
package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// TokenParam is the query parameter of the launch URL that carries the token.
const TokenParam = "token"

// NewToken returns a fresh random per-launch token (256 bits, URL-safe).
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("server: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Guard checks every request before it reaches the application handler.
type Guard struct {
	// Port is the port the listener is bound to; Host headers must name it.
	Port int
	// Token is the per-launch secret.
	Token string
	// TrustedOrigins are origins allowed besides the page's own (e.g. "wails://wails").
	TrustedOrigins []string
	// ConnectSrc is added to the CSP connect-src (e.g. a loopback WebSocket URL in desktop mode).
	ConnectSrc []string
	Logger     *slog.Logger
}

// CookieName is the session cookie's name. It carries the port, because browsers share
// cookies between ports of the same host.
func (g *Guard) CookieName() string { return "geojobs_" + strconv.Itoa(g.Port) }

// hostAllowed reports whether the Host header names this server on a loopback name.
func (g *Guard) hostAllowed(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port != strconv.Itoa(g.Port) {
		return false
	}
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// OriginAllowed reports whether the request's Origin is the page's own origin or a
// trusted one. A request without Origin is allowed only when Sec-Fetch-Site does not
// say it is cross-site (non-browser clients send neither).
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
	return g.hostAllowed(u.Host) && strings.EqualFold(u.Host, r.Host)
}

func (g *Guard) tokenOK(s string) bool {
	return s != "" && subtle.ConstantTimeCompare([]byte(s), []byte(g.Token)) == 1
}

// authenticated reports whether the request carries the session cookie or the token as
// a bearer header (for geojobs' own client calling the built-in endpoint).
func (g *Guard) authenticated(r *http.Request) bool {
	if c, err := r.Cookie(g.CookieName()); err == nil && g.tokenOK(c.Value) {
		return true
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return g.tokenOK(strings.TrimSpace(a[7:]))
	}
	return false
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Wrap returns h behind the guard.
func (g *Guard) Wrap(h http.Handler) http.Handler {
	log := g.Logger
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.setHeaders(w)
		if !g.hostAllowed(r.Host) {
			log.Warn("refused request: Host not allowed (DNS rebinding?)", "host", r.Host, "path", r.URL.Path)
			deny(w, http.StatusMisdirectedRequest, "This server answers only to 127.0.0.1, localhost or [::1] on its own port.")
			return
		}
		if (!isSafe(r.Method) || isWebSocket(r)) && !g.OriginAllowed(r) {
			log.Warn("refused request: foreign origin", "origin", r.Header.Get("Origin"), "method", r.Method, "path", r.URL.Path)
			deny(w, http.StatusForbidden, "Requests from other sites are refused.")
			return
		}
		if t := r.URL.Query().Get(TokenParam); t != "" && isSafe(r.Method) {
			if !g.tokenOK(t) {
				deny(w, http.StatusUnauthorized, "This link's token is not valid for this run of geojobs. Use the link geojobs printed when it started.")
				return
			}
			http.SetCookie(w, &http.Cookie{
				Name: g.CookieName(), Value: g.Token, Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode,
			})
			clean := *r.URL
			q := clean.Query()
			q.Del(TokenParam)
			clean.RawQuery = q.Encode()
			http.Redirect(w, r, clean.RequestURI(), http.StatusSeeOther)
			return
		}
		if !g.authenticated(r) {
			deny(w, http.StatusUnauthorized, "Open geojobs with the link it printed when it started: that link carries this run's access token.")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (g *Guard) setHeaders(w http.ResponseWriter) {
	connect := "'self'"
	if len(g.ConnectSrc) > 0 {
		connect += " " + strings.Join(g.ConnectSrc, " ")
	}
	// Own WebSocket, whichever loopback name the page was opened with.
	p := strconv.Itoa(g.Port)
	connect += " ws://127.0.0.1:" + p + " ws://localhost:" + p + " ws://[::1]:" + p
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' data: blob: https:; connect-src "+connect+"; worker-src 'self' blob:; "+
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func deny(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte("<!doctype html><meta charset=utf-8><title>geojobs</title><p>" + html.EscapeString(msg) + "</p>\n"))
}
