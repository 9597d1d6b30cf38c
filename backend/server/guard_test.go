package server

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// start serves a handler that echoes the method behind a real loopback listener.
func start(t *testing.T) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Guard.TrustedOrigins = []string{"wails://wails"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok "+r.Method)
		}))
	}()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func do(t *testing.T, c *http.Client, method, url string, hdr map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		if s, err := Listen(addr, "", nil); err == nil {
			s.listener.Close()
			t.Errorf("Listen(%q) accepted a non-loopback address", addr)
		}
	}
}

func TestTokenExchangedForCookie(t *testing.T) {
	s := start(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}

	if code, _ := do(t, c, "GET", s.BaseURL(), nil); code != http.StatusUnauthorized {
		t.Fatalf("no token: got %d, want 401", code)
	}
	if code, _ := do(t, c, "GET", s.BaseURL()+"?token=wrong", nil); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: got %d, want 401", code)
	}
	code, body := do(t, c, "GET", s.LaunchURL(), nil)
	if code != 200 || body != "ok GET" {
		t.Fatalf("launch URL: %d %q", code, body)
	}
	// The cookie alone now works, and it is HttpOnly + SameSite=Strict.
	if code, _ := do(t, c, "GET", s.BaseURL()+"jobs", nil); code != 200 {
		t.Fatalf("cookie: got %d", code)
	}
	resp, err := http.Get(s.LaunchURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// http.Get follows the redirect; look at the first response through a non-following client.
	nf := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nf.Get(s.LaunchURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") {
		t.Fatalf("cookie attributes: %q", sc)
	}
	if loc := resp.Header.Get("Location"); strings.Contains(loc, "token") {
		t.Fatalf("redirect keeps the token in the URL: %q", loc)
	}
	// Bearer works for non-browser clients.
	if code, _ := do(t, http.DefaultClient, "POST", s.BaseURL()+"x", map[string]string{"Authorization": "Bearer " + s.Guard.Token}); code != 200 {
		t.Fatalf("bearer: got %d", code)
	}
}

func TestHostRebindingRefused(t *testing.T) {
	s := start(t)
	for _, host := range []string{"evil.example", "evil.example:" + portOf(s), "127.0.0.1:1", "localhost.evil.example:" + portOf(s)} {
		code, _ := do(t, http.DefaultClient, "GET", s.LaunchURL(), map[string]string{"Host": host})
		if code != http.StatusMisdirectedRequest {
			t.Errorf("Host %q: got %d, want 421", host, code)
		}
	}
	h := map[string]string{"Host": "localhost:" + portOf(s), "Authorization": "Bearer " + s.Guard.Token}
	if code, _ := do(t, http.DefaultClient, "GET", s.BaseURL(), h); code != 200 {
		t.Errorf("Host localhost: got %d", code)
	}
}

func TestOriginChecked(t *testing.T) {
	s := start(t)
	auth := "Bearer " + s.Guard.Token
	own := "http://" + s.Addr().String()
	cases := []struct {
		method, origin, site string
		want                 int
	}{
		{"POST", "https://evil.example", "", 403},
		{"POST", "http://localhost:" + portOf(s), "", 403}, // other name than the Host used: another origin
		{"POST", "null", "", 403},
		{"DELETE", "", "cross-site", 403},
		{"POST", own, "", 200},
		{"POST", "wails://wails", "", 200},
		{"POST", "", "", 200}, // non-browser client
		{"GET", "https://evil.example", "", 200},
	}
	for _, c := range cases {
		h := map[string]string{"Authorization": auth}
		if c.origin != "" {
			h["Origin"] = c.origin
		}
		if c.site != "" {
			h["Sec-Fetch-Site"] = c.site
		}
		if code, _ := do(t, http.DefaultClient, c.method, s.BaseURL()+"x", h); code != c.want {
			t.Errorf("%s Origin=%q Sec-Fetch-Site=%q: got %d, want %d", c.method, c.origin, c.site, code, c.want)
		}
	}
	// WebSocket handshakes are GETs but checked too.
	h := map[string]string{"Authorization": auth, "Upgrade": "websocket", "Connection": "Upgrade", "Origin": "https://evil.example"}
	if code, _ := do(t, http.DefaultClient, "GET", s.BaseURL()+"ws", h); code != 403 {
		t.Errorf("websocket from foreign origin: got %d", code)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := start(t)
	resp, err := http.Get(s.LaunchURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline script: %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

func portOf(s *Server) string {
	a := s.Addr().String()
	return a[strings.LastIndex(a, ":")+1:]
}
