package forms

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func TestValidate(t *testing.T) {
	p, err := localEndpoint(t).Process(context.Background(), "echo")
	if err != nil {
		t.Fatal(err)
	}
	ex := &ogcapi.Execute{Inputs: map[string]json.RawMessage{
		"integerInput":     json.RawMessage(`1001`),
		"dateTimeInput":    json.RawMessage(`"yesterday"`),
		"arrayInput":       json.RawMessage(`[1]`),
		"objectInput":      json.RawMessage(`{"value":{"weight":"heavy"}}`),
		"multiStringInput": json.RawMessage(`["a", 2, "c"]`),
		"boundingBoxInput": json.RawMessage(`{"bbox":[1,2,3],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`),
		"stringInput":      json.RawMessage(`{"href":"https://example.com/x"}`),
		"nope":             json.RawMessage(`1`),
	}}
	probs := Validate(p, ex)
	for _, want := range []struct {
		id  string
		row int
		msg string
	}{
		{"integerInput", -1, "maximum"},
		{"dateTimeInput", -1, "date-time"},
		{"arrayInput", -1, "minItems"},
		{"objectInput", -1, "name"},
		{"multiStringInput", 1, "string"},
		{"boundingBoxInput", -1, "bbox"},
		{"nope", -1, "no input"},
	} {
		got := strings.Join(probs.Of(want.id, want.row), "; ")
		if !strings.Contains(got, want.msg) {
			t.Errorf("%s[%d]: %q, want %q (all: %v)", want.id, want.row, got, want.msg, probs)
		}
	}
	if got := probs.Of("stringInput", -1); len(got) > 0 {
		t.Errorf("a reference was judged: %v", got)
	}
	good := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"integerInput": json.RawMessage(`7`),
		"hrefInput": json.RawMessage(`"https://example.com/a"`), "geometryInput": json.RawMessage(`{"value":{"type":"Point","coordinates":[1,2]},"mediaType":"application/geo+json"}`)}}
	if probs := Validate(p, good); len(probs) > 0 {
		t.Errorf("valid request: %v", probs)
	}
}

func TestValidateWaterBodies(t *testing.T) {
	raw, _ := os.ReadFile("testdata/process-description.water-bodies.json")
	var p ogcapi.Process
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	ex := &ogcapi.Execute{Inputs: map[string]json.RawMessage{
		"aoi": json.RawMessage(`"-121.399,39.834,-120.74,40.472"`), "stac_items": json.RawMessage(`["https://a", "https://b"]`),
		"epsg": json.RawMessage(`null`), "bands": json.RawMessage(`["green","nir08"]`)}}
	if probs := Validate(&p, ex); len(probs) > 0 {
		t.Errorf("valid water-bodies request: %v", probs)
	}
	delete(ex.Inputs, "stac_items")
	if probs := Validate(&p, ex); len(probs.Of("stac_items", -1)) != 1 {
		t.Errorf("missing stac_items: %v", probs)
	}
}
