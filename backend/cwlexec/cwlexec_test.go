package cwlexec

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep/cwl"
	"github.com/geojobs/geojobs/backend/transfer"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A Directory holding a STAC catalog, as EOAP packages write it, becomes its items
// with their assets published; other outputs stay values.
func TestOutputsFollowTheCatalog(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "catalog.json"), `{"type":"Catalog","id":"c","links":[{"rel":"root","href":"./catalog.json"},{"rel":"item","href":"./S2A/S2A.json"},{"rel":"item","href":"../outside.json"}]}`)
	write(t, filepath.Join(dir, "S2A", "S2A.json"), `{"type":"Feature","stac_version":"1.0.0","id":"S2A","geometry":null,"properties":{"datetime":"2024-01-06T10:30:00Z"},
		"links":[{"rel":"self","href":"./S2A.json"},{"rel":"derived_from","href":"https://example.com/item"}],
		"assets":{"data":{"href":"./otsu.tif","type":"image/tiff; application=geotiff","roles":["data"]},"remote":{"href":"https://example.com/x.tif"}}}`)
	write(t, filepath.Join(dir, "S2A", "otsu.tif"), "II*\x00tiff")
	var published []string
	out, err := Outputs(map[string]any{
		"stac_catalog": map[string]any{"class": "Directory", "path": dir},
		"count":        json.Number("3"),
	}, func(local, name, mt string) (string, error) {
		published = append(published, name+" "+mt)
		return "https://ep/outputs/" + name, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out["count"].Value != json.Number("3") || out["count"].STAC != nil {
		t.Errorf("count: %+v", out["count"])
	}
	feats := out["stac_catalog"].STAC["features"].([]any)
	if len(feats) != 1 {
		t.Fatalf("%d features", len(feats))
	}
	it := feats[0].(map[string]any)
	assets := it["assets"].(map[string]any)
	if h := assets["data"].(map[string]any)["href"]; h != "https://ep/outputs/stac_catalog-S2A-otsu.tif" {
		t.Errorf("data href %v", h)
	}
	if h := assets["remote"].(map[string]any)["href"]; h != "https://example.com/x.tif" {
		t.Errorf("remote href %v", h)
	}
	if links := it["links"].([]any); len(links) != 1 {
		t.Errorf("links %v", links)
	}
	if len(published) != 1 || published[0] != "stac_catalog-S2A-otsu.tif image/tiff; application=geotiff" {
		t.Errorf("published %v", published)
	}
}

func TestOrderConvertsInputs(t *testing.T) {
	doc, err := cwl.Parse([]byte(`cwlVersion: v1.2
class: CommandLineTool
id: t
inputs:
  s: string
  n: int
  x: double
  b: boolean
  e: {type: {type: enum, symbols: [a, b]}}
  arr: string[]
  f: File
baseCommand: echo
outputs: {}
`))
	if err != nil {
		t.Fatal(err)
	}
	wf, err := doc.Workflow("")
	if err != nil {
		t.Fatal(err)
	}
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/data/in.tif" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "x")
	}))
	defer files.Close()
	stage := &Transfer{Sources: transfer.DefaultMux(nil)}
	in := map[string]json.RawMessage{
		"s": json.RawMessage(`{"value":"hi"}`), "n": json.RawMessage(`4`), "x": json.RawMessage(`2.5`),
		"b": json.RawMessage(`true`), "e": json.RawMessage(`"b"`), "arr": json.RawMessage(`["p","q"]`),
		"f": json.RawMessage(`{"href":"` + files.URL + `/data/in.tif"}`),
	}
	dir := t.TempDir()
	order, err := Order(context.Background(), in, wf.Inputs, dir, stage)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(order)
	fpath := filepath.Join(dir, "inputs", "f", "1-in.tif")
	want := `{"arr":["p","q"],"b":true,"e":"b","f":{"class":"File","path":"` + fpath + `"},"n":4,"s":"hi","x":2.5}`
	if string(b) != want {
		t.Errorf("order %s\nwant  %s", b, want)
	}
	if got, _ := os.ReadFile(fpath); string(got) != "x" {
		t.Errorf("downloaded %q", got)
	}
	in["e"] = json.RawMessage(`"c"`)
	if _, err := Order(context.Background(), in, wf.Inputs, dir, stage); err == nil || !strings.Contains(err.Error(), "not one of") {
		t.Errorf("enum: %v", err)
	}
	in["e"] = json.RawMessage(`"a"`)
	in["f"] = json.RawMessage(`"file:///etc/passwd"`)
	if _, err := Order(context.Background(), in, wf.Inputs, dir, stage); err == nil || !strings.Contains(err.Error(), "does not read file: URLs") || !strings.Contains(err.Error(), "https://") {
		t.Errorf("file URL: %v", err)
	}
}

func TestChooseContainers(t *testing.T) {
	with := func(found ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			for _, f := range found {
				if f == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	cases := []struct {
		setting Containers
		docker  bool
		found   []string
		flag    string
	}{
		{Auto, true, []string{"podman"}, "--podman"},
		{Auto, true, nil, "--no-container"},
		{Auto, false, []string{"podman"}, "--no-container"},
		{NoContainer, true, []string{"podman"}, "--no-container"},
		{Podman, true, []string{"podman"}, "--podman"},
		{Podman, true, nil, ""},
	}
	for _, c := range cases {
		r := Runner{Containers: c.setting, LookPath: with(c.found...)}
		ch, err := r.Choose(c.docker)
		if ch.Flag != c.flag || (c.flag == "") != (err != nil) || (err == nil && ch.Reason == "") {
			t.Errorf("%+v: %+v %v", c, ch, err)
		}
	}
	r := Runner{LookPath: with()}
	if err := r.Check(); !errors.Is(err, ErrNoCwltool) || !strings.Contains(err.Error(), "apt install cwltool") {
		t.Errorf("check: %v", err)
	}
}

// Progress follows cwltool's log: each step started and finished moves it forward,
// never back, and the whole log reaches Log.
func TestRunReportsSteps(t *testing.T) {
	pkg := []byte(`cwlVersion: v1.2
$graph:
- class: Workflow
  id: two
  inputs: {word: string}
  outputs:
    out: {type: File, outputSource: second/out}
  steps:
    first:
      run: "#say"
      in: {word: word}
      out: [out]
    second:
      run: "#upper"
      in: {file: first/out}
      out: [out]
- class: CommandLineTool
  id: say
  baseCommand: echo
  stdout: said.txt
  inputs: {word: {type: string, inputBinding: {position: 1}}}
  outputs: {out: {type: stdout}}
- class: CommandLineTool
  id: upper
  baseCommand: [tr, a-z, A-Z]
  stdin: $(inputs.file.path)
  stdout: upper.txt
  inputs: {file: File}
  outputs: {out: {type: stdout}}
`)
	type report struct {
		pct int
		msg string
	}
	var reports []report
	var log []string
	r := Runner{Containers: NoContainer}
	out, err := r.Run(context.Background(), Job{
		Dir: t.TempDir(), Package: pkg, Target: "two", Order: map[string]any{"word": "hello"},
		Choice: Choice{Flag: "--no-container", Reason: "test"}, Steps: 2,
		Log:      func(line string) { log = append(log, line) },
		Progress: func(pct int, msg string) { reports = append(reports, report{pct, msg}) },
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(log, "\n"))
	}
	if f, _ := out["out"].(map[string]any); f["class"] != "File" {
		t.Errorf("out: %v", out)
	}
	var msgs []string
	last := -1
	for _, rep := range reports {
		if rep.pct < last || rep.pct > 99 {
			t.Errorf("progress went from %d to %d", last, rep.pct)
		}
		last = rep.pct
		msgs = append(msgs, rep.msg)
	}
	want := []string{
		"step first started (0 of 2 steps done)", "step first success (1 of 2 steps done)",
		"step second started (1 of 2 steps done)", "step second success (2 of 2 steps done)",
	}
	if strings.Join(msgs, "|") != strings.Join(want, "|") || last != 99 {
		t.Errorf("progress %v", reports)
	}
	if all := strings.Join(log, "\n"); !strings.Contains(all, "Final process status is success") || !strings.Contains(all, "geojobs: --no-container (test)") {
		t.Errorf("log:\n%s", all)
	}
}
