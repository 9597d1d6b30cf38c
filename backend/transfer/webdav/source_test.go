package webdav

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/geojobs/geojobs/backend/transfer"
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
	if _, err := h.c.Upload(context.Background(), "/dl/"+name, bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(h.ts.URL + "/dav/dl/" + name)
	return u
}

func (h *harness) Missing(t *testing.T) *url.URL {
	u, _ := url.Parse(h.ts.URL + "/dav/dl/missing.bin")
	return u
}

var folders atomic.Int64

func (h *harness) Folder(t *testing.T) *url.URL {
	u, _ := url.Parse(fmt.Sprintf("%s/dav/suite-%d/", h.ts.URL, folders.Add(1)))
	return u
}

// The WebDAV driver passes the conformance suite against golang.org/x/net/webdav.
func TestSourceConformance(t *testing.T) {
	ts := server(t)
	k := testKey(ts)
	c, _ := New(k, Options{})
	drivertest.Run(t, &harness{ts: ts, src: KeySource(k, Options{}), c: c})

	// Never for a URL off the key's share, nor with a wrong password.
	off, _ := url.Parse(ts.URL + "/elsewhere/x.bin")
	if _, err := KeySource(k, Options{}).Stat(context.Background(), off); driver.CodeOf(err) != driver.PermissionDenied {
		t.Errorf("URL off the share: %v", err)
	}
	bad := *k
	bad.Secret = "wrong"
	in, _ := url.Parse(ts.URL + "/dav/dl/a.bin")
	if _, err := KeySource(&bad, Options{}).Stat(context.Background(), in); driver.CodeOf(err) != driver.PermissionDenied {
		t.Errorf("wrong password: %v", err)
	}
}

// A result on a WebDAV share downloads through transfer with its dav:// URL: the key
// of the share is used, and the portable layer resumes and verifies as for http.
func TestDownloadDavURL(t *testing.T) {
	ts := server(t)
	k := testKey(ts)
	c, _ := New(k, Options{})
	content := bytes.Repeat([]byte("webdav result "), 5000)
	if _, err := c.Upload(context.Background(), "/out/result.tif", bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatal(err)
	}
	mux := transfer.NewMux()
	mux.Register("dav", KeySource(k, Options{}))
	dest := t.TempDir()
	u, _ := url.Parse(ts.URL)
	res, err := transfer.Download(context.Background(), transfer.Request{URL: "dav://" + u.Host + "/dav/out/result.tif", Dest: dest,
		Name: "result.tif", Size: int64(len(content))}, transfer.Options{Sources: mux})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dest, "result.tif"))
	if err != nil || !bytes.Equal(got, content) || res.Size != int64(len(content)) {
		t.Fatalf("downloaded %d bytes (%v), want %d", len(got), err, len(content))
	}
}
