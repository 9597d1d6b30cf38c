package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func ok200() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
}

// Every CSP source must be one browsers accept: Chromium rejects ws://[::1]:PORT and
// reported it on every page.
func TestSecurityHeadersValidSources(t *testing.T) {
	rec := httptest.NewRecorder()
	securityHeaders(4242, []string{"ws://127.0.0.1:9"})(ok200()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if strings.Contains(csp, "[") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP has an invalid or unsafe source: %q", csp)
	}
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "ws://127.0.0.1:4242", "ws://127.0.0.1:9"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if rec.Header().Get(k) != v {
			t.Errorf("%s = %q", k, rec.Header().Get(k))
		}
	}
}
