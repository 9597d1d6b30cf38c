// Package server is geojobs' local HTTP server: a loopback-only listener and the guard
// every request passes (Host allowlist against DNS rebinding, a per-launch session,
// cross-origin protection for state-changing requests and WebSocket handshakes,
// security headers). It serves whatever handler it is given; it knows nothing of pages.
package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// TokenParam is the query parameter of the printed launch URL that carries the token.
const TokenParam = "token"

// LaunchParam is the query parameter of the URL given to the browser opener: a
// single-use code the guard exchanges for the session (the token never sits on a
// process command line).
const LaunchParam = "launch"

// NewToken returns a fresh random secret (256 bits, URL-safe).
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
	// Token is the per-launch API secret: the bearer token of geojobs' own clients and
	// the CLI, and the value of the printed launch link. It is never a cookie.
	Token string
	// Session is the value of the browser's session cookie (empty: a fresh one on first
	// use). Keeping it across launches (LoadSession) keeps open tabs signed in.
	Session string
	// TrustedOrigins are origins allowed besides the page's own (e.g. "wails://wails").
	TrustedOrigins []string
	// ConnectSrc is added to the CSP connect-src (e.g. a loopback WebSocket URL in desktop mode).
	ConnectSrc []string
	// PushToken, when set, authorizes WebSocket handshakes only, as the PushTokenParam
	// query parameter (the desktop window's page, which has no cookie here). It must
	// differ from Token.
	PushToken string
	Logger    *slog.Logger

	once     sync.Once
	mu       sync.Mutex
	launches map[string]time.Time // single-use launch codes → expiry
}

// CookieName is the session cookie's name. It carries the port, because browsers share
// cookies between ports of the same host.
func (g *Guard) CookieName() string { return "geojobs_session_" + strconv.Itoa(g.Port) }

func (g *Guard) init() {
	g.once.Do(func() {
		if g.Session == "" {
			g.Session = NewToken()
		}
		if g.Logger == nil {
			g.Logger = slog.Default()
		}
	})
}

func (g *Guard) tokenOK(s string) bool {
	return s != "" && subtle.ConstantTimeCompare([]byte(s), []byte(g.Token)) == 1
}

func (g *Guard) sessionOK(s string) bool {
	g.init()
	return s != "" && subtle.ConstantTimeCompare([]byte(s), []byte(g.Session)) == 1
}

// Wrap returns h behind the guard: a chain of small middlewares, outermost first.
func (g *Guard) Wrap(h http.Handler) http.Handler {
	g.init()
	return Chain(h,
		// Every answer, refusals included, carries the CSP and the other headers.
		securityHeaders(g.Port, g.ConnectSrc),
		// DNS rebinding: only loopback names on our own port.
		hostAllowlist(g.Port, g.Logger),
		// Non-GET requests from other sites (http.CrossOriginProtection), and
		// WebSocket handshakes from foreign origins.
		crossOrigin(g.OriginAllowed, g.TrustedOrigins, g.Logger),
		// The printed link's token or the browser opener's launch code becomes the
		// session cookie.
		g.launchExchange,
		// A WebSocket handshake may carry the push token in its URL instead.
		pushToken(g.pushOK, g.Token, g.Logger),
		// Everything else needs the session cookie or the bearer token.
		requireAuth(g.sessionOK, g.tokenOK, g.CookieName()),
	)
}

func deny(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write([]byte("<!doctype html><meta charset=utf-8><title>geojobs</title><p>" + html.EscapeString(msg) + "</p>\n"))
}
