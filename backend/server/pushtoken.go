package server

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
)

// PushTokenParam is the query parameter that carries Guard.PushToken on a WebSocket
// handshake.
const PushTokenParam = "wst"

// pushToken lets a WebSocket handshake authenticate with the push token in its URL:
// the desktop window's page (origin wails://wails) has no cookie for the listener and
// a browser cannot set an Authorization header on a WebSocket. The push token is good
// for nothing else: on any other request, or when it is wrong, the request is refused.
// A valid one is taken out of the URL and replaced by the API token's bearer header,
// which requireAuth then accepts. Requests without the parameter pass unchanged.
func pushToken(pushOK func(string) bool, token string, log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if !q.Has(PushTokenParam) {
				next.ServeHTTP(w, r)
				return
			}
			if r.Method != http.MethodGet || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || !pushOK(q.Get(PushTokenParam)) {
				log.Warn("refused request: push token not valid here", "path", r.URL.Path)
				deny(w, http.StatusUnauthorized, "not authorized")
				return
			}
			r2 := r.Clone(r.Context())
			q.Del(PushTokenParam)
			r2.URL.RawQuery = q.Encode()
			r2.RequestURI = r2.URL.RequestURI()
			r2.Header.Set("Authorization", "Bearer "+token)
			next.ServeHTTP(w, r2)
		})
	}
}

func (g *Guard) pushOK(s string) bool {
	return g.PushToken != "" && s != "" && subtle.ConstantTimeCompare([]byte(s), []byte(g.PushToken)) == 1
}
