package ogcapi

import (
	"encoding/json"
	"os"
	"testing"
)

func desc(schema string, maxOccurs MaxOccurs, minOccurs ...int) InputDescription {
	d := InputDescription{Schema: json.RawMessage(schema), MaxOccurs: maxOccurs}
	if len(minOccurs) > 0 {
		d.MinOccurs = &minOccurs[0]
	}
	return d
}

const (
	schemaString  = `{"type":"string"}`
	schemaInt     = `{"type":"integer"}`
	schemaNumber  = `{"type":"number"}`
	schemaBool    = `{"type":"boolean"}`
	schemaObject  = `{"type":"object"}`
	schemaStrArr  = `{"type":"array","items":{"type":"string"}}`
	schemaBBox    = `{"allOf":[{"format":"ogc-bbox"},{"$ref":"../../openapi/schemas/bbox.yaml"}]}`
	schemaBBoxURI = `{"type":"object","format":"http://www.opengis.net/def/format/ogcapi-processes/0/ogc-bbox"}`
	schemaBinary  = `{"type":"string","contentEncoding":"binary","contentMediaType":"image/tiff; application=geotiff"}`
	schemaMixed   = `{"oneOf":[{"type":"string","contentMediaType":"application/gml+xml; version=3.2"},{"type":"string","contentEncoding":"binary","contentMediaType":"image/tiff; application=geotiff"},{"type":"object","format":"geojson-feature-collection","contentMediaType":"application/geo+json"}]}`
	schemaZOOObj  = `{"oneOf":[{"type":"object"}]}`
)

func TestBuildInput(t *testing.T) {
	s := loadSchemas(t)
	type obj struct {
		A int    `json:"a"`
		B string `json:"b"`
	}
	cases := []struct {
		name   string
		desc   InputDescription
		values []any
		want   string
	}{
		{"literal string", desc(schemaString, 0), []any{"Value1"}, `"Value1"`},
		{"literal int", desc(schemaInt, 0), []any{42}, `42`},
		{"form string to integer", desc(schemaInt, 0), []any{" 7 "}, `7`},
		{"form string to number", desc(schemaNumber, 0), []any{"2.5"}, `2.5`},
		{"form string to boolean", desc(schemaBool, 0), []any{"true"}, `true`},
		{"number to string schema", desc(schemaString, 0), []any{3.5}, `"3.5"`},
		{"maxOccurs>1 one value is an array", desc(schemaString, 999), []any{"only"}, `["only"]`},
		{"maxOccurs>1 two values", desc(schemaString, 999), []any{"a", "b"}, `["a","b"]`},
		{"maxOccurs>1 one slice = occurrences", desc(schemaString, 999), []any{[]string{"green", "nir"}}, `["green","nir"]`},
		{"unbounded", desc(schemaInt, Unbounded), []any{1, 2, 3}, `[1,2,3]`},
		{"array schema maxOccurs 1 is one array", desc(schemaStrArr, 0), []any{[]string{"a", "b"}}, `["a","b"]`},
		{"array schema maxOccurs 3, one array value", desc(schemaStrArr, 3), []any{[]string{"a", "b"}}, `[["a","b"]]`},
		{"array schema maxOccurs 3, two array values", desc(schemaStrArr, 3), []any{[][]string{{"a"}, {"b", "c"}}}, `[["a"],["b","c"]]`},
		{"object is wrapped", desc(schemaObject, 0), []any{map[string]any{"x": 1}}, `{"value":{"x":1}}`},
		{"struct is wrapped", desc(schemaObject, 0), []any{obj{1, "q"}}, `{"value":{"a":1,"b":"q"}}`},
		{"raw JSON object is wrapped", desc(schemaZOOObj, 0), []any{json.RawMessage(`{"type":"FeatureCollection","features":[]}`)}, `{"value":{"type":"FeatureCollection","features":[]}}`},
		{"JSON text for object schema is wrapped", desc(schemaObject, 0), []any{`{"k":"v"}`}, `{"value":{"k":"v"}}`},
		{"objects in an array are wrapped", desc(schemaObject, 5), []any{map[string]int{"a": 1}}, `[{"value":{"a":1}}]`},
		{"bbox", desc(schemaBBox, 0), []any{BBox{Coords: []float64{1, 2, 3, 4}}}, `{"bbox":[1,2,3,4],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`},
		{"bbox with crs", desc(schemaBBox, 0), []any{BBox{Coords: []float64{1, 2, 0, 3, 4, 9}, CRS: "http://www.opengis.net/def/crs/OGC/0/CRS84h"}}, `{"bbox":[1,2,0,3,4,9],"crs":"http://www.opengis.net/def/crs/OGC/0/CRS84h"}`},
		{"bbox from numbers", desc(schemaBBoxURI, 0), []any{[]float64{-121.399, 39.834, -120.74, 40.472}}, `{"bbox":[-121.399,39.834,-120.74,40.472],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`},
		{"bbox from text", desc(schemaBBox, 0), []any{"-121.399, 39.834,-120.74,40.472"}, `{"bbox":[-121.399,39.834,-120.74,40.472],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`},
		{"two bboxes", desc(schemaBBox, 2), []any{[]float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}}, `[{"bbox":[1,2,3,4],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"},{"bbox":[5,6,7,8],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}]`},
		{"reference", desc(schemaBinary, 0), []any{Ref{Href: "https://example.com/a.tif", Type: "image/tiff; application=geotiff"}}, `{"href":"https://example.com/a.tif","type":"image/tiff; application=geotiff"}`},
		{"references, many", desc(schemaString, Unbounded), []any{Ref{Href: "https://e/1"}, &Ref{Href: "https://e/2"}}, `[{"href":"https://e/1"},{"href":"https://e/2"}]`},
		{"binary is base64", desc(schemaBinary, 0), []any{[]byte{0, 1, 2, 250}}, `"AAEC+g=="`},
		{"binary, mixed types, default branch", desc(schemaMixed, 0), []any{[]byte("hi")}, `{"value":"aGk=","mediaType":"application/gml+xml; version=3.2","encoding":"base64"}`},
		{"binary, mixed types, chosen branch", desc(schemaMixed, 0), []any{Binary{Data: []byte("hi"), MediaType: "image/tiff; application=geotiff"}}, `{"value":"aGk=","mediaType":"image/tiff; application=geotiff","encoding":"base64"}`},
		{"string, mixed types", desc(schemaMixed, 0), []any{"<gml/>"}, `{"value":"<gml/>","mediaType":"application/gml+xml; version=3.2"}`},
		{"object, mixed types", desc(schemaMixed, 0), []any{map[string]any{"type": "FeatureCollection"}}, `{"value":{"type":"FeatureCollection"},"mediaType":"application/geo+json"}`},
		{"qualified", desc(schemaString, 0), []any{Qualified{Value: "<a/>", MediaType: "application/xml"}}, `{"value":"<a/>","mediaType":"application/xml"}`},
		{"qualified bytes", desc(schemaString, 0), []any{Qualified{Value: []byte{1}, MediaType: "application/octet-stream"}}, `{"value":"AQ==","mediaType":"application/octet-stream","encoding":"base64"}`},
		{"verbatim", desc(schemaObject, 0), []any{Verbatim(`{"href":"https://e/x"}`)}, `{"href":"https://e/x"}`},
		{"optional without value", desc(schemaString, 0, 0), nil, ``},
		{"default without value", desc(`{"type":"string","default":"EPSG:4326"}`, 0), nil, ``},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildInput(tc.desc, tc.values...)
			if err != nil {
				t.Fatalf("BuildInput: %v", err)
			}
			if tc.want == "" {
				if got != nil {
					t.Fatalf("got %s, want nothing", got)
				}
				return
			}
			if !jsonEqual(t, got, []byte(tc.want)) {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			s.validateInput(t, "x", got)
		})
	}
}

func TestBuildInputErrors(t *testing.T) {
	cases := []struct {
		name   string
		desc   InputDescription
		values []any
	}{
		{"required missing", desc(schemaString, 0), nil},
		{"too many for maxOccurs 1", desc(schemaString, 0), []any{"a", "b"}},
		{"too many for maxOccurs 2", desc(schemaString, 2), []any{[]string{"a", "b", "c"}}},
		{"too few for minOccurs 2", desc(schemaString, 5, 2), []any{"a"}},
		{"bad integer", desc(schemaInt, 0), []any{"seven"}},
		{"bbox of 5", desc(schemaBBox, 0), []any{BBox{Coords: []float64{1, 2, 3, 4, 5}}}},
		{"bbox text", desc(schemaBBox, 0), []any{"north of here"}},
		{"ref without href", desc(schemaString, 0), []any{Ref{Type: "text/plain"}}},
		{"nil", desc(schemaString, 0), []any{nil}},
		{"invalid verbatim", desc(schemaString, 0), []any{Verbatim(`{`)}},
		{"null", desc(schemaString, 0), []any{json.RawMessage(`null`)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BuildInput(tc.desc, tc.values...)
			if err == nil {
				t.Fatalf("got %s, want an error", got)
			}
			if CodeOf(err) != InvalidInput {
				t.Fatalf("CodeOf = %v, want InvalidInput (%v)", CodeOf(err), err)
			}
		})
	}
}

// The water-bodies description from ZOO: CWL string[] inputs are described as
// type string with maxOccurs 999, so single values must still go as arrays.
func TestBuildInputsWaterBodies(t *testing.T) {
	var p Process
	if err := json.Unmarshal(readFixture(t, "process-description.water-bodies.json"), &p); err != nil {
		t.Fatal(err)
	}
	in, err := BuildInputs(&p, map[string][]any{
		"stac_items": {"https://earth-search.aws.element84.com/v0/collections/sentinel-s2-l2a-cogs/items/S2B_10TFK_20210713_0_L2A"},
		"aoi":        {"-121.399,39.834,-120.74,40.472"},
		"bands":      {"green", "nir"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(in["stac_items"]); got != `["https://earth-search.aws.element84.com/v0/collections/sentinel-s2-l2a-cogs/items/S2B_10TFK_20210713_0_L2A"]` {
		t.Errorf("stac_items = %s", got)
	}
	if got := string(in["aoi"]); got != `"-121.399,39.834,-120.74,40.472"` {
		t.Errorf("aoi = %s (a string schema, not a bbox)", got)
	}
	if got := string(in["bands"]); got != `["green","nir"]` {
		t.Errorf("bands = %s", got)
	}
	if _, ok := in["epsg"]; ok {
		t.Errorf("epsg has a default and no value: want it left out, got %s", in["epsg"])
	}
	body, _ := json.Marshal(Execute{Inputs: in})
	loadSchemas(t).validateExecute(t, body)

	if _, err := BuildInputs(&p, map[string][]any{"nope": {"x"}}); CodeOf(err) != InvalidInput {
		t.Errorf("unknown input: err = %v, want InvalidInput", err)
	}
	_, err = BuildInputs(&p, map[string][]any{})
	var ie *InputError
	if !asInputError(err, &ie) || ie.Input != "aoi" {
		t.Errorf("missing aoi: err = %v, want an InputError for aoi", err)
	}
}

func asInputError(err error, target **InputError) bool {
	ie, ok := err.(*InputError)
	if ok {
		*target = ie
	}
	return ok
}

// The schema validation must be able to fail: a bare object is not a valid input.
func TestSchemaRejectsBareObject(t *testing.T) {
	s := loadSchemas(t)
	if err := s.validate(t, "inlineOrRefData.yaml", []byte(`{"x":1}`)); err == nil {
		t.Fatal("bare object accepted by inlineOrRefData.yaml")
	}
	if err := s.validate(t, "execute.yaml", []byte(`{"inputs":{"a":{"x":1}}}`)); err == nil {
		t.Fatal("bare object input accepted by execute.yaml")
	}
	if err := s.validate(t, "execute.yaml", []byte(`{"inputs":{"a":{"value":{"x":1}}},"response":"document"}`)); err != nil {
		t.Fatalf("wrapped object rejected: %v", err)
	}
}

func BenchmarkBuildInputsWaterBodies(b *testing.B) {
	var p Process
	body, err := os.ReadFile("testdata/zoo/process-description.water-bodies.json")
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(body, &p); err != nil {
		b.Fatal(err)
	}
	values := map[string][]any{"stac_items": {"https://a/1", "https://a/2"}, "aoi": {"1,2,3,4"}, "bands": {"green", "nir"}}
	for b.Loop() {
		if _, err := BuildInputs(&p, values); err != nil {
			b.Fatal(err)
		}
	}
}
