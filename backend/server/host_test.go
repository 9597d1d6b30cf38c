package server

import (
	"log/slog"
	"net/http/httptest"
	"testing"
)

func TestHostAllowlist(t *testing.T) {
	h := hostAllowlist(4242, slog.New(slog.DiscardHandler))(ok200())
	for host, want := range map[string]int{
		"127.0.0.1:4242": 200, "localhost:4242": 200, "[::1]:4242": 200, "LOCALHOST:4242": 200,
		"127.0.0.1:1": 421, "evil.example:4242": 421, "evil.example": 421, "localhost.evil.example:4242": 421,
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: %d, want %d", host, rec.Code, want)
		}
	}
}
