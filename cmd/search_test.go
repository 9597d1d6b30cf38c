package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/stac"
)

const stacFixtures = "../backend/stacsearch/testdata/"

// recordedSTAC serves Planetary Computer's recorded landing page and NAIP search pages
// (hosts rewritten to the test server), one page per POST, and counts the searches.
func recordedSTAC(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var bodies []string
	var ts *httptest.Server
	read := func(name string) []byte {
		b, err := os.ReadFile(stacFixtures + name)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(strings.ReplaceAll(string(b), "https://planetarycomputer.microsoft.com", ts.URL))
	}
	pages := []string{"planetary-computer.search.naip.bbox.page1.json", "planetary-computer.search.naip.bbox.page2.json"}
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method + " " + r.URL.Path {
		case "GET /api/stac/v1":
			w.Write(read("planetary-computer.landing.json"))
		case "POST /api/stac/v1/search":
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
			w.Header().Set("Content-Type", "application/geo+json")
			switch {
			case !strings.Contains(string(b), `"token"`):
				w.Write(read(pages[0]))
			case strings.Contains(string(b), `"token":"next:naip:vt_m_4307307_nw_18_060_20211029"`):
				w.Write(read(pages[1]))
			default:
				w.Write([]byte(`{"type":"FeatureCollection","features":[]}`))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), bodies...) }
}

func readItems(t *testing.T, path string) *stac.ItemCollection {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ic stac.ItemCollection
	if err := json.Unmarshal(b, &ic); err != nil {
		t.Fatal(err)
	}
	return &ic
}

func TestSearchCommandAPI(t *testing.T) {
	ts, bodies := recordedSTAC(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "items.json")
	code, stderr := runCLI(t, "geojobs", "--data-dir", dir, "search", "--api", ts.URL+"/api/stac/v1",
		"--collection", "naip", "--bbox", "-73.21,43.99,-73.12,44.05", "--datetime", "2021-01-01/2023-12-31", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if ic := readItems(t, out); len(ic.Features) != 20 {
		t.Fatalf("%d items, want 20 (two pages)", len(ic.Features))
	}
	if b := bodies(); len(b) != 3 || !strings.Contains(b[0], `"datetime":"2021-01-01T00:00:00Z/2023-12-31T23:59:59Z"`) || !strings.Contains(b[2], `"token":"next:naip:`) {
		t.Errorf("search bodies %q", b)
	}
	if !strings.Contains(stderr, "page 2: 10 items (20 so far)") {
		t.Errorf("stderr %q", stderr)
	}

	code, stderr = runCLI(t, "geojobs", "--data-dir", dir, "search", "--api", ts.URL+"/api/stac/v1", "--max-items", "5", "-o", out)
	if ic := readItems(t, out); code != 0 || len(ic.Features) != 5 || len(bodies()) != 4 {
		t.Fatalf("--max-items 5: exit %d, %d items, %d searches: %s", code, len(ic.Features), len(bodies()), stderr)
	}

	filter := filepath.Join(dir, "filter.json")
	os.WriteFile(filter, []byte(`{"op":"<=","args":[{"property":"eo:cloud_cover"},10]}`), 0o644)
	code, _ = runCLI(t, "geojobs", "--data-dir", dir, "search", "--api", ts.URL+"/api/stac/v1", "--filter", "@"+filter, "--max-items", "1", "-o", out)
	if b := bodies(); code != 0 || !strings.Contains(b[len(b)-1], `"filter-lang":"cql2-json"`) {
		t.Errorf("--filter: exit %d, body %s", code, b[len(b)-1])
	}
}

func TestSearchCommandUsage(t *testing.T) {
	ts, bodies := recordedSTAC(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "x.json")
	for _, args := range [][]string{
		{"search", "-o", out},
		{"search", "--api", ts.URL + "/api/stac/v1"},
		{"search", "--api", ts.URL + "/api/stac/v1", "--bbox", "1,2,3", "-o", out},
		{"search", "--api", ts.URL + "/api/stac/v1", "--datetime", "2024-13-01", "-o", out},
		{"search", "--api", ts.URL + "/api/stac/v1", "--filter", "eo:cloud_cover < 10", "-o", out},
	} {
		if code, stderr := runCLI(t, append([]string{"geojobs", "--data-dir", dir}, args...)...); code != 2 {
			t.Errorf("%q: exit %d, want 2: %s", args, code, stderr)
		}
	}
	if len(bodies()) != 0 {
		t.Errorf("a search was sent")
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("output written")
	}
}

func TestSearchCommandCatalog(t *testing.T) {
	ts := httptest.NewServer(http.FileServer(http.Dir(stacFixtures + "static")))
	defer ts.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "items.json")
	code, stderr := runCLI(t, "geojobs", "--data-dir", dir, "search", "--catalog", ts.URL+"/pystac-v1.9.0-example-catalog/catalog.json",
		"--datetime", "2018-06-01/2018-06-30", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if ic := readItems(t, out); len(ic.Features) != 2 {
		t.Errorf("%d items in June 2018, want 2", len(ic.Features))
	}
	code, _ = runCLI(t, "geojobs", "--data-dir", dir, "search", "--catalog", ts.URL+"/missing/catalog.json", "-o", out)
	if code != 3 {
		t.Errorf("missing catalog: exit %d, want 3", code)
	}
}
