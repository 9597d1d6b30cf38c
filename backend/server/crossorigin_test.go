package server

import (
	"log/slog"
	"net/http/httptest"
	"testing"
)

func TestCrossOrigin(t *testing.T) {
	g := &Guard{Port: 4242, TrustedOrigins: []string{"wails://wails"}}
	h := crossOrigin(g.OriginAllowed, g.TrustedOrigins, slog.New(slog.DiscardHandler))(ok200())
	cases := []struct {
		method, origin, site, upgrade string
		want                          int
	}{
		{"POST", "https://evil.example", "", "", 403},
		{"POST", "http://localhost:4242", "", "", 403}, // another name than the Host: another origin
		{"POST", "null", "", "", 403},
		{"DELETE", "", "cross-site", "", 403},
		{"POST", "", "same-site", "", 403},
		{"POST", "http://127.0.0.1:4242", "", "", 200},
		{"POST", "", "same-origin", "", 200},
		{"POST", "wails://wails", "cross-site", "", 200},
		{"POST", "", "", "", 200}, // a non-browser client
		{"GET", "https://evil.example", "cross-site", "", 200},
		{"GET", "https://evil.example", "", "websocket", 403},
		{"GET", "http://127.0.0.1:4242", "", "websocket", 200},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, "http://127.0.0.1:4242/x", nil)
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if c.site != "" {
			req.Header.Set("Sec-Fetch-Site", c.site)
		}
		if c.upgrade != "" {
			req.Header.Set("Upgrade", c.upgrade)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s Origin=%q Sec-Fetch-Site=%q Upgrade=%q: %d, want %d", c.method, c.origin, c.site, c.upgrade, rec.Code, c.want)
		}
	}
}
