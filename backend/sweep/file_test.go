package sweep

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseFormats(t *testing.T) {
	ms, f, err := Parse([]byte("# seconds per job\n{\"seconds\": 1}\n\n{\"inputs\": {\"seconds\": 2, \"step\": 0.5}}\n"), "", nil)
	if err != nil || f != JSONLines || len(ms) != 2 || ms[0].Line != 2 || ms[1].Line != 4 || string(ms[1].Inputs["step"]) != "0.5" {
		t.Fatalf("JSON Lines: %v %v %+v", f, err, ms)
	}
	ms, f, err = Parse([]byte("\ufeffname, n, flag, list\nhello world, 3, true, \"[1,2]\"\n,,,\n007x,1e3,,\n"), "", nil)
	if err != nil || f != CSV || len(ms) != 2 {
		t.Fatalf("CSV: %v %v %+v", f, err, ms)
	}
	if ms[0].Line != 2 || string(ms[0].Inputs["name"]) != `"hello world"` || string(ms[0].Inputs["n"]) != "3" ||
		string(ms[0].Inputs["flag"]) != "true" || string(ms[0].Inputs["list"]) != "[1,2]" {
		t.Errorf("row 1: %+v", ms[0].Inputs)
	}
	if ms[1].Line != 4 || string(ms[1].Inputs["name"]) != `"007x"` || string(ms[1].Inputs["n"]) != "1e3" || ms[1].Inputs["flag"] != nil {
		t.Errorf("row 3: %+v", ms[1].Inputs)
	}
	fc := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1,2],[3,2],[3,5],[1,2]]]}}]}`)
	like := map[string]json.RawMessage{"aoi": json.RawMessage(`{"bbox":[0,0,1,1],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`)}
	ms, f, err = Parse(fc, "aoi", like)
	if err != nil || f != GeoJSON || len(ms) != 1 || ms[0].Line != 1 {
		t.Fatalf("GeoJSON: %v %v", f, err)
	}
	var bb struct {
		BBox []float64
		CRS  string
	}
	json.Unmarshal(ms[0].Inputs["aoi"], &bb)
	if len(bb.BBox) != 4 || bb.BBox[0] != 1 || bb.BBox[1] != 2 || bb.BBox[2] != 3 || bb.BBox[3] != 5 || bb.CRS == "" {
		t.Errorf("bbox AOI %s", ms[0].Inputs["aoi"])
	}
	ms, _, _ = Parse(fc, "aoi", nil)
	if string(ms[0].Inputs["aoi"]) != `{"type":"Polygon","coordinates":[[[1,2],[3,2],[3,5],[1,2]]]}` {
		t.Errorf("geometry AOI %s", ms[0].Inputs["aoi"])
	}
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          "  \n",
		"bad line":       "{\"a\":1}\n{nope\n",
		"empty override": "{}\n",
		"header only":    "a,b\n",
		"no aoi input":   `{"type":"FeatureCollection","features":[]}`,
	} {
		if _, _, err := Parse([]byte(in), "", nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Parse([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}`), "aoi", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("null geometry: %v", err)
	}
}

func TestApplyKeepsBase(t *testing.T) {
	base := map[string]json.RawMessage{"a": json.RawMessage("1"), "b": json.RawMessage("2")}
	got := Apply(base, Member{Inputs: map[string]json.RawMessage{"b": json.RawMessage("3")}})
	if string(got["a"]) != "1" || string(got["b"]) != "3" || string(base["b"]) != "2" {
		t.Errorf("%s %s / base %s", got["a"], got["b"], base["b"])
	}
}

func TestForEach(t *testing.T) {
	ms, err := ForEachElement("stac_items", json.RawMessage(`["https://h/c/items/S2A_1","https://h/c/items/S2B_2.json"]`))
	if err != nil || len(ms) != 2 || ms[1].Label != "S2B_2" || string(ms[0].Inputs["stac_items"]) != `["https://h/c/items/S2A_1"]` {
		t.Fatalf("items: %v %+v", err, ms)
	}
	from := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	ws, err := ForEachWindow("dt", from, time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC), Monthly)
	if err != nil || len(ws) != 3 || ws[0].Label != "2024-01" ||
		string(ws[0].Inputs["dt"]) != `"2024-01-15T00:00:00Z/2024-01-31T23:59:59Z"` ||
		string(ws[2].Inputs["dt"]) != `"2024-03-01T00:00:00Z/2024-03-10T23:59:59Z"` {
		t.Fatalf("monthly: %v %+v", err, ws)
	}
	ws, _ = ForEachWindow("dt", from, time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC), Weekly) // Mon 15th … Wed 31st
	if len(ws) != 3 || string(ws[0].Inputs["dt"]) != `"2024-01-15T00:00:00Z/2024-01-21T23:59:59Z"` || ws[0].Label != "2024-W03" {
		t.Fatalf("weekly: %+v", ws)
	}
	fs, err := ForEachFeature([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Lake"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`), "aoi", nil)
	if err != nil || len(fs) != 1 || fs[0].Label != "Lake" || string(fs[0].AOI) != `{"type":"Point","coordinates":[1,2]}` {
		t.Fatalf("features: %v %+v", err, fs)
	}
}
