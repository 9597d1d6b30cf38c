package localep

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/waterbodies"
)

// The built-in water-bodies process, run on two items of the endpoint's own STAC API,
// returns a ZOO-shaped stac_catalog whose masks (served with Range) match the truth.
func TestWaterBodiesProcess(t *testing.T) {
	e := newEnv(t, nil)
	items := []string{
		e.base + "/stac/collections/synthetic-s2/items/S2SYN_N45E006_20240106",
		e.base + "/stac/collections/synthetic-s2/items/S2SYN_N45E006_20240111",
	}
	const aoi = "6.3,45.3,6.4,45.4"
	id := e.submit("water-bodies", map[string]any{"response": "document", "inputs": map[string]any{
		"aoi": aoi, "epsg": "EPSG:4326", "bands": []string{"green", "nir"}, "stac_items": items,
	}})
	st := e.waitJob(id)
	if st.Status != ogcapi.StatusSuccessful {
		r := e.do("GET", "/jobs/"+id+"/results", nil)
		t.Fatalf("job %s: %s", st.Status, r.body)
	}
	r := e.do("GET", "/jobs/"+id+"/results", nil)
	expectStatus(t, r, 200)
	var res struct {
		StacCatalog struct {
			Value struct {
				Type     string `json:"type"`
				Features []struct {
					ID     string
					Assets map[string]struct{ Href, Type string }
				}
			} `json:"value"`
		} `json:"stac_catalog"`
	}
	r.json(t, &res)
	fc := res.StacCatalog.Value
	if fc.Type != "FeatureCollection" || len(fc.Features) != 2 {
		t.Fatalf("stac_catalog: %s", r.body)
	}
	ctx := context.Background()
	rd := &waterbodies.Reader{Client: e.http.Client()}
	bb, _ := waterbodies.ParseAOI(aoi)
	for i, f := range fc.Features {
		href := f.Assets["data"].Href
		if !strings.HasPrefix(href, e.base+"/jobs/"+id+"/outputs/") {
			t.Fatalf("mask href %q", href)
		}
		resp, err := e.http.Client().Head(href)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Fatalf("HEAD %s: %d %v", href, resp.StatusCode, resp.Header)
		}
		src := &cog.HTTPSource{URL: href, Client: e.http.Client()}
		cf, err := cog.Open(ctx, src, nil)
		if err != nil {
			t.Fatal(err)
		}
		mask, err := cf.Read(ctx, 0, 0, 0, cf.Levels[0].Width, cf.Levels[0].Height)
		if err != nil {
			t.Fatal(err)
		}
		it, err := rd.FetchItem(ctx, items[i])
		if err != nil {
			t.Fatal(err)
		}
		truth, err := rd.Crop(ctx, it, "truth", bb, 4326)
		if err != nil {
			t.Fatal(err)
		}
		iou, err := waterbodies.IoU(mask, truth)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d×%d, IoU %.4f", f.ID, mask.Width, mask.Height, iou)
		if iou < 0.95 {
			t.Fatalf("%s: IoU %.4f", f.ID, iou)
		}
	}
}

func TestStringListReadsZOODefaults(t *testing.T) {
	for in, want := range map[string]string{
		`["green","nir"]`:            "green|nir",
		`"['green', 'nir']"`:         "green|nir",
		`{"value":["a","b"]}`:        "a|b",
		`"https://example.com/item"`: "https://example.com/item",
	} {
		got, err := stringList(json.RawMessage(in))
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
}

// Deploying the EOAP water-bodies package takes the place of the built-in process of
// the same id; undeploying it brings the built-in one back.
func TestDeployedPackageTakesThePlaceOfBuiltinWaterBodies(t *testing.T) {
	e := newEnv(t, nil)
	pkg := readTestdata(t, "deploy-request.cwl-yaml.app-water-bodies-cloud-native.cwl")
	r := e.do("POST", "/processes", pkg, "Content-Type", "application/cwl+yaml")
	expectStatus(t, r, 201)
	var d ogcapi.Process
	e.do("GET", "/processes/water-bodies", nil).json(t, &d)
	if d.Mutable == nil || !*d.Mutable {
		t.Fatalf("the deployed package is not the one described: %+v", d.ProcessSummary)
	}
	expectStatus(t, e.do("DELETE", "/processes/water-bodies", nil), 204)
	e.do("GET", "/processes/water-bodies", nil).json(t, &d)
	if d.Mutable == nil || *d.Mutable || d.Inputs["stac_items"].Schema == nil {
		t.Fatalf("the built-in process did not come back: %+v", d.ProcessSummary)
	}
	expectException(t, e.do("DELETE", "/processes/water-bodies", nil), 403, ogcapi.ExcImmutableProc)
}
