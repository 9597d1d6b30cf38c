package cmd

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The standalone built-in endpoint on a loopback address answers only to loopback
// names (DNS rebinding); bound elsewhere it serves any name.
func TestLocalEndpointChecksHost(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	log := slog.New(slog.DiscardHandler)
	loop := localEndpointHandler(ok, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8090}, log)
	any := localEndpointHandler(ok, &net.TCPAddr{IP: net.IPv4zero, Port: 8090}, log)
	for _, c := range []struct {
		h    http.Handler
		host string
		want int
	}{
		{loop, "127.0.0.1:8090", 200}, {loop, "localhost:8090", 200},
		{loop, "rebind.evil.example:8090", 421}, {loop, "127.0.0.1:9", 421},
		{any, "my-server.lan:8090", 200},
	} {
		req := httptest.NewRequest("POST", "/processes", nil)
		req.Host = c.host
		rec := httptest.NewRecorder()
		c.h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("Host %s: %d, want %d", c.host, rec.Code, c.want)
		}
	}
}
