package server

import (
	"net/http"
	"strings"
)

// requireAuth lets through requests that carry the session cookie (browsers) or the
// token as a bearer header (geojobs' own client calling the built-in endpoint, the
// CLI). The two are different secrets: the cookie, which a browser also sends to other
// services on 127.0.0.1, is not the API token.
func requireAuth(sessionOK, tokenOK func(string) bool, cookie string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie(cookie); err == nil && sessionOK(c.Value) {
				next.ServeHTTP(w, r)
				return
			}
			if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") && tokenOK(strings.TrimSpace(a[7:])) {
				next.ServeHTTP(w, r)
				return
			}
			deny(w, http.StatusUnauthorized, "Open geojobs with the link it printed when it started: that link carries this run's access token.")
		})
	}
}
