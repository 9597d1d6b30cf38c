package cwlexec

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep/cwl"
	"github.com/geojobs/geojobs/backend/transfer"
)

// A Directory given as a STAC catalog's href is copied with the items and assets it
// links inside its folder; links outside become absolute; the hrefs in the copy
// resolve to the copied files.
func TestDirectoryFromSTACCatalog(t *testing.T) {
	docs := map[string]string{
		"/run/catalog.json": `{"type":"Catalog","id":"c","stac_version":"1.0.0","links":[{"rel":"root","href":"./catalog.json"},{"rel":"item","href":"./S2A/S2A.json"},{"rel":"parent","href":"../up.json"}]}`,
		"/run/S2A/S2A.json": `{"type":"Feature","stac_version":"1.0.0","id":"S2A","links":[{"rel":"parent","href":"../catalog.json"}],
			"assets":{"data":{"href":"./mask.tif"},"remote":{"href":"https://example.com/x.tif"},"escape":{"href":"../../secret.txt"}}}`,
		"/run/S2A/mask.tif": "II*\x00mask",
		"/secret.txt":       "not to be copied",
	}
	var asked []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.Path)
		d, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(d))
	}))
	defer ts.Close()
	doc, err := cwl.Parse([]byte("cwlVersion: v1.2\nclass: CommandLineTool\nid: t\ninputs:\n  d: Directory\n  ds: Directory[]\nbaseCommand: ls\noutputs: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	wf, _ := doc.Workflow("")
	stage := &Transfer{Sources: transfer.DefaultMux(nil)}
	dir := t.TempDir()
	order, err := Order(context.Background(), map[string]json.RawMessage{
		"d":  json.RawMessage(`{"href":"` + ts.URL + `/run/catalog.json"}`),
		"ds": json.RawMessage(`["` + ts.URL + `/run/catalog.json"]`),
	}, wf.Inputs, dir, stage)
	if err != nil {
		t.Fatal(err)
	}
	d := order["d"].(map[string]any)
	root := d["path"].(string)
	if d["class"] != "Directory" || root != filepath.Join(dir, "inputs", "d", "1-run") {
		t.Fatalf("d: %v", d)
	}
	if mask, err := os.ReadFile(filepath.Join(root, "S2A", "mask.tif")); err != nil || string(mask) != "II*\x00mask" {
		t.Errorf("mask: %q %v", mask, err)
	}
	var item struct {
		Assets map[string]struct{ Href string }
	}
	b, _ := os.ReadFile(filepath.Join(root, "S2A", "S2A.json"))
	if err := json.Unmarshal(b, &item); err != nil {
		t.Fatal(err)
	}
	if item.Assets["data"].Href != "./mask.tif" || item.Assets["remote"].Href != "https://example.com/x.tif" || item.Assets["escape"].Href != ts.URL+"/secret.txt" {
		t.Errorf("assets %+v", item.Assets)
	}
	cat, _ := os.ReadFile(filepath.Join(root, "catalog.json"))
	if !strings.Contains(string(cat), ts.URL+"/up.json") {
		t.Errorf("catalog: %s", cat)
	}
	for _, p := range asked {
		if p == "/secret.txt" || p == "/up.json" {
			t.Errorf("fetched %s, outside the catalog's folder", p)
		}
	}
	if arr := order["ds"].([]any); len(arr) != 1 || arr[0].(map[string]any)["class"] != "Directory" {
		t.Errorf("ds: %v", order["ds"])
	}

	// Refused before anything is downloaded: an http folder (nothing lists it), a
	// document that is not a catalog, an in-line Directory.
	for in, want := range map[string]string{
		`"` + ts.URL + `/run/"`:             "folders cannot be listed",
		`"` + ts.URL + `/run/S2A/S2A.json"`: "not a STAC catalog",
		`{"value":"a folder"}`:              "cannot be uploaded in-line",
		`"file:///etc/"`:                    "does not read file: URLs",
	} {
		asked = nil
		_, err := Order(context.Background(), map[string]json.RawMessage{"d": json.RawMessage(in)}, wf.Inputs, t.TempDir(), stage)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
		if want != "not a STAC catalog" && len(asked) > 0 {
			t.Errorf("%s: asked %v", in, asked)
		}
	}
}
