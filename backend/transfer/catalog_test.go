package transfer_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
)

func TestWriteLocalCatalog(t *testing.T) {
	content := randomBytes(300 << 10)
	srv := newServer(t, content)
	dir := t.TempDir()
	sum := sha256Multihash(content)
	mkItem := func(id string) *stac.Item {
		it := &stac.Item{Type: "Feature", StacVersion: stac.Version, ID: id,
			Geometry:   json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`),
			BBox:       []float64{0, 0, 1, 1},
			Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
			Links:      []stac.Link{{Rel: "self", Href: "https://example.org/items/" + id + ".json"}},
			Assets: map[string]stac.Asset{
				"data":   {Href: srv.URL + "/" + id + "/scene.tif?X-Amz-Signature=secret", Type: "image/tiff; application=geotiff", Roles: []string{"data"}},
				"remote": {Href: "s3://bucket/" + id + "/other.tif", Roles: []string{"data"}},
			},
		}
		return it
	}
	// A hostile item id must neither escape the folder nor break the catalog.
	items := []*stac.Item{mkItem("scene-1"), mkItem("../../escape"), mkItem("not-downloaded")}
	m := transfer.NewManager(transfer.Options{Manifest: true})
	defer m.Close()
	for _, it := range items[:2] {
		a := it.Assets["data"]
		if _, err := m.Add(transfer.Request{URL: a.Href, Dest: dir, Name: transfer.AssetFileName(it.ID, "data", a.Href),
			Size: int64(len(content)), Checksum: sum}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	man, err := transfer.ReadManifest(dir)
	if err != nil || len(man.Files) != 2 {
		t.Fatalf("manifest %+v, %v", man, err)
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: items}
	if err := transfer.WriteLocalCatalog(dir, man, ic, transfer.CatalogInfo{ID: "job-1", Title: "Job 1"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, transfer.CatalogName))
	if err != nil {
		t.Fatal(err)
	}
	if err := stac.Validate(b); err != nil {
		t.Fatalf("catalog.json does not validate: %v", err)
	}
	// Crawl the local catalog like any other: two items, the data assets local files.
	root := &url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, transfer.CatalogName))}
	got, err := stac.Resolve(context.Background(), b, root, stac.HTTPFetcher{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Features) != 2 {
		t.Fatalf("local catalog has %d items, want 2", len(got.Features))
	}
	for _, it := range got.Features {
		a := it.Assets["data"]
		u, err := url.Parse(a.Href)
		if err != nil || u.Scheme != "file" {
			t.Fatalf("item %s: data href %q is not a local file", it.ID, a.Href)
		}
		rel, err := filepath.Rel(dir, filepath.FromSlash(u.Path))
		if err != nil || !filepath.IsLocal(rel) {
			t.Fatalf("item %s: data href %q leaves the folder", it.ID, a.Href)
		}
		data, err := os.ReadFile(u.Path)
		if err != nil || len(data) != len(content) {
			t.Fatalf("item %s: %s: %d bytes, %v", it.ID, u.Path, len(data), err)
		}
		if a.Checksum() != sum {
			t.Errorf("item %s: checksum %q, want the verified %q", it.ID, a.Checksum(), sum)
		}
		if n, ok := a.Size(); !ok || n != int64(len(content)) {
			t.Errorf("item %s: file:size %d %v", it.ID, n, ok)
		}
		if r := it.Assets["remote"].Href; r != "s3://bucket/"+it.ID+"/other.tif" {
			t.Errorf("item %s: asset not downloaded changed href to %q", it.ID, r)
		}
		for _, l := range it.Links {
			if l.Rel == "self" {
				t.Errorf("item %s keeps the remote self link", it.ID)
			}
		}
		if strings.Contains(a.Href, "Signature") {
			t.Errorf("item %s: signed query kept in %q", it.ID, a.Href)
		}
	}
	// The item documents themselves use relative hrefs.
	raw, err := os.ReadFile(filepath.Join(dir, "scene-1", "scene-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := stac.Validate(raw); err != nil {
		t.Fatal(err)
	}
	var it stac.Item
	if err := json.Unmarshal(raw, &it); err != nil || it.Assets["data"].Href != "./scene.tif" {
		t.Fatalf("scene-1 data href %q, %v; want ./scene.tif", it.Assets["data"].Href, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if e.Name() == "escape" {
			t.Fatal("a hostile item id wrote outside the destination folder")
		}
	}
}

// A server's item that is not valid STAC (here a geometry without its bbox, as real
// servers send) still gets its local copy and the catalog listing it: the files are
// verified, and the item is written as it came, its hrefs made local.
func TestWriteLocalCatalogKeepsServersInvalidItem(t *testing.T) {
	content := randomBytes(10 << 10)
	srv := newServer(t, content)
	dir := t.TempDir()
	it := &stac.Item{Type: "Feature", StacVersion: stac.Version, ID: "no-bbox",
		Geometry:   json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`),
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
		Assets:     map[string]stac.Asset{"data": {Href: srv.URL + "/no-bbox/scene.tif", Roles: []string{"data"}}},
	}
	b, _ := json.Marshal(it)
	if stac.Validate(b) == nil {
		t.Fatal("the fixture should be invalid STAC (no bbox)")
	}
	m := transfer.NewManager(transfer.Options{Manifest: true})
	defer m.Close()
	a := it.Assets["data"]
	if _, err := m.Add(transfer.Request{URL: a.Href, Dest: dir, Name: transfer.AssetFileName(it.ID, "data", a.Href), Size: int64(len(content))}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	man, err := transfer.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}}
	if err := transfer.WriteLocalCatalog(dir, man, ic, transfer.CatalogInfo{ID: "job-1"}); err != nil {
		t.Fatalf("WriteLocalCatalog of a server's item without bbox: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(dir, transfer.ItemFolder(it.ID), transfer.ItemFolder(it.ID)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var local stac.Item
	if err := json.Unmarshal(got, &local); err != nil {
		t.Fatal(err)
	}
	if local.BBox != nil || !strings.HasPrefix(local.Assets["data"].Href, "./") {
		t.Fatalf("local item: bbox %v, data href %q; want no bbox added and a local href", local.BBox, local.Assets["data"].Href)
	}
}
