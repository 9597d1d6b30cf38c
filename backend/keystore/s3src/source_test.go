package s3src

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
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
