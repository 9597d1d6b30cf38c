package ogcapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// authLog records the credential headers each path was asked with.
type authLog struct {
	mu   sync.Mutex
	seen map[string][]string // path → Authorization, X-Api-Key
}

func (a *authLog) note(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen == nil {
		a.seen = map[string][]string{}
	}
	a.seen[r.URL.Path] = []string{r.Header.Get("Authorization"), r.Header.Get("X-Api-Key")}
}

func (a *authLog) get(path string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[path]
}

func TestGetTextCredentialsStayOnTheOrigin(t *testing.T) {
	var other authLog
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.note(r)
		_, _ = w.Write([]byte("public log\n"))
	}))
	defer elsewhere.Close()
	var own authLog
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		own.note(r)
		switch r.URL.Path {
		case "/ogc/temp/j1.log":
			if r.Header.Get("Authorization") != "Bearer s3cret-token" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"type":"unauthorized","title":"token required"}`))
				return
			}
			_, _ = w.Write([]byte("step 1\nstep 2 used s3cret-token\n"))
		case "/ogc/moved.log":
			http.Redirect(w, r, elsewhere.URL+"/moved.log", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer endpoint.Close()
	ctx := context.Background()
	c, _ := newTestClient(t, endpoint.URL+"/ogc", WithCredentials(CredentialsFunc(func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer s3cret-token")
		r.Header.Set("X-Api-Key", "k3y-value")
		return nil
	})))

	// On the endpoint's origin (relative links resolve against the endpoint).
	for _, href := range []string{endpoint.URL + "/ogc/temp/j1.log", "temp/j1.log"} {
		got, err := c.GetText(ctx, href, 0)
		if err != nil || got.Truncated || got.Text != "step 1\nstep 2 used REDACTED\n" {
			t.Errorf("%s: %+v %v (the secret must be scrubbed from the text)", href, got, err)
		}
	}
	// Elsewhere: read without credentials; also after a redirect from the endpoint.
	for _, href := range []string{elsewhere.URL + "/direct.log", endpoint.URL + "/ogc/moved.log"} {
		if got, err := c.GetText(ctx, href, 0); err != nil || got.Text != "public log\n" {
			t.Errorf("%s: %+v %v", href, got, err)
		}
	}
	for _, p := range []string{"/direct.log", "/moved.log"} {
		if h := other.get(p); h == nil || h[0] != "" || h[1] != "" {
			t.Errorf("%s on another origin was asked with credentials %q", p, h)
		}
	}

	// Without valid credentials: the server's 401, classified, without the secret.
	anon, _ := newTestClient(t, endpoint.URL+"/ogc")
	_, err := anon.GetText(ctx, "temp/j1.log", 0)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != Unauthorized || ae.Status != http.StatusUnauthorized {
		t.Errorf("401: %v", err)
	}
	if _, err := c.GetText(ctx, "missing.log", 0); CodeOf(err) != NotFound {
		t.Errorf("404: %v", err)
	}
	failing, _ := newTestClient(t, endpoint.URL+"/ogc", WithCredentials(CredentialsFunc(func(*http.Request) error {
		return errors.New("keystore locked")
	})))
	if _, err := failing.GetText(ctx, "temp/j1.log", 0); !errors.As(err, &ae) || ae.Code != Unauthorized || ae.Status != 0 {
		t.Errorf("credentials that cannot be applied: %v", err)
	}
	for _, bad := range []string{"file:///etc/passwd", "http://user:pw@" + strings.TrimPrefix(endpoint.URL, "http://") + "/x", " "} {
		if _, err := c.GetText(ctx, bad, 0); CodeOf(err) != InvalidInput || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestGetTextTail(t *testing.T) {
	big := strings.Repeat("0123456789abcde\n", 40000) // 640 000 bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big.log":
			_, _ = w.Write([]byte(big))
		case "/bad-utf8.log":
			_, _ = w.Write([]byte("ok \xff\xfe end"))
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	got, err := c.GetText(context.Background(), "big.log", 1000)
	if err != nil || !got.Truncated || len(got.Text) > 1000 || !strings.HasPrefix(got.Text, "0123456789abcde\n") ||
		!strings.HasSuffix(big, got.Text) {
		t.Errorf("tail: %v, truncated %v, %d bytes, starts %.20q", err, got.Truncated, len(got.Text), got.Text)
	}
	got, err = c.GetText(context.Background(), "big.log", 0)
	if err != nil || !got.Truncated || len(got.Text) > DefaultTextLimit || len(got.Text) < DefaultTextLimit-1024 {
		t.Errorf("default limit: %v, %d bytes", err, len(got.Text))
	}
	got, err = c.GetText(context.Background(), "bad-utf8.log", 0)
	if err != nil || got.Truncated || got.Text != "ok \uFFFD end" {
		t.Errorf("invalid UTF-8: %q %v", got.Text, err)
	}
}

// BenchmarkTail reads a 10 MiB log keeping its last 256 KiB.
func BenchmarkTail(b *testing.B) {
	log := strings.Repeat("2026-01-01T00:00:00Z step done, all fine\n", 10<<20/42)
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		if _, cut, err := tail(strings.NewReader(log), DefaultTextLimit); err != nil || !cut {
			b.Fatal(err, cut)
		}
	}
}
