package forms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// localEndpoint starts the built-in endpoint on an in-memory file system.
func localEndpoint(t *testing.T) *ogcapi.Client {
	t.Helper()
	hs := localeptest.Start(t, localep.Options{})
	c, err := ogcapi.New(hs.URL, ogcapi.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func echoProcess(t *testing.T, c *ogcapi.Client) *ogcapi.Process {
	t.Helper()
	p, err := c.Process(context.Background(), "echo")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waterBodies(t *testing.T) *ogcapi.Process {
	t.Helper()
	b, err := os.ReadFile("testdata/process-description.water-bodies.json")
	if err != nil {
		t.Fatal(err)
	}
	var p ogcapi.Process
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

// formValues fills controls by input id, as a browser would submit them.
type formValues struct {
	f *Form
	v url.Values
}

func newValues(f *Form) *formValues {
	fv := &formValues{f: f, v: url.Values{SubmittedAs: {"1"}}}
	for _, o := range f.Outputs {
		fv.v.Set(o.Name("on"), "1")
	}
	if len(f.Modes) > 0 {
		fv.v.Set(ModeName, f.Modes[0])
	}
	return fv
}

func (fv *formValues) field(id string) Field {
	fl, ok := fv.f.Field(id)
	if !ok {
		panic("no field " + id)
	}
	return fl
}

func (fv *formValues) set(id string, n int, part, value string) *formValues {
	fl := fv.field(id)
	fv.v.Set(fl.Name(n, part), value)
	if fl.Many() {
		rows, _ := strconv.Atoi(fv.v.Get(fl.RowsName()))
		fv.v.Set(fl.RowsName(), strconv.Itoa(max(rows, n+1)))
	}
	return fv
}

func (fv *formValues) prop(id string, n int, prop, value string) *formValues {
	fl := fv.field(id)
	for _, p := range fl.Props {
		if p.ID == prop {
			fv.v.Set(fl.PropName(n, p), value)
			return fv
		}
	}
	panic("no property " + prop)
}

// canon is JSON with sorted keys and no spacing, to compare documents.
func canon(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(bytes.TrimSpace(want), bytes.TrimSpace(got)) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// pngBytes is the 8-byte PNG signature plus a few bytes: enough to be "a file".
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func echoAll(f *Form) *formValues {
	return newValues(f).
		set("stringInput", 0, "v", "hello <world>").
		set("enumInput", 0, "v", "Value2").
		set("numberInput", 0, "v", "3.25").
		set("integerInput", 0, "v", "42").
		set("booleanInput", 0, "v", "true").
		set("dateTimeInput", 0, "v", "2024-05-01T12:30").
		set("arrayInput", 0, "v", "1, 2, 3").
		set("multiStringInput", 0, "v", "first").
		set("multiStringInput", 1, "v", "").
		set("multiStringInput", 2, "v", "second").
		prop("objectInput", 0, "name", "probe").
		prop("objectInput", 0, "weight", "2.5").
		set("boundingBoxInput", 0, "v", "5.9,45.8,10.5,47.8").
		set("geometryInput", 0, "v", `{"type":"Point","coordinates":[7.44,46.95]}`).
		set("binaryInput", 0, "v", base64.StdEncoding.EncodeToString(pngBytes)).
		set("hrefInput", 0, "v", "https://example.com/data.tif").
		set("pause", 0, "v", "0")
}

func TestEchoFormKinds(t *testing.T) {
	f := New(echoProcess(t, localEndpoint(t)))
	want := map[string]Kind{
		"stringInput": KindText, "enumInput": KindEnum, "numberInput": KindNumber, "integerInput": KindInteger,
		"booleanInput": KindBoolean, "dateTimeInput": KindDateTime, "arrayInput": KindList,
		"multiStringInput": KindText, "objectInput": KindObject, "boundingBoxInput": KindBBox,
		"geometryInput": KindGeoJSON, "binaryInput": KindBinary, "hrefInput": KindURI, "pause": KindNumber,
	}
	for id, k := range want {
		fl, ok := f.Field(id)
		if !ok {
			t.Errorf("no field for %s", id)
			continue
		}
		if fl.Kind != k {
			t.Errorf("%s: kind %s, want %s", id, fl.Kind, k)
		}
	}
	if fl, _ := f.Field("boundingBoxInput"); fl.AOI != AOIOGCBBox {
		t.Errorf("bbox AOI format %q", fl.AOI)
	}
	if fl, _ := f.Field("geometryInput"); fl.AOI != AOIGeometry {
		t.Errorf("geometry AOI format %q", fl.AOI)
	}
	if fl, _ := f.Field("multiStringInput"); !fl.Many() || fl.Max != 5 || fl.Min != 0 {
		t.Errorf("multiStringInput occurrences %d..%d", fl.Min, fl.Max)
	}
	if fl, _ := f.Field("integerInput"); fl.Minimum != "0" || fl.Maximum != "1000" {
		t.Errorf("integer bounds %q..%q", fl.Minimum, fl.Maximum)
	}
	if fl, _ := f.Field("enumInput"); fl.Default != "Value1" || len(fl.Enum) != 3 {
		t.Errorf("enum default %q, options %v", fl.Default, fl.Enum)
	}
	if fl, _ := f.Field("objectInput"); len(fl.Props) != 2 || !fl.Props[0].Required || fl.Props[0].ID != "name" {
		t.Errorf("object props %+v", fl.Props)
	}
	if len(f.Modes) != 2 || f.Modes[0] != ogcapi.AsyncExecute {
		t.Errorf("modes %v", f.Modes)
	}
}

func TestGoldenEchoEveryKind(t *testing.T) {
	c := localEndpoint(t)
	p := echoProcess(t, c)
	f := New(p)
	fv := echoAll(f)
	req, probs := f.Build(f.Parse(fv.v, nil))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	golden(t, "echo-every-kind", req.JSON())
	if string(req.AOI) != `{"coordinates":[[[5.9,45.8],[10.5,45.8],[10.5,47.8],[5.9,47.8],[5.9,45.8]]],"type":"Polygon"}` {
		t.Errorf("AOI %s", req.AOI)
	}
	// The built-in endpoint validates what it gets: the request must be accepted and echoed.
	ex, err := c.Execute(context.Background(), "echo", req.Execute, ogcapi.ExecOptions{Mode: ogcapi.Sync, Process: p})
	if err != nil {
		t.Fatalf("the endpoint refused the request the form built: %v", err)
	}
	if ex.Results == nil {
		t.Fatal("no results from a sync run")
	}
	if len(ex.Results.Outputs) != 13 {
		t.Errorf("%d outputs echoed, want 13 (every input but pause)", len(ex.Results.Outputs))
	}
}

func TestGoldenEchoReferencesAndOutputs(t *testing.T) {
	p := echoProcess(t, localEndpoint(t))
	f := New(p)
	fv := newValues(f).
		set("stringInput", 0, "src", "ref").
		set("stringInput", 0, "href", "https://example.com/text.txt").
		set("stringInput", 0, "v", "ignored when given by reference")
	fv.v.Set(ModeName, ogcapi.SyncExecute)
	for _, o := range f.Outputs {
		if o.ID != "stringOutput" && o.ID != "boundingBoxOutput" {
			fv.v.Del(o.Name("on"))
		}
		if o.ID == "stringOutput" {
			fv.v.Set(o.Name("tm"), ogcapi.TransmissionReference)
		}
	}
	req, probs := f.Build(f.Parse(fv.v, nil))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if req.Mode != ogcapi.SyncExecute {
		t.Errorf("mode %q", req.Mode)
	}
	golden(t, "echo-reference-outputs", req.JSON())
}

func TestGoldenWaterBodies(t *testing.T) {
	f := New(waterBodies(t))
	fv := newValues(f).
		set("aoi", 0, "v", "-121.399,39.834,-120.74,40.472").
		set("stac_items", 0, "v", "https://example.com/stac/items/A").
		set("stac_items", 1, "v", "https://example.com/stac/items/B").
		set("bands", 0, "v", "green").set("bands", 1, "v", "nir08").
		set("epsg", 0, "v", "EPSG:4326")
	req, probs := f.Build(f.Parse(fv.v, nil))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	golden(t, "water-bodies", req.JSON())
}

func TestWaterBodiesForm(t *testing.T) {
	f := New(waterBodies(t))
	aoi, _ := f.Field("aoi")
	if aoi.Kind != KindText || aoi.AOI != AOIBBoxString || !aoi.Required {
		t.Errorf("aoi: %+v", aoi)
	}
	bands, _ := f.Field("bands")
	if !bands.Many() || bands.Required || len(bands.Defaults) != 2 {
		t.Errorf("bands: many %v required %v defaults %v", bands.Many(), bands.Required, bands.Defaults)
	}
	def := f.Defaults()
	if got := def.Inputs["bands"]; len(got) != 2 || got[0].Value != "green" || got[1].Value != "nir" {
		t.Errorf("bands rows %+v", got)
	}
	if got := def.Inputs["epsg"]; got[0].Value != "EPSG:4326" {
		t.Errorf("epsg default %+v", got)
	}
	if def.Mode != ogcapi.AsyncExecute || len(f.Modes) != 1 {
		t.Errorf("modes %v, default %q", f.Modes, def.Mode)
	}
}

func TestImportLandsatRoundTrip(t *testing.T) {
	f := New(waterBodies(t))
	body, err := os.ReadFile("testdata/execute-request.water-bodies.landsat.json")
	if err != nil {
		t.Fatal(err)
	}
	v, warnings, err := f.Import(body)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("import: %v %v", err, warnings)
	}
	if got := v.Inputs["stac_items"]; len(got) != 2 {
		t.Fatalf("stac_items rows %+v", got)
	}
	req, probs := f.Build(v)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var want, got any
	_ = json.Unmarshal(body, &want)
	_ = json.Unmarshal(req.JSON(), &got)
	wb, _ := json.Marshal(want)
	gb, _ := json.Marshal(got)
	if !bytes.Equal(wb, gb) {
		t.Errorf("export after import differs:\n got %s\nwant %s", gb, wb)
	}
}

func TestImportEOAPYAML(t *testing.T) {
	f := New(waterBodies(t))
	yml := `execute_request:
  process_id: "water-bodies"
  inputs:
    aoi: "-121.399,39.834,-120.74,40.472"
    bands:
    - "green"
    - "nir08"
    epsg: "EPSG:4326"
    stac_items:
    - https://example.com/a
    unknown: 1
`
	v, warnings, err := f.Import([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "unknown") {
		t.Errorf("warnings %v", warnings)
	}
	if got := v.Inputs["bands"]; len(got) != 2 || got[1].Value != "nir08" {
		t.Errorf("bands %+v", got)
	}
	if _, _, err := f.Import([]byte("just: [text")); err == nil || !strings.HasPrefix(err.Error(), "not valid YAML: ") {
		t.Errorf("broken YAML: %v", err)
	}
	// Text that looks like JSON gets JSON's error, where it is.
	for _, c := range []struct{ in, want string }{
		{"{\n  \"inputs\": {\n    \"bands\": [\"red\",],\n  }\n}", "not valid JSON: line 3, column 21: invalid character ']'"},
		{"\ufeff  [1, 2", "not valid JSON: line 1, column 8: the text ends before the JSON document does"},
		{"{\"inputs\": {\"aoi\": \"é\" \"x\"}}", "not valid JSON: line 1, column 24: invalid character '\"' after object key:value pair"},
	} {
		if _, _, err := f.Import([]byte(c.in)); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Import(%q): %v, want %q…", c.in, err, c.want)
		}
	}
	if _, _, err := f.Import([]byte(`{"foo": 1}`)); err == nil {
		t.Error("a document without inputs imported")
	}
}

// A request for another process is refused with the reason, rather than imported as
// an empty form; a request naming another process but sharing inputs gets a warning.
func TestImportForAnotherProcess(t *testing.T) {
	f := New(echoProcess(t, localEndpoint(t)))
	body, err := os.ReadFile("testdata/execute-request.water-bodies.landsat.json")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Import(body)
	if err == nil || !strings.Contains(err.Error(), "none of its inputs (aoi, bands, epsg, stac_items) is an input of echo") ||
		!strings.Contains(err.Error(), "another process") {
		t.Errorf("water-bodies request into echo: %v", err)
	}
	_, _, err = f.Import([]byte("process_id: water-bodies\ninputs:\n  aoi: 1,2,3,4\n"))
	if err == nil || !strings.Contains(err.Error(), `request for the process "water-bodies"`) {
		t.Errorf("EOAP request for water-bodies into echo: %v", err)
	}
	_, _, err = f.Import([]byte(`{"outputs": {"result": {}}}`))
	if err == nil || !strings.Contains(err.Error(), "none of its outputs (result) is an output of echo") {
		t.Errorf("outputs of another process: %v", err)
	}
	v, warnings, err := f.Import([]byte(`{"process_id": "echo2", "inputs": {"stringInput": "hi"}}`))
	if err != nil || v.Inputs["stringInput"][0].Value != "hi" {
		t.Fatalf("shared input: %v %+v", err, v.Inputs["stringInput"])
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `for the process "echo2", not echo`) {
		t.Errorf("warnings %v", warnings)
	}
	if _, warnings, err := f.Import([]byte(`{"inputs": {}}`)); err != nil || len(warnings) > 0 {
		t.Errorf("empty inputs: %v %v", err, warnings)
	}
}

func TestImportEchoRoundTrip(t *testing.T) {
	f := New(echoProcess(t, localEndpoint(t)))
	req, probs := f.Build(f.Parse(echoAll(f).v, nil))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	v, warnings, err := f.Import(req.JSON())
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	again, probs := f.Build(v)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if canon(t, again.JSON()) != canon(t, req.JSON()) {
		t.Errorf("round trip differs:\n%s\n%s", again.JSON(), req.JSON())
	}
}

func TestProblemsNextToFields(t *testing.T) {
	f := New(echoProcess(t, localEndpoint(t)))
	fv := newValues(f).
		set("numberInput", 0, "v", "three").
		set("integerInput", 0, "v", "1001").
		set("geometryInput", 0, "v", `{"type": "Point",`).
		set("boundingBoxInput", 0, "v", "1,2,3").
		prop("objectInput", 0, "weight", "2").
		set("hrefInput", 0, "src", "ref").set("hrefInput", 0, "href", "not a url").
		set("enumInput", 0, "v", "Value9")
	for _, o := range f.Outputs {
		fv.v.Del(o.Name("on"))
	}
	_, probs := f.Build(f.Parse(fv.v, nil))
	want := map[string]string{
		"numberInput":      `"three" is not a number`,
		"integerInput":     "must be at most 1000",
		"geometryInput":    "not a GeoJSON object",
		"boundingBoxInput": "4 or 6 numbers",
		"objectInput":      "name is required",
		"hrefInput":        "absolute URL",
		"enumInput":        "choose one of",
	}
	for id, msg := range want {
		got := strings.Join(probs.Of(id, 0), "; ")
		if !strings.Contains(got, msg) {
			t.Errorf("%s: problems %q, want one containing %q", id, got, msg)
		}
	}
	if got := strings.Join(probs.Of("", -1), ";"); !strings.Contains(got, "at least one output") {
		t.Errorf("form problems %q", got)
	}
}

func TestRequiredAndOccurrences(t *testing.T) {
	f := New(waterBodies(t))
	_, probs := f.Build(f.Parse(newValues(f).v, nil))
	for _, id := range []string{"aoi", "stac_items"} {
		if got := probs.Of(id, -1); len(got) != 1 || !strings.Contains(got[0], "required") {
			t.Errorf("%s: %v", id, got)
		}
	}
	if got := probs.Of("bands", -1); len(got) != 0 {
		t.Errorf("bands has a default but got %v", got)
	}
	v := f.Defaults()
	for range 3 {
		f.AddRow(v, "stac_items")
	}
	if n := len(v.Inputs["stac_items"]); n != 4 {
		t.Errorf("%d rows after adding 3", n)
	}
	f.RemoveRow(v, "stac_items", 0)
	f.RemoveRow(v, "stac_items", 0)
	f.RemoveRow(v, "stac_items", 0)
	f.RemoveRow(v, "stac_items", 0)
	if n := len(v.Inputs["stac_items"]); n != 1 {
		t.Errorf("%d rows after removing all: the minimum (1) must stay", n)
	}
	f.AddRow(v, "aoi") // maxOccurs 1
	if n := len(v.Inputs["aoi"]); n != 1 {
		t.Errorf("aoi has %d rows", n)
	}
}

func TestExports(t *testing.T) {
	f := New(waterBodies(t))
	body, _ := os.ReadFile("testdata/execute-request.water-bodies.landsat.json")
	v, _, _ := f.Import(body)
	req, _ := f.Build(v)
	curl := req.Curl("http://localhost:8080/acme/ogc-api/", "water-bodies", true)
	for _, want := range []string{
		"curl -sS -X POST http://localhost:8080/acme/ogc-api/processes/water-bodies/execution",
		"Prefer: respond-async", `$GEOJOBS_TOKEN`, `--data-binary '{`,
	} {
		if !strings.Contains(curl, want) {
			t.Errorf("curl lacks %q:\n%s", want, curl)
		}
	}
	run := req.RunCommand("http://localhost:8080/acme/ogc-api/", "water-bodies")
	for _, want := range []string{"--api-endpoint http://localhost:8080/acme/ogc-api/", "--process-id water-bodies",
		"--execute-request water-bodies.execute.json", "--output ./water-bodies-results.json", "cat > water-bodies.execute.json <<'GEOJOBS_EOF'"} {
		if !strings.Contains(run, want) {
			t.Errorf("run command lacks %q:\n%s", want, run)
		}
	}
	if got := shellQuote("it's"); got != `'it'\''s'` {
		t.Errorf("shellQuote: %s", got)
	}
}

func TestBinaryUpload(t *testing.T) {
	f := New(echoProcess(t, localEndpoint(t)))
	fl, _ := f.Field("binaryInput")
	v := f.Parse(newValues(f).v, map[string][]byte{fl.Name(0, "file"): pngBytes})
	req, probs := f.Build(v)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	want, _ := json.Marshal(base64.StdEncoding.EncodeToString(pngBytes))
	if got := string(req.Execute.Inputs["binaryInput"]); got != string(want) {
		t.Errorf("binary value %s, want %s", got, want)
	}
}

func BenchmarkNewAndBuildWaterBodies(b *testing.B) {
	raw, err := os.ReadFile("testdata/process-description.water-bodies.json")
	if err != nil {
		b.Fatal(err)
	}
	var p ogcapi.Process
	if err := json.Unmarshal(raw, &p); err != nil {
		b.Fatal(err)
	}
	body, _ := os.ReadFile("testdata/execute-request.water-bodies.landsat.json")
	for b.Loop() {
		f := New(&p)
		v, _, _ := f.Import(body)
		if _, probs := f.Build(v); len(probs) > 0 {
			b.Fatal(probs)
		}
	}
}

// An import is read within limits and stops when the request's context ends (a 5 MB
// import used to pin a core for minutes after the client had gone).
func TestImportLimitsAndContext(t *testing.T) {
	f := New(waterBodies(t))
	var b strings.Builder
	b.WriteString("inputs:\n  bands:\n")
	for range 300_000 {
		b.WriteString("  - x\n")
	}
	if _, _, err := f.Import([]byte(b.String())); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many values: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := f.ImportContext(ctx, []byte(b.String())); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled import: %v", err)
	}
}
