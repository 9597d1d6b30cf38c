package file_test

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/drivertest"
	"github.com/geojobs/geojobs/backend/transfer/file"
)

type harness struct{ dir string }

func (h harness) Source() driver.Source { return file.Source{} }

func (h harness) Put(t *testing.T, name string, content []byte) *url.URL {
	p := filepath.Join(h.dir, name)
	old, err := os.Stat(p)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if err == nil { // make sure the modification time moves even on coarse clocks
		os.Chtimes(p, time.Now(), old.ModTime().Add(time.Second))
	}
	return &url.URL{Scheme: "file", Path: filepath.ToSlash(p)}
}

func (h harness) Missing(t *testing.T) *url.URL {
	return &url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(h.dir, "missing"))}
}

func (h harness) Folder(t *testing.T) *url.URL {
	return &url.URL{Scheme: "file", Path: filepath.ToSlash(t.TempDir()) + "/"}
}

func TestConformance(t *testing.T) { drivertest.Run(t, harness{t.TempDir()}) }

func TestPathRefusesRemoteHosts(t *testing.T) {
	u, _ := url.Parse("file://example.com/etc/passwd")
	if _, err := file.Path(u); driver.CodeOf(err) != driver.InvalidArgument {
		t.Errorf("Path(%s): %v, want InvalidArgument", u, err)
	}
}
