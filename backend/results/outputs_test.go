package results_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
)

func process(t *testing.T, outputs string) *ogcapi.Process {
	t.Helper()
	var p ogcapi.Process
	if err := json.Unmarshal([]byte(`{"id":"p","version":"1","outputs":`+outputs+`}`), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// collect runs FromResults and returns the listed outputs by id, the list's ids in
// order, and the collection as exported (JSON).
func collect(t *testing.T, res *ogcapi.Results, job results.JobInfo) (map[string]results.Output, []string, []byte) {
	t.Helper()
	c, err := results.FromResults(context.Background(), res, job, results.Options{})
	if err != nil {
		t.Fatal(err)
	}
	exported, err := json.Marshal(c.ItemCollection)
	if err != nil {
		t.Fatal(err)
	}
	var back stac.ItemCollection
	if err := json.Unmarshal(exported, &back); err != nil {
		t.Fatal(err)
	}
	by := map[string]results.Output{}
	var ids []string
	for _, o := range results.OutputsOf(&back) {
		by[o.ID] = o
		ids = append(ids, o.ID)
	}
	return by, ids, exported
}

func text(mt, s string) ogcapi.OutputValue {
	return ogcapi.OutputValue{Kind: ogcapi.KindBytes, MediaType: mt, Bytes: []byte(s)}
}

func jsonValue(s string) ogcapi.OutputValue {
	return ogcapi.OutputValue{Kind: ogcapi.KindJSON, Value: json.RawMessage(s)}
}

// TestOutputTypes: schema → shown value (kind, type, value, note) → exported JSON, for
// each kind of value a server sends.
func TestOutputTypes(t *testing.T) {
	p := process(t, `{
		"count": {"title": "Count", "schema": {"type": "integer"}},
		"mean": {"title": "Mean NDVI", "schema": {"type": "number"}},
		"flag": {"schema": {"type": "boolean"}},
		"label": {"schema": {"type": "string"}},
		"int_as_json_string": {"schema": {"type": "integer"}},
		"not_a_number": {"schema": {"type": "integer"}},
		"float_for_int": {"schema": {"type": "integer"}},
		"untyped_text": {"schema": {}},
		"stats": {"schema": {"type": "object"}},
		"list": {"schema": {"type": "array", "items": {"type": "integer"}}},
		"extent": {"schema": {"allOf": [{"format": "ogc-bbox"}, {"type": "object"}]}},
		"area": {"schema": {"allOf": [{"format": "geojson-geometry"}, {"type": "object"}]}},
		"report": {"schema": {"type": "string", "contentMediaType": "text/csv"}},
		"image": {"schema": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"}},
		"result": {"schema": {"type": "string", "contentMediaType": "image/tiff; application=geotiff"}},
		"never_sent": {"title": "Never sent", "schema": {"type": "number"}}
	}`)
	res := &ogcapi.Results{Outputs: []ogcapi.OutputResult{
		{ID: "extra", Value: jsonValue(`"not described"`)},
		{ID: "count", Value: text("text/plain", "42")},
		{ID: "mean", Value: text("text/plain; charset=utf-8", " 0.618 ")},
		{ID: "flag", Value: text("text/plain", "true")},
		{ID: "label", Value: text("text/plain", "17")},
		{ID: "int_as_json_string", Value: jsonValue(`"7"`)},
		{ID: "not_a_number", Value: text("text/plain", "many")},
		{ID: "float_for_int", Value: jsonValue(`12.0`)},
		{ID: "untyped_text", Value: text("text/plain", "3")},
		{ID: "stats", Value: jsonValue(`{"min": -0.2, "max": 0.9}`)},
		{ID: "list", Value: text("application/json", `[1, 2, 3]`)},
		{ID: "extent", Value: jsonValue(`{"bbox": [5.9, 45.8, 10.5, 47.8], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`)},
		{ID: "area", Value: ogcapi.OutputValue{Kind: ogcapi.KindJSON, MediaType: "application/geo+json", Value: json.RawMessage(`{"type": "Point", "coordinates": [7, 46]}`)}},
		{ID: "report", Value: text("text/csv", "a,b\n1,2\n")},
		{ID: "image", Value: ogcapi.OutputValue{Kind: ogcapi.KindJSON, Value: json.RawMessage(`"iVBORw0KGgo="`), MediaType: "image/png"}},
		{ID: "result", Value: ogcapi.OutputValue{Kind: ogcapi.KindLink, Link: ogcapi.Link{Href: "https://data.example/r.tif", Type: "image/tiff; application=geotiff"}}},
	}}
	job := finished()
	job.Process = p
	by, ids, exported := collect(t, res, job)

	want := []string{"count", "mean", "flag", "label", "int_as_json_string", "not_a_number", "float_for_int", "untyped_text",
		"stats", "list", "extent", "area", "report", "image", "result", "never_sent", "extra"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("order\n got %v\nwant %v (description order, missing named, undescribed last)", ids, want)
	}
	for _, c := range []struct {
		id, kind, typ, value string
		note                 string // a substring of the note; "" for none
	}{
		{"count", "literal", "integer", `42`, `the server sent the text "42"; shown as the integer`},
		{"mean", "literal", "number", `0.618`, `text " 0.618 "`},
		{"flag", "literal", "boolean", `true`, `shown as the boolean`},
		{"label", "literal", "string", `"17"`, ""},
		{"int_as_json_string", "literal", "integer", `7`, `the server sent the string "7"`},
		{"not_a_number", "literal", "string", `"many"`, `declares an integer`},
		{"float_for_int", "literal", "integer", `12`, ""},
		{"untyped_text", "literal", "string", `"3"`, ""},
		{"stats", "json", "object", `{"min": -0.2, "max": 0.9}`, ""},
		{"list", "json", "array", `[1, 2, 3]`, ""},
		{"extent", "bbox", "object", `{"bbox": [5.9, 45.8, 10.5, 47.8], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`, ""},
		{"area", "geometry", "object", `{"type": "Point", "coordinates": [7, 46]}`, ""},
		{"report", "text", "string", `"a,b\n1,2\n"`, ""},
		{"image", "file", "", ``, ""},
		{"result", "link", "", ``, ""},
		{"never_sent", "missing", "number", ``, "did not return"},
		{"extra", "literal", "string", `"not described"`, ""},
	} {
		o := by[c.id]
		if o.Kind != c.kind || o.Type != c.typ || compact(o.Value) != compact(json.RawMessage(c.value)) {
			t.Errorf("%s: kind %q type %q value %s; want %q %q %s", c.id, o.Kind, o.Type, o.Value, c.kind, c.typ, c.value)
		}
		if (c.note == "") != (o.Note == "") || !strings.Contains(o.Note, c.note) {
			t.Errorf("%s: note %q, want one with %q", c.id, o.Note, c.note)
		}
	}
	if o := by["count"]; o.Title != "Count" {
		t.Errorf("count title %q", o.Title)
	}
	if o := by["result"]; o.Href != "https://data.example/r.tif" || o.MediaType != "image/tiff; application=geotiff" || len(o.Assets) != 1 || o.Item != "job-1" {
		t.Errorf("result by reference: %+v", o)
	}
	for _, id := range []string{"image", "report", "area"} {
		if o := by[id]; len(o.Assets) != 1 || o.Assets[0] != id {
			t.Errorf("%s: assets %v, want its file", id, o.Assets)
		}
	}

	// Exported: the job item's properties carry the typed literals too.
	var doc struct {
		Features []struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(exported, &doc); err != nil || len(doc.Features) != 1 {
		t.Fatalf("exported %s", exported)
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(doc.Features[0].Properties[stac.PropOutputs], &props); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"count": `42`, "mean": `0.618`, "flag": `true`, "label": `"17"`, "float_for_int": `12`} {
		if got := string(props[id]); got != want {
			t.Errorf("exported properties[%s] = %s, want %s", id, got, want)
		}
	}
	if !bytes.Contains(exported, []byte(`"geojobs:outputs":[{"id":"count","title":"Count","kind":"literal","type":"integer","value":42,`)) {
		t.Errorf("exported collection lacks the typed list: %.400s", exported)
	}
}

// TestOutputShapes: a raw answer's single unnamed output, pygeoapi's document list, and
// outputs beside STAC.
func TestOutputShapes(t *testing.T) {
	hello := process(t, `{"echo": {"title": "Hello, world", "schema": {"type": "object", "contentMediaType": "application/json"}}}`)
	job := finished()
	job.Process = hello
	by, ids, _ := collect(t, &ogcapi.Results{Outputs: []ogcapi.OutputResult{{Value: text("text/plain", "Hello World!")}}}, job)
	if len(ids) != 1 || by["echo"].Kind != "literal" || string(by["echo"].Value) != `"Hello World!"` || by["echo"].Title != "Hello, world" {
		t.Errorf("unnamed raw output: %v %+v", ids, by["echo"])
	}

	// pygeoapi's recorded document results, read by the client from a server.
	for file, note := range map[string]string{
		"execute-response.200.sync-document.0.17.json": "declares an object",
		"job-results.hello-world.json":                 `declares an object: the server sent the output as {"id": …, "value": …}`,
	} {
		body, err := os.ReadFile("../ogcapi/testdata/pygeoapi/" + file)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}))
		cl, err := ogcapi.New(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		res, err := cl.Results(context.Background(), srv.URL+"/jobs/j1")
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		by, ids, _ = collect(t, res, job)
		if len(ids) != 1 || by["echo"].Kind != "literal" || string(by["echo"].Value) != `"Hello World! An optional message."` ||
			!strings.Contains(by["echo"].Note, note) {
			t.Errorf("%s: %v %+v", file, ids, by["echo"])
		}
	}

	// Values beside STAC are listed too; the STAC output says how many items it gave.
	stacDoc := `{"type":"FeatureCollection","features":[{"type":"Feature","stac_version":"1.0.0","id":"a","geometry":null,"properties":{"datetime":"2024-05-01T10:00:00Z"},"links":[],"assets":{}}]}`
	res := &ogcapi.Results{Outputs: []ogcapi.OutputResult{
		{ID: "stac_catalog", Value: jsonValue(stacDoc)},
		{ID: "cloud_cover", Value: text("text/plain", "12.5")},
	}}
	job.Process = process(t, `{"stac_catalog": {"schema": {"type": "object"}}, "cloud_cover": {"schema": {"type": "number"}}}`)
	by, ids, _ = collect(t, res, job)
	if by["stac_catalog"].Kind != "stac" || by["stac_catalog"].Items != 1 || by["cloud_cover"].Kind != "literal" || string(by["cloud_cover"].Value) != "12.5" {
		t.Errorf("beside STAC: %v %+v", ids, by)
	}

	// Without a description: the order the server sent, types as sent.
	job.Process = nil
	by, ids, _ = collect(t, &ogcapi.Results{Outputs: []ogcapi.OutputResult{{ID: "b", Value: jsonValue(`5`)}, {ID: "a", Value: jsonValue(`"x"`)}}}, job)
	if strings.Join(ids, ",") != "b,a" || by["b"].Type != "integer" || by["a"].Type != "string" {
		t.Errorf("no description: %v %+v", ids, by)
	}

	// Asked for some outputs only: the others are not missing.
	job.Process = process(t, `{"x": {"schema": {"type": "number"}}, "y": {"schema": {"type": "number"}}}`)
	job.Requested = []string{"x"}
	_, ids, _ = collect(t, &ogcapi.Results{Outputs: []ogcapi.OutputResult{{ID: "x", Value: jsonValue(`1.5`)}}}, job)
	if strings.Join(ids, ",") != "x" {
		t.Errorf("requested x only: listed %v", ids)
	}
}

// TestEchoOutputsTyped runs the built-in echo (raw: a multipart answer of text/plain
// parts; document: JSON) and checks that every output comes back with its type.
func TestEchoOutputsTyped(t *testing.T) {
	srv := localeptest.Start(t, localep.Options{})
	cl, err := ogcapi.New(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := cl.Process(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	inputs := `{"stringInput": "hello world", "integerInput": 42, "numberInput": 3.14, "booleanInput": true,
		"arrayInput": [1, 2, 3], "objectInput": {"value": {"name": "n", "weight": 2}},
		"boundingBoxInput": {"bbox": [5.9, 45.8, 10.5, 47.8]},
		"geometryInput": {"value": {"type": "Point", "coordinates": [7, 46]}, "mediaType": "application/geo+json"}}`
	for _, response := range []string{ogcapi.ResponseRaw, ogcapi.ResponseDocument} {
		req := &ogcapi.Execute{Response: response}
		if err := json.Unmarshal([]byte(inputs), &req.Inputs); err != nil {
			t.Fatal(err)
		}
		ex, err := cl.Execute(ctx, "echo", req, ogcapi.ExecOptions{Mode: ogcapi.Sync, Process: p})
		if err != nil || ex.Results == nil {
			t.Fatalf("%s: %v", response, err)
		}
		job := finished()
		job.Process = p
		by, ids, _ := collect(t, ex.Results, job)
		if len(ids) != len(p.Outputs) {
			t.Errorf("%s: %d outputs listed, the description has %d", response, len(ids), len(p.Outputs))
		}
		for id, want := range map[string]string{"integerOutput": "integer 42", "numberOutput": "number 3.14", "booleanOutput": "boolean true",
			"stringOutput": `string "hello world"`, "arrayOutput": "array [1,2,3]", "boundingBoxOutput": "object", "geometryOutput": "object"} {
			o := by[id]
			got := o.Type
			if strings.Contains(want, " ") {
				got += " " + compact(o.Value)
			}
			if got != want {
				t.Errorf("%s %s: %q, want %q (%+v)", response, id, got, want, o)
			}
		}
		if by["boundingBoxOutput"].Kind != "bbox" || by["geometryOutput"].Kind != "geometry" || by["binaryOutput"].Kind != "missing" {
			t.Errorf("%s: bbox %q, geometry %q, binary %q", response, by["boundingBoxOutput"].Kind, by["geometryOutput"].Kind, by["binaryOutput"].Kind)
		}
	}
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// A server answering its results with a web page for an output declared an object
// (pygeoapi behind a proxy even with f=json, a gateway's page): the page is listed
// as text, with a note that it is not what the description declares.
func TestHTMLWhereObjectDeclared(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>results</body></html>")
	}))
	defer srv.Close()
	cl, err := ogcapi.New(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res, err := cl.ResultsWith(context.Background(), srv.URL+"/jobs/j1", ogcapi.ResultsHint{OutputIDs: []string{"stac_catalog"}})
	if err != nil {
		t.Fatal(err)
	}
	job := finished()
	job.Process = process(t, `{"stac_catalog": {"schema": {"oneOf": [{"type": "object"}]}}}`)
	by, _, _ := collect(t, res, job)
	o := by["stac_catalog"]
	var page string
	json.Unmarshal(o.Value, &page)
	if o.Kind != results.KindText || page != "<html><body>results</body></html>" || o.Note != "the process description declares an object; the server sent text/html text" {
		t.Errorf("stac_catalog %+v", o)
	}
}
