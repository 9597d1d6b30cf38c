package httpget_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
)

// listener records every request it receives (a second loopback service).
type listener struct {
	*httptest.Server
	mu  sync.Mutex
	got []http.Header
}

func newListener(t *testing.T) *listener {
	l := &listener{}
	l.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.got = append(l.got, r.Header.Clone())
		l.mu.Unlock()
		_, _ = w.Write([]byte("x"))
	}))
	t.Cleanup(l.Close)
	return l
}

func (l *listener) headers() []http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]http.Header(nil), l.got...)
}

// An API-key header and a bearer token set by the Authorizer for the hostile server's
// origin must not follow its redirect to another port of the same host.
func TestRedirectElsewhereCarriesNoCredentials(t *testing.T) {
	rec := newListener(t)
	hostile := httptest.NewServer(http.RedirectHandler(rec.URL+"/x", http.StatusFound))
	defer hostile.Close()
	src := httpget.New(httpget.Options{Auth: httpget.AuthorizerFunc(func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer tok")
		r.Header.Set("X-API-Key", "key")
		return nil
	})})
	u, _ := url.Parse(hostile.URL + "/asset.tif")
	if _, err := src.Stat(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	hs := rec.headers()
	if len(hs) == 0 {
		t.Fatal("the redirect was not followed")
	}
	for _, h := range hs {
		if h.Get("Authorization") != "" || h.Get("X-Api-Key") != "" || h.Get("Referer") != "" {
			t.Errorf("credentials reached the other origin: %v", h)
		}
	}
}

// A redirect to file:// ends the read with a permanent error (it was retried forever).
func TestRedirectToFileIsPermanent(t *testing.T) {
	hostile := httptest.NewServer(http.RedirectHandler("file:///etc/passwd", http.StatusFound))
	defer hostile.Close()
	u, _ := url.Parse(hostile.URL + "/a")
	_, err := httpget.New(httpget.Options{}).ReadRange(context.Background(), u, 0, -1, nil)
	if driver.CodeOf(err) != driver.PermissionDenied {
		t.Fatalf("err = %v (code %v), want PermissionDenied", err, driver.CodeOf(err))
	}
}

// An asset on a loopback address named by a public endpoint is never contacted.
func TestLocalAddressRefusedForPublicEndpoint(t *testing.T) {
	rec := newListener(t)
	ctx := netpolicy.WithScope(context.Background(), netpolicy.Scope{Endpoint: "https://93.184.215.14/ogc"})
	u, _ := url.Parse(rec.URL + "/admin")
	_, err := httpget.New(httpget.Options{}).Stat(ctx, u)
	if driver.CodeOf(err) != driver.PermissionDenied {
		t.Fatalf("err = %v, want PermissionDenied", err)
	}
	if n := len(rec.headers()); n != 0 {
		t.Fatalf("the local service got %d requests", n)
	}
}
