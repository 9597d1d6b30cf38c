package cmd

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Assets skipped as unsafe make `geojobs download` fail (exit 1), by name; the safe
// ones are still downloaded. (An unsafe name is saved under the asset key when that is
// safe: here the key is a Windows device name too.)
func TestDownloadSkippedAssetsExit1(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("data")) }))
	defer srv.Close()
	dir := t.TempDir()
	fc := `{"type":"FeatureCollection","features":[{"type":"Feature","stac_version":"1.0.0","id":"scene","geometry":null,
	"properties":{"datetime":"2026-01-01T00:00:00Z"},"links":[],
	"assets":{"good":{"href":"` + srv.URL + `/good.tif"},"NUL":{"href":"` + srv.URL + `/x%00y"}}}]}`
	src := filepath.Join(dir, "fc.json")
	os.WriteFile(src, []byte(fc), 0o644)
	code, msg := runCLI(t, "geojobs", "--data-dir", filepath.Join(dir, "data"), "download", src, "-d", filepath.Join(dir, "out"), "-q")
	if code != downloadFailed || !strings.Contains(msg, "scene/NUL") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", "scene", "good.tif")); err != nil || string(b) != "data" {
		t.Fatalf("the safe asset: %q %v", b, err)
	}
}
