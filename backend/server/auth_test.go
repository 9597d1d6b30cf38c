package server

import (
	"net/http/httptest"
	"testing"
)

// The session cookie and the API token are different secrets: neither works as the other.
func TestRequireAuth(t *testing.T) {
	g := &Guard{Port: 4242, Token: "api-token", Session: "session-value"}
	h := requireAuth(g.sessionOK, g.tokenOK, g.CookieName())(ok200())
	cases := []struct {
		cookie, bearer string
		want           int
	}{
		{"session-value", "", 200},
		{"", "api-token", 200},
		{"api-token", "", 401},
		{"", "session-value", 401},
		{"", "", 401},
		{"wrong", "wrong", 401},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		if c.cookie != "" {
			req.Header.Set("Cookie", g.CookieName()+"="+c.cookie)
		}
		if c.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+c.bearer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("cookie=%q bearer=%q: %d, want %d", c.cookie, c.bearer, rec.Code, c.want)
		}
	}
}
