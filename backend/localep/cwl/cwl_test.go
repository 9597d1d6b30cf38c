package cwl

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

func TestWaterBodiesYAML(t *testing.T) {
	body, err := os.ReadFile("testdata/deploy-request.cwl-yaml.app-water-bodies-cloud-native.cwl")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	w, err := doc.Workflow("")
	if err != nil {
		t.Fatal(err)
	}
	if w.ID != "water-bodies" || w.Version != "1.4.1" {
		t.Fatalf("first workflow = %q version %q", w.ID, w.Version)
	}
	p := w.Process()
	if p.Title != "Water bodies detection based on NDWI and otsu threshold" {
		t.Errorf("title = %q", p.Title)
	}
	if len(p.Inputs) != 4 || len(p.Outputs) != 1 {
		t.Fatalf("inputs %d outputs %d", len(p.Inputs), len(p.Outputs))
	}
	checkSchema(t, p.Inputs["aoi"].Schema, `{"type":"string"}`)
	checkSchema(t, p.Inputs["bands"].Schema, `{"default":["green","nir"],"items":{"type":"string"},"type":"array"}`)
	checkSchema(t, p.Inputs["stac_items"].Schema, `{"items":{"type":"string"},"type":"array"}`)
	checkSchema(t, p.Outputs["stac_catalog"].Schema, `{"contentMediaType":"application/json","type":"object"}`)
	if p.Inputs["aoi"].Min() != 1 || p.Inputs["epsg"].Min() != 0 || p.Inputs["bands"].Min() != 0 {
		t.Errorf("minOccurs aoi=%d epsg=%d bands=%d", p.Inputs["aoi"].Min(), p.Inputs["epsg"].Min(), p.Inputs["bands"].Min())
	}
	if p.Inputs["epsg"].Title != "EPSG code" || p.Inputs["aoi"].Description != "area of interest as a bounding box" {
		t.Errorf("labels: %+v", p.Inputs["epsg"])
	}

	sub, err := doc.Workflow("detect_water_body")
	if err != nil || sub.ID != "detect_water_body" {
		t.Fatalf("w=detect_water_body: %v %v", sub, err)
	}
	if _, err := doc.Workflow("nope"); !errors.Is(err, ErrWorkflowNotFound) {
		t.Fatalf("unknown w: %v", err)
	}
}

func TestWaterBodiesJSON(t *testing.T) {
	body, err := os.ReadFile("testdata/deploy-request.cwl-as-json.water-bodies-1.1.1.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	w, err := doc.Workflow("water-bodies")
	if err != nil {
		t.Fatal(err)
	}
	if w.Version != "1.1.1" || len(w.Inputs) != 4 {
		t.Fatalf("version %q inputs %d", w.Version, len(w.Inputs))
	}
	var back map[string]any
	if err := json.Unmarshal(doc.Canonical(), &back); err != nil || back["cwlVersion"] != "v1.0" {
		t.Fatalf("canonical: %v %v", err, back["cwlVersion"])
	}
}

func TestTypes(t *testing.T) {
	doc, err := Parse([]byte(`
cwlVersion: v1.2
class: CommandLineTool
id: tool
inputs:
  - id: "#tool/n"
    type: int?
  - id: ratio
    type: double
    default: 0.5
  - id: flag
    type: ["null", boolean]
  - id: mode
    type: {type: enum, symbols: ["#tool/mode/fast", "#tool/mode/slow"]}
  - id: files
    type: {type: array, items: File}
  - id: dir
    type: Directory
  - id: big
    type: long[]?
outputs:
  - id: out
    type: File
`))
	if err != nil {
		t.Fatal(err)
	}
	w, err := doc.Workflow("")
	if err != nil {
		t.Fatal(err)
	}
	p := w.Process()
	want := map[string]string{
		"n":     `{"type":"integer"}`,
		"ratio": `{"default":0.5,"type":"number"}`,
		"flag":  `{"type":"boolean"}`,
		"mode":  `{"enum":["fast","slow"],"type":"string"}`,
		"files": `{"items":{"format":"uri","type":"string"},"type":"array"}`,
		"dir":   `{"format":"uri","type":"string"}`,
		"big":   `{"items":{"type":"integer"},"type":"array"}`,
	}
	for id, s := range want {
		checkSchema(t, p.Inputs[id].Schema, s)
	}
	for id, min := range map[string]int{"n": 0, "ratio": 0, "flag": 0, "mode": 1, "files": 1, "dir": 1, "big": 0} {
		if got := p.Inputs[id].Min(); got != min {
			t.Errorf("%s minOccurs = %d, want %d", id, got, min)
		}
	}
	if p.Version != "1.0.0" {
		t.Errorf("default version %q", p.Version)
	}
}

func TestInvalid(t *testing.T) {
	for name, body := range map[string]string{
		"not yaml":   "{[",
		"no version": "class: Workflow\n",
		"scalar":     "hello",
		"bad type":   "cwlVersion: v1.0\nclass: Workflow\nid: x\ninputs:\n  a: {type: frobnicate}\noutputs: []\n",
	} {
		doc, err := Parse([]byte(body))
		if err == nil {
			_, err = doc.Workflow("")
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	doc, err := Parse([]byte("cwlVersion: v1.0\n$graph: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Workflow(""); !errors.Is(err, ErrWorkflowNotFound) {
		t.Errorf("empty graph: %v", err)
	}
}

func checkSchema(t *testing.T, got json.RawMessage, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("schema = %s, want %s", gb, wb)
	}
}

// A DockerRequirement under requirements becomes a hint, in either form; one already
// a hint stays.
func TestContainersAsHints(t *testing.T) {
	doc, err := Parse([]byte(`cwlVersion: v1.2
$graph:
- class: Workflow
  id: w
  requirements: [{class: DockerRequirement, dockerPull: a}, {class: InlineJavascriptRequirement}]
  inputs: {}
  outputs: {}
  steps: {}
- class: CommandLineTool
  id: t
  requirements:
    DockerRequirement: {dockerPull: b}
  hints:
    ResourceRequirement: {coresMax: 1}
  inputs: {}
  outputs: {}
- class: CommandLineTool
  id: h
  hints: [{class: DockerRequirement, dockerPull: c}]
  inputs: {}
  outputs: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, moved := doc.ContainersAsHints()
	var got struct {
		Graph []struct {
			ID           string
			Requirements any
			Hints        any
		} `json:"$graph"`
	}
	if err := json.Unmarshal(b, &got); err != nil || !moved {
		t.Fatal(err, moved)
	}
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	want := map[string][2]string{
		"w": {`[{"class":"InlineJavascriptRequirement"}]`, `[{"class":"DockerRequirement","dockerPull":"a"}]`},
		"t": {`{}`, `{"DockerRequirement":{"dockerPull":"b"},"ResourceRequirement":{"coresMax":1}}`},
		"h": {`null`, `[{"class":"DockerRequirement","dockerPull":"c"}]`},
	}
	for _, p := range got.Graph {
		if w := want[p.ID]; js(p.Requirements) != w[0] || js(p.Hints) != w[1] {
			t.Errorf("%s: requirements %s hints %s, want %s %s", p.ID, js(p.Requirements), js(p.Hints), w[0], w[1])
		}
	}
	if _, moved := mustParse(t, "cwlVersion: v1.2\nclass: CommandLineTool\nid: x\nhints: {DockerRequirement: {dockerPull: d}}\ninputs: {}\noutputs: {}\n").ContainersAsHints(); moved {
		t.Error("a hint was counted as moved")
	}
}

func mustParse(t *testing.T, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}
