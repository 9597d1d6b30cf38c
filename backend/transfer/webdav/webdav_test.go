package webdav

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/keystore"
	"golang.org/x/net/webdav"
)

const (
	user     = "ana"
	password = "dav-pass-Qw8-never-shown"
)

// server is golang.org/x/net/webdav on an in-memory file system behind basic auth.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	h := &webdav.Handler{Prefix: "/dav", FileSystem: webdav.NewMemFS(), LockSystem: webdav.NewMemLS()}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="dav"`)
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func testKey(ts *httptest.Server) *keystore.Key {
	k := &keystore.Key{Name: "drive", Kind: keystore.KindWebDAV, Endpoint: ts.URL + "/dav/", Username: user, Secret: password}
	if err := k.Normalize(); err != nil {
		panic(err)
	}
	return k
}

func TestTest(t *testing.T) {
	ts := server(t)
	ctx := context.Background()
	c, _ := New(testKey(ts), Options{})
	if err := c.Test(ctx); err != nil {
		t.Fatalf("Test: %v", err)
	}
	bad := testKey(ts)
	bad.Secret = "wrong-password"
	cb, _ := New(bad, Options{})
	err := cb.Test(ctx)
	if !errors.Is(err, keystore.ErrDenied) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-password") || strings.Contains(err.Error(), password) {
		t.Fatal("error shows a password")
	}
	ts.Close()
	if err := c.Test(ctx); !errors.Is(err, keystore.ErrUnavailable) {
		t.Fatalf("server down: %v", err)
	}
}

func TestUploadStatRange(t *testing.T) {
	ts := server(t)
	ctx := context.Background()
	c, _ := New(testKey(ts), Options{})
	data := make([]byte, 3<<20+17)
	_, _ = rand.Read(data)
	res, err := c.Upload(ctx, "exports/2025/run-1/result.tif", bytes.NewReader(data), int64(len(data)))
	if err != nil || res.Size != int64(len(data)) || res.Path != "/exports/2025/run-1/result.tif" {
		t.Fatalf("Upload = %+v %v", res, err)
	}
	// Unknown length, into the folder that now exists.
	if _, err := c.Upload(ctx, "exports/2025/run-1/meta.json", io.MultiReader(strings.NewReader(`{"a":1}`)), -1); err != nil {
		t.Fatalf("Upload unknown size: %v", err)
	}
	st, err := c.Stat(ctx, "exports/2025/run-1/result.tif")
	if err != nil || st.Size != int64(len(data)) || st.IsDir {
		t.Fatalf("Stat = %+v %v", st, err)
	}
	if st, err := c.Stat(ctx, "exports/2025"); err != nil || !st.IsDir {
		t.Fatalf("Stat dir = %+v %v", st, err)
	}
	if _, err := c.Stat(ctx, "nope.txt"); !errors.Is(err, keystore.ErrRemoteNotFound) {
		t.Fatalf("Stat missing = %v", err)
	}
	for _, rc := range []struct{ off, n int64 }{{0, -1}, {1000, 4096}, {int64(len(data)) - 10, -1}, {5, 1}} {
		body, err := c.Open(ctx, "/exports/2025/run-1/result.tif", rc.off, rc.n)
		if err != nil {
			t.Fatalf("Open(%d,%d): %v", rc.off, rc.n, err)
		}
		got, _ := io.ReadAll(body)
		body.Close()
		end := int64(len(data))
		if rc.n > 0 {
			end = rc.off + rc.n
		}
		if !bytes.Equal(got, data[rc.off:end]) {
			t.Errorf("Open(%d,%d): got %d bytes, want %d", rc.off, rc.n, len(got), end-rc.off)
		}
	}
	if _, err := c.Open(ctx, "missing.tif", 0, -1); !errors.Is(err, keystore.ErrRemoteNotFound) {
		t.Fatalf("Open missing = %v", err)
	}
	if _, err := c.Upload(ctx, "short.bin", bytes.NewReader(data[:10]), 20); err == nil {
		t.Fatal("short upload accepted")
	}
	if _, err := c.Upload(ctx, "/", strings.NewReader("x"), 1); !errors.Is(err, keystore.ErrInvalid) {
		t.Fatalf("upload to root = %v", err)
	}
}

func TestContextCancels(t *testing.T) {
	block := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer ts.Close()
	defer close(block)
	c, _ := New(testKey(ts), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Test(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Test = %v", err)
	}
}
