package stac

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseKindsAndRoundTrip(t *testing.T) {
	docs := map[string][]byte{"zoo inline results": zooInline(t)}
	kinds := map[string]Kind{"zoo inline results": KindItemCollection}
	for name, kind := range map[string]Kind{
		"stac-itemcollection.water-bodies.landsat.json": KindItemCollection,
		"itemcollection-sample-full.json":               KindItemCollection,
		"core-item.json":                                KindItem,
		"file-extension-item.json":                      KindItem,
		"catalog.json":                                  KindCatalog,
		"collection.json":                               KindCollection,
	} {
		docs[name], kinds[name] = readFile(t, name), kind
	}
	for name, doc := range docs {
		d, err := Parse(doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.Kind != kinds[name] {
			t.Errorf("%s: kind %s, want %s", name, d.Kind, kinds[name])
		}
		var v any
		switch d.Kind {
		case KindItem:
			v = d.Item
		case KindItemCollection:
			v = d.ItemCollection
		case KindCatalog:
			v = d.Catalog
		case KindCollection:
			v = d.Collection
		}
		if out := mustJSON(t, v); !sameJSON(t, doc, out) {
			t.Errorf("%s: round trip changed the document:\n%s", name, out)
		}
	}
}

func TestParseKeepsExtensionFields(t *testing.T) {
	d, err := Parse(readFile(t, "stac-itemcollection.water-bodies.landsat.json"))
	if err != nil {
		t.Fatal(err)
	}
	it := d.ItemCollection.Features[0]
	if it.ID != "LC08_L2SP_044032_20231208_02_T1" || it.StacVersion != "1.0.0" {
		t.Errorf("item %q version %q", it.ID, it.StacVersion)
	}
	if _, ok := it.Properties["proj:epsg"]; !ok {
		t.Error("proj:epsg lost")
	}
	a := it.Assets["data"]
	if a.Type != "image/tiff; application=geotiff" || len(a.Extra["raster:bands"]) == 0 {
		t.Errorf("asset data: type %q, raster:bands %s", a.Type, a.Extra["raster:bands"])
	}
	if ts, ok := it.Datetime(); !ok || ts.Year() != 2023 {
		t.Errorf("datetime %v %v", ts, ok)
	}
	if d.ItemCollection.Extra["id"] == nil {
		t.Error("top-level id of the collection lost")
	}
}

func TestAssetFileFields(t *testing.T) {
	d, err := Parse(readFile(t, "file-extension-item.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sized int
	for _, k := range d.Item.AssetKeys() {
		a := d.Item.Assets[k]
		if n, ok := a.Size(); ok {
			sized++
			if n <= 0 {
				t.Errorf("%s: size %d", k, n)
			}
		}
	}
	if sized == 0 {
		t.Error("no asset with file:size")
	}
	var a Asset
	if err := json.Unmarshal([]byte(`{"href":"x","file:size":12,"file:checksum":"1220abc"}`), &a); err != nil {
		t.Fatal(err)
	}
	if n, ok := a.Size(); !ok || n != 12 || a.Checksum() != "1220abc" {
		t.Errorf("Size %d %v, Checksum %q", n, ok, a.Checksum())
	}
	for _, bad := range []string{`{"href":"x"}`, `{"href":"x","file:size":-1}`, `{"href":"x","file:size":"12"}`, `{"href":"x","file:size":1.5}`} {
		var a Asset
		json.Unmarshal([]byte(bad), &a)
		if _, ok := a.Size(); ok {
			t.Errorf("%s: Size reported", bad)
		}
	}
	a.Set("file:size", int64(1)<<40)
	if n, _ := a.Size(); n != 1<<40 {
		t.Errorf("Set/Size: %d", n)
	}
}

func TestParseRejectsNonSTAC(t *testing.T) {
	for name, doc := range map[string]string{
		"not json":         `{"type":`,
		"array":            `[1,2]`,
		"geojson feature":  `{"type":"Feature","geometry":null,"properties":{}}`,
		"plain collection": `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}}]}`,
		"other type":       `{"type":"Polygon","coordinates":[]}`,
		"empty object":     `{}`,
		"bad item field":   `{"type":"Feature","stac_version":"1.0.0","id":7}`,
	} {
		if _, err := Parse([]byte(doc)); !errors.Is(err, ErrNotSTAC) {
			t.Errorf("%s: err = %v, want ErrNotSTAC", name, err)
		}
	}
	// An empty ItemCollection is still one.
	if d, err := Parse([]byte(`{"type":"FeatureCollection","features":[]}`)); err != nil || d.Kind != KindItemCollection {
		t.Errorf("empty collection: %v %v", d, err)
	}
}

func TestMarshalWritesRequiredMembers(t *testing.T) {
	b := mustJSON(t, Item{Type: "Feature", StacVersion: Version, ID: "x"})
	if !sameJSON(t, b, []byte(`{"type":"Feature","stac_version":"1.0.0","id":"x","geometry":null,"properties":{},"links":[],"assets":{}}`)) {
		t.Errorf("empty item: %s", b)
	}
	if b := mustJSON(t, ItemCollection{}); !sameJSON(t, b, []byte(`{"type":"FeatureCollection","features":[]}`)) {
		t.Errorf("empty collection: %s", b)
	}
}
