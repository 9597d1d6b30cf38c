package netpolicy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// recorder is a second loopback listener that records every request it receives.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Clone(context.Background()))
		r.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...)
}

// hostile redirects every request to target.
func hostile(t *testing.T, target string) *httptest.Server {
	s := httptest.NewServer(http.RedirectHandler(target, http.StatusFound))
	t.Cleanup(s.Close)
	return s
}

func TestCrossOriginRedirectDropsCredentials(t *testing.T) {
	rec := newRecorder(t)
	// Same host name, another port: net/http alone keeps Authorization here, and it
	// keeps API-key headers everywhere.
	h := hostile(t, rec.URL+"/loot")
	req, _ := http.NewRequest(http.MethodGet, h.URL+"/asset.tif", nil)
	req.Header.Set("Authorization", "Bearer secret-1")
	req.Header.Set("X-Api-Key", "secret-2")
	req.Header.Set("Cookie", "s=secret-3")
	req.Header.Set("X-Amz-Security-Token", "secret-4")
	req.Header.Set("Range", "bytes=0-9")
	res, err := Client(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	got := rec.requests()
	if len(got) != 1 {
		t.Fatalf("recorder got %d requests, want 1", len(got))
	}
	for _, k := range []string{"Authorization", "X-Api-Key", "Cookie", "X-Amz-Security-Token", "Referer"} {
		if v := got[0].Header.Get(k); v != "" {
			t.Errorf("%s reached the other origin: %q", k, v)
		}
	}
	if got[0].Header.Get("Range") != "bytes=0-9" {
		t.Errorf("Range was dropped: %v", got[0].Header)
	}
}

func TestSameOriginRedirectKeepsCredentials(t *testing.T) {
	var seen string
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
			return
		}
		once.Do(func() { seen = r.Header.Get("X-Api-Key") })
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/a", nil)
	req.Header.Set("X-Api-Key", "k")
	res, err := Client(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if seen != "k" {
		t.Errorf("same-origin redirect lost the key header: %q", seen)
	}
}

func TestRedirectToOtherSchemeRefused(t *testing.T) {
	for _, target := range []string{"file:///etc/passwd", "ftp://example.org/x", "gopher://x/"} {
		h := hostile(t, target)
		res, err := Client(nil).Get(h.URL)
		if err == nil {
			res.Body.Close()
			t.Fatalf("redirect to %s followed", target)
		}
		if !errors.Is(err, ErrRefused) {
			t.Errorf("redirect to %s: %v, want ErrRefused", target, err)
		}
	}
}

func TestDowngradeWithCredentialsRefused(t *testing.T) {
	rec := newRecorder(t)
	tls := httptest.NewTLSServer(http.RedirectHandler(rec.URL+"/plain", http.StatusFound))
	defer tls.Close()
	c := Client(tls.Client())
	req, _ := http.NewRequest(http.MethodGet, tls.URL, nil)
	req.Header.Set("Authorization", "Basic c2VjcmV0")
	if res, err := c.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("https → http with credentials was followed")
	} else if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	if n := len(rec.requests()); n != 0 {
		t.Fatalf("the http listener got %d requests", n)
	}
	// Without credentials the downgrade is an ordinary redirect.
	res, err := c.Get(tls.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}
