package server

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// LoopbackHost reports whether hostport names a loopback host (127.0.0.1, localhost,
// [::1]) on port.
func LoopbackHost(hostport string, port int) bool {
	host, p, err := net.SplitHostPort(hostport)
	if err != nil || p != strconv.Itoa(port) {
		return false
	}
	switch strings.ToLower(host) {
	case "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// HostAllowlist is hostAllowlist for other loopback servers (the standalone built-in
// endpoint).
func HostAllowlist(port int, log *slog.Logger) Middleware { return hostAllowlist(port, log) }

// hostAllowlist refuses requests whose Host is not a loopback name on our port: a web
// page that rebinds its own name to 127.0.0.1 still sends its name.
func hostAllowlist(port int, log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !LoopbackHost(r.Host, port) {
				log.Warn("refused request: Host not allowed (DNS rebinding?)", "host", r.Host, "path", r.URL.Path)
				deny(w, http.StatusMisdirectedRequest, "This server answers only to 127.0.0.1, localhost or [::1] on its own port.")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
