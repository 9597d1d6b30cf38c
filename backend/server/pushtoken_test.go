package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The push token opens WebSocket handshakes only; it leaves the URL before the app
// sees the request, and a wrong one or one on another request is refused.
func TestPushToken(t *testing.T) {
	g := &Guard{Port: 4242, Token: "api-token", PushToken: "push-token", Logger: slog.New(slog.DiscardHandler)}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.RawQuery+"|"+r.Header.Get("Authorization"))
	})
	h := pushToken(g.pushOK, g.Token, g.Logger)(requireAuth(g.sessionOK, g.tokenOK, g.CookieName())(app))
	cases := []struct {
		name, method, query string
		ws                  bool
		want                int
		body                string
	}{
		{"handshake with the push token", "GET", "a=1&wst=push-token", true, 200, "a=1|Bearer api-token"},
		{"handshake with a wrong push token", "GET", "wst=api-token", true, 401, ""},
		{"plain GET with the push token", "GET", "wst=push-token", false, 401, ""},
		{"POST with the push token", "POST", "wst=push-token", true, 401, ""},
		{"handshake without credentials", "GET", "a=1", true, 401, ""},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, "/ws?"+c.query, nil)
		if c.ws {
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want || c.want == 200 && rec.Body.String() != c.body {
			t.Errorf("%s: %d %q, want %d %q", c.name, rec.Code, rec.Body.String(), c.want, c.body)
		}
	}
	// Without a push token configured, none is accepted.
	g.PushToken = ""
	req := httptest.NewRequest("GET", "/ws?wst=", nil)
	req.Header.Set("Upgrade", "websocket")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("empty push token accepted: %d", rec.Code)
	}
}
