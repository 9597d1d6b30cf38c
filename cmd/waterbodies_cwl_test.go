//go:build unix

package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// executeAsync runs process on the endpoint at base asynchronously and returns its results document.
func executeAsync(t *testing.T, base, process string, inputs map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"inputs": inputs, "response": "document"})
	req, _ := http.NewRequest("POST", base+"/processes/"+process+"/execution", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "respond-async")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var st ogcapi.StatusInfo
	json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || st.JobID == "" {
		t.Fatalf("execute %s: %s", process, resp.Status)
	}
	// Another process's job: a client learns of its end by asking (the protocol's polling).
	if !waitfor.PollOK(func() bool {
		if ogcapi.Terminal(st.Status) {
			return true
		}
		r, err := http.Get(base + "/jobs/" + st.JobID)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(r.Body).Decode(&st)
		r.Body.Close()
		return ogcapi.Terminal(st.Status)
	}) {
		t.Fatalf("%s: still %s", process, st.Status)
	}
	if st.Status != ogcapi.StatusSuccessful {
		r, _ := http.Get(base + "/jobs/" + st.JobID + "/log")
		log, _ := io.ReadAll(r.Body)
		r.Body.Close()
		t.Fatalf("%s: %s %q\n%s", process, st.Status, st.Message, log)
	}
	r, err := http.Get(base + "/jobs/" + st.JobID + "/results")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var res map[string]any
	if err := json.NewDecoder(r.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// shape lists the JSON paths of v with the kind of value at each: arrays of objects
// by their first element, and the members of objects named in open (properties,
// assets' extension fields) left out.
func shape(v any, at string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[at] = "object"
		for k, e := range x {
			shape(e, at+"."+k, out)
		}
	case []any:
		out[at] = "array"
		if len(x) > 0 {
			shape(x[0], at+"[]", out)
		}
	case string:
		out[at] = "string"
	case float64:
		out[at] = "number"
	case bool:
		out[at] = "boolean"
	default:
		out[at] = "null"
	}
}

// The water-bodies application package deployed to the built-in endpoint and run
// there by cwltool (--no-container, its steps the geojobs raster subcommands) returns
// results of the shape ZOO-Project-DRU returns for the EOAP package (the stac_catalog
// fixture), as the built-in process does: every path of ZOO's results is there with
// the same kind of value, except the fields that name ZOO's storage and projection
// details and the collection.json ZOO writes beside its items; the mask of each item
// is served, and geojobs run makes a valid ItemCollection of them.
func TestWaterBodiesPackageResultsAreZOOShaped(t *testing.T) {
	bin := t.TempDir()
	self, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\nGEOJOBS_CMD_CHILD=1 exec %q \"$@\"\n", self)
	if err := os.WriteFile(filepath.Join(bin, "geojobs"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	ts := localeptest.Start(t, localep.Options{MaxConcurrent: 2, CWL: localep.CWLOptions{Containers: "none", WorkDir: t.TempDir(), Keep: localep.KeepNone}})

	var zoo map[string]any
	b, err := os.ReadFile("testdata/zoo/job-results.stac_catalog-inline.json") // verbatim, see backend/runner/testdata/zoo
	if err != nil || json.Unmarshal(b, &zoo) != nil {
		t.Fatalf("ZOO fixture: %v", err)
	}
	want := map[string]string{}
	shape(zoo, "", want)

	inputs := map[string]any{
		"aoi": "6.3,45.3,6.4,45.4", "epsg": "EPSG:4326", "bands": []string{"green", "nir"},
		"stac_items": []string{
			ts.URL + "/stac/collections/synthetic-s2/items/S2SYN_N45E006_20240106",
			ts.URL + "/stac/collections/synthetic-s2/items/S2SYN_N45E006_20240111",
		},
	}
	builtin := executeAsync(t, ts.URL, "water-bodies", inputs)

	pkg, err := os.ReadFile("../cwl/water-bodies.cwl")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(ts.URL+"/processes?w=water-bodies", "application/cwl+yaml", bytes.NewReader(pkg))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("deploy: %s", resp.Status)
	}
	deployed := executeAsync(t, ts.URL, "water-bodies", inputs)

	// geojobs run takes the deployed package's results as it takes a platform's.
	dir := t.TempDir()
	reqDoc, _ := json.Marshal(map[string]any{"inputs": inputs})
	if err := os.WriteFile(filepath.Join(dir, "req.json"), reqDoc, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fc.json")
	if code, stderr := runCLI(t, "geojobs", "run", "--api-endpoint", ts.URL, "--process-id", "water-bodies", "-e", filepath.Join(dir, "req.json"), "-o", out, "-q"); code != 0 {
		t.Fatalf("geojobs run: exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(out); err != nil || stac.Validate(b) != nil || !strings.Contains(string(b), "/outputs/stac_catalog-") || strings.Count(string(b), `"type":"Feature"`)+strings.Count(string(b), `"type": "Feature"`) != 2 {
		t.Errorf("geojobs run output: %v %s", err, b)
	}

	for name, res := range map[string]map[string]any{"built-in process": builtin, "deployed package": deployed} {
		got := map[string]string{}
		shape(res, "", got)
		var missing []string
		for p, kind := range want {
			if strings.Contains(p, ".storage:") || strings.Contains(p, ".proj:") || strings.HasSuffix(p, "features[].collection") || got[p] == kind {
				continue
			}
			missing = append(missing, fmt.Sprintf("%s (%s, got %q)", p, kind, got[p]))
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: not shaped as ZOO's results:\n%s", name, strings.Join(missing, "\n"))
		}
		feats := res["stac_catalog"].(map[string]any)["value"].(map[string]any)["features"].([]any)
		if len(feats) != 2 {
			t.Errorf("%s: %d items", name, len(feats))
		}
		for _, f := range feats {
			a := f.(map[string]any)["assets"].(map[string]any)["data"].(map[string]any)
			r, err := http.Get(a["href"].(string))
			if err != nil {
				t.Fatal(err)
			}
			head := make([]byte, 4)
			io.ReadFull(r.Body, head)
			r.Body.Close()
			if r.StatusCode != 200 || string(head[:2]) != "II" || !strings.HasPrefix(fmt.Sprint(a["type"]), "image/tiff; application=geotiff") {
				t.Errorf("%s: mask %v: %s %q", name, a["href"], r.Status, head)
			}
		}
	}
	if !strings.Contains(fmt.Sprint(deployed), "/outputs/stac_catalog-") {
		t.Errorf("the results are not those of the deployed package: %v", deployed)
	}
}
