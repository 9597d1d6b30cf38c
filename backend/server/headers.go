package server

import (
	"net/http"
	"strconv"
	"strings"
)

// CSP is the Content-Security-Policy of every page, with connect-src extra sources
// (WebSocket URLs). Only sources browsers accept are listed: Chromium rejects an IPv6
// host source such as ws://[::1]:PORT, and 'self' already covers the page's own
// WebSocket whatever loopback name it was opened with.
func CSP(port int, connectSrc []string) string {
	connect := []string{"'self'"}
	connect = append(connect, connectSrc...)
	p := strconv.Itoa(port)
	connect = append(connect, "ws://127.0.0.1:"+p, "ws://localhost:"+p)
	return "default-src 'self'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data: blob: https:; connect-src " + strings.Join(connect, " ") + "; worker-src 'self' blob:; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
}

// securityHeaders sets the CSP and the other security headers on every answer.
func securityHeaders(port int, connectSrc []string) Middleware {
	csp := CSP(port, connectSrc)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hd := w.Header()
			hd.Set("Content-Security-Policy", csp)
			hd.Set("X-Content-Type-Options", "nosniff")
			hd.Set("X-Frame-Options", "DENY")
			hd.Set("Referrer-Policy", "no-referrer")
			hd.Set("Cross-Origin-Opener-Policy", "same-origin")
			next.ServeHTTP(w, r)
		})
	}
}
