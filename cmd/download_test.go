package cmd

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
)

// geojobs run --download on the built-in endpoint's synthetic-scene, then geojobs
// download of the written ItemCollection again (nothing fetched twice, same result).
func TestRunDownloadAndDownload(t *testing.T) {
	ts := localeptest.Start(t, localep.Options{})
	dir := t.TempDir()
	req := filepath.Join(dir, "request.json")
	os.WriteFile(req, []byte(`{"inputs":{"aoi":{"bbox":[5.9,45.8,6.4,46.2]},"size":96}}`), 0o644)
	out := filepath.Join(dir, "fc.json")
	files := filepath.Join(dir, "files")
	code, stderr := runCLI(t, "geojobs", "--data-dir", filepath.Join(dir, "data"), "run", "--api-endpoint", ts.URL,
		"--process-id", "synthetic-scene", "-e", req, "-o", out, "--download", files, "-q")
	if code != 0 {
		t.Fatalf("run --download: exit %d: %s", code, stderr)
	}
	cat, err := os.ReadFile(filepath.Join(files, transfer.CatalogName))
	if err != nil {
		t.Fatal(err)
	}
	if err := stac.Validate(cat); err != nil {
		t.Fatalf("local catalog: %v", err)
	}
	ic, err := stac.Resolve(context.Background(), cat, fileURL(filepath.Join(files, transfer.CatalogName)), stac.HTTPFetcher{}, 0)
	if err != nil || len(ic.Features) != 1 {
		t.Fatalf("local catalog: %v, %v", ic, err)
	}
	it := ic.Features[0]
	for _, key := range []string{"data", "thumbnail"} {
		a, ok := it.Assets[key]
		if !ok || !strings.HasPrefix(a.Href, "file://") {
			t.Fatalf("asset %s: %+v", key, a)
		}
		fi, err := os.Stat(strings.TrimPrefix(a.Href, "file://"))
		n, _ := a.Size()
		if err != nil || fi.Size() != n || a.Checksum() == "" {
			t.Fatalf("asset %s: file %v %v, file:size %d checksum %q", key, fi, err, n, a.Checksum())
		}
	}
	man, _ := transfer.ReadManifest(files)
	for _, e := range man.Files {
		if !e.Verified {
			t.Errorf("%s not verified", e.Name)
		}
	}
	// Again from the ItemCollection file, only the thumbnail: already there, skipped.
	code, stderr = runCLI(t, "geojobs", "download", out, "-d", files, "--asset", it.ID+"/thumbnail")
	if code != 0 || !strings.Contains(stderr, "1 of 1 file(s)") {
		t.Fatalf("download: exit %d: %s", code, stderr)
	}
	// Unknown asset and unknown job are usage errors.
	if code, _ := runCLI(t, "geojobs", "download", out, "-d", files, "--asset", "nope/x"); code != downloadUsage {
		t.Errorf("unknown asset: exit %d", code)
	}
	if code, msg := runCLI(t, "geojobs", "--data-dir", filepath.Join(dir, "data"), "download", "no-such-job"); code != downloadUsage || !strings.Contains(msg, "neither a file") {
		t.Errorf("unknown job: exit %d %s", code, msg)
	}
	// The folder is checked before anything is fetched (the same orchestrator as the
	// results page): a folder under a file is refused with the reason.
	blocked := filepath.Join(out, "below")
	if code, msg := runCLI(t, "geojobs", "download", out, "-d", blocked); code != downloadUsage || !strings.Contains(msg, "is a file") {
		t.Errorf("unusable folder: exit %d %s", code, msg)
	}
	var fc map[string]any
	b, _ := os.ReadFile(out)
	if json.Unmarshal(b, &fc) != nil {
		t.Fatal("fc.json unreadable")
	}
}

func fileURL(p string) *url.URL { return &url.URL{Scheme: "file", Path: filepath.ToSlash(p)} }
