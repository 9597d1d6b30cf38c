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

// Validate refuses only what is certainly wrong: the requests real servers document
// pass, and so do values the schema cannot judge (qualified text in another media
// type, a value with its own encoding, text several formats take, null for a
// nullable input).
func TestValidateAcceptsWhatServersTake(t *testing.T) {
	for _, c := range []struct{ desc, req string }{
		{"testdata/process-description.water-bodies.json", "testdata/execute-request.water-bodies.landsat.json"},
		{"testdata/process-description.water-bodies.json", "../ogcapi/testdata/zoo/execute-request.water-bodies.sentinel2.json"},
		{"../ogcapi/testdata/pygeoapi/process-description.hello-world.json", "../ogcapi/testdata/pygeoapi/execute-request.hello-world.json"},
	} {
		p, ex := readProcess(t, c.desc), readExecute(t, c.req)
		if probs := Validate(p, ex); len(probs) > 0 {
			t.Errorf("%s: %v", c.req, probs)
		}
	}

	p := &ogcapi.Process{ProcessSummary: ogcapi.ProcessSummary{ID: "p"}, Inputs: map[string]ogcapi.InputDescription{
		// Part 1's mixed-type example: a oneOf of formats, all of them text.
		"doc":   {Schema: json.RawMessage(`{"oneOf":[{"type":"string","contentMediaType":"application/xml"},{"type":"string","contentMediaType":"text/plain"}]}`)},
		"shape": {Schema: json.RawMessage(`{"type":"object","required":["type"],"properties":{"type":{"enum":["Point","Polygon"]}}}`)},
		"epsg":  {Schema: json.RawMessage(`{"type":"string","nullable":true}`)},
		"count": {MinOccurs: new(int), Schema: json.RawMessage(`{"type":"integer","minimum":1}`)},
		"level": {MinOccurs: new(int), Schema: json.RawMessage(`{"type":"string","enum":["low","high"]}`)},
	}}
	for _, in := range []string{
		`{"doc":"plain words","shape":{"value":{"type":"Point"}}}`,
		`{"doc":{"value":"<a/>","mediaType":"application/xml"},"shape":{"value":"<gml:Point/>","mediaType":"application/gml+xml"},"epsg":null}`,
		`{"doc":"x","shape":{"value":"{\"type\":\"Polygon\"}","mediaType":"application/geo+json"}}`,
		`{"doc":"x","shape":{"value":"UG9pbnQ=","mediaType":"application/octet-stream","encoding":"base64"}}`,
		`{"doc":{"href":"https://example.com/doc.xml"},"shape":{"href":"https://example.com/shape.json"},"count":{"href":"https://example.com/n"}}`,
	} {
		if probs := Validate(p, &ogcapi.Execute{Inputs: rawInputs(t, in)}); len(probs) > 0 {
			t.Errorf("%s: refused: %v", in, probs)
		}
	}
	for _, c := range []struct{ in, id, want string }{
		{`{"doc":"x"}`, "shape", "a value is required"},
		{`{"doc":"x","shape":{"value":{"type":"Line"}}}`, "shape", "Point"},
		{`{"doc":"x","shape":{"value":"{\"type\":\"Line\"}","mediaType":"application/geo+json"}}`, "shape", "Point"},
		{`{"doc":"x","shape":{"value":"not json","mediaType":"application/geo+json"}}`, "shape", "object"},
		{`{"doc":"x","shape":{"value":{"type":"Point"}},"count":"three"}`, "count", "integer"},
		{`{"doc":"x","shape":{"value":{"type":"Point"}},"level":"medium"}`, "level", "low"},
	} {
		probs := Validate(p, &ogcapi.Execute{Inputs: rawInputs(t, c.in)})
		if got := strings.Join(probs.Of(c.id, -1), "; "); !strings.Contains(got, c.want) {
			t.Errorf("%s: %s: %q, want %q (all: %v)", c.in, c.id, got, c.want, probs)
		}
	}
}

func readProcess(t *testing.T, path string) *ogcapi.Process {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p ogcapi.Process
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func readExecute(t *testing.T, path string) *ogcapi.Execute {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ex ogcapi.Execute
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatal(err)
	}
	return &ex
}

func rawInputs(t *testing.T, doc string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}
