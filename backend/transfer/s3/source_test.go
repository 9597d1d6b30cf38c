package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/drivertest"
)

type harness struct {
	ts  *httptest.Server
	src *Source
	c   *Client
}

func (h *harness) Source() driver.Source { return h.src }

func (h *harness) Put(t *testing.T, name string, content []byte) *url.URL {
	t.Helper()
	put(t, h.c, "dl/"+name, content)
	u, _ := url.Parse("s3://results/dl/" + name)
	return u
}

var folders atomic.Int64

func (h *harness) Folder(t *testing.T) *url.URL {
	u, _ := url.Parse(fmt.Sprintf("s3://results/suite-%d/", folders.Add(1)))
	return u
}

func (h *harness) Missing(t *testing.T) *url.URL {
	u, _ := url.Parse("s3://results/dl/missing.bin")
	return u
}

func TestSourceConformance(t *testing.T) {
	ts, _ := server(t)
	k := testKey(ts)
	c, _ := New(k, Options{Transport: ts.Client().Transport})
	src := &Source{Options: Options{Transport: ts.Client().Transport}, Resolve: func(*url.URL) (*keystore.Key, error) { return k, nil }}
	drivertest.Run(t, &harness{ts: ts, src: src, c: c})

	// Wrong secret → PermissionDenied; no key → PermissionDenied.
	bad := *k
	bad.Secret = "wrong"
	src2 := &Source{Options: Options{Transport: ts.Client().Transport}, Resolve: func(*url.URL) (*keystore.Key, error) { return &bad, nil }}
	u, _ := url.Parse("s3://results/dl/a.bin")
	put(t, c, "dl/a.bin", bytes.Repeat([]byte("x"), 10))
	if _, err := src2.Stat(context.Background(), u); driver.CodeOf(err) != driver.PermissionDenied {
		t.Fatalf("wrong secret Stat = %v (%v)", err, driver.CodeOf(err))
	}
	if _, err := (&Source{}).Stat(context.Background(), u); driver.CodeOf(err) != driver.PermissionDenied {
		t.Fatalf("no resolver = %v", err)
	}
}

// StoreSource finds the key in the keystore by prefix, and says clearly when the
// keystore is locked or holds no key for the URL.
func TestStoreSource(t *testing.T) {
	ts, _ := server(t)
	k := testKey(ts)
	c, _ := New(k, Options{Transport: ts.Client().Transport})
	put(t, c, "job-1/scene/otsu.tif", []byte("water mask"))
	st, err := keystore.Open(keystore.Config{Dir: t.TempDir(), Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	src := StoreSource(st, Options{Transport: ts.Client().Transport})
	u, _ := url.Parse("s3://results/job-1/scene/otsu.tif")
	ctx := context.Background()

	_, err = src.Stat(ctx, u)
	if driver.CodeOf(err) != driver.PermissionDenied || !errors.Is(err, keystore.ErrLocked) ||
		!strings.Contains(err.Error(), "Unlock the keystore to download s3://results/job-1/scene/otsu.tif") {
		t.Fatalf("locked: %v", err)
	}
	if err := st.Unlock("a passphrase"); err != nil {
		t.Fatal(err)
	}
	_, err = src.Stat(ctx, u)
	if !errors.Is(err, keystore.ErrNotFound) || !strings.Contains(err.Error(), "No S3 key in the keystore matches s3://results/job-1/scene/otsu.tif: add one on the Keystore page") {
		t.Fatalf("no key: %v", err)
	}
	// A key for another prefix of the bucket does not match; one for the bucket does.
	other := *k
	other.Name, other.Prefix = "elsewhere", "job-2"
	if _, err := st.Add(other); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Stat(ctx, u); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("key for another prefix: %v", err)
	}
	if _, err := st.Add(*k); err != nil {
		t.Fatal(err)
	}
	info, err := src.Stat(ctx, u)
	if err != nil || info.Size != int64(len("water mask")) {
		t.Fatalf("with a key: %+v %v", info, err)
	}
	if strings.Contains(fmt.Sprint(err), secretKey) {
		t.Fatal("secret in an error")
	}
}
