package localep

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/spf13/afero"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const waterBodiesCWL = "deploy-request.cwl-yaml.app-water-bodies-cloud-native.cwl"

func TestDeployReplaceUndeploy(t *testing.T) {
	fs := afero.NewMemMapFs()
	e := newEnv(t, fs, func(o *Options) { o.CWL.Cwltool = "geojobs-no-such-cwltool" })
	cwlYAML := readTestdata(t, waterBodiesCWL)

	r := e.do("POST", "/processes", cwlYAML, "Content-Type", "application/cwl+yaml")
	expectStatus(t, r, 201)
	if loc := r.header.Get("Location"); loc != e.base+"/processes/water-bodies" {
		t.Errorf("Location %q", loc)
	}
	validate(t, "processSummary.yaml", r.body)
	var sum ogcapi.ProcessSummary
	r.json(t, &sum)
	if sum.ID != "water-bodies" || sum.Version != "1.4.1" || !sum.IsMutable() || sum.Mutable == nil {
		t.Errorf("summary %+v", sum)
	}

	r = e.do("GET", "/processes/water-bodies", nil)
	expectStatus(t, r, 200)
	validate(t, "process.yaml", r.body)
	var p ogcapi.Process
	r.json(t, &p)
	if p.Title != "Water bodies detection based on NDWI and otsu threshold" || len(p.Inputs) != 4 || p.Outputs["stac_catalog"].Schema == nil {
		t.Errorf("description %s", r.body)
	}

	r = e.do("GET", "/processes/water-bodies/package", nil)
	expectStatus(t, r, 200)
	if r.header.Get("Content-Type") != "application/cwl+yaml" || string(r.body) != string(cwlYAML) {
		t.Errorf("package %q (%d bytes)", r.header.Get("Content-Type"), len(r.body))
	}

	// Listed, and mutable in the list.
	var list ogcapi.ProcessList
	e.do("GET", "/processes?limit=100", nil).json(t, &list)
	found := false
	for _, s := range list.Processes {
		found = found || (s.ID == "water-bodies" && s.IsMutable())
	}
	if !found {
		t.Error("water-bodies not listed as mutable")
	}

	// Deploying it again is a conflict.
	r = e.do("POST", "/processes", cwlYAML, "Content-Type", "application/cwl+yaml")
	expectException(t, r, 409, ogcapi.ExcDuplicatedProc)
	if r.header.Get("Location") != e.base+"/processes/water-bodies" {
		t.Errorf("409 Location %q", r.header.Get("Location"))
	}

	// Executing it without cwltool fails with a message that names the package.
	r = e.do("POST", "/processes/water-bodies/execution", map[string]any{"inputs": map[string]any{
		"aoi": "-121.399,39.834,-120.74,40.472", "stac_items": []string{"https://example.com/item"},
	}})
	expectStatus(t, r, 201) // async only
	var st ogcapi.StatusInfo
	r.json(t, &st)
	st = e.waitJob(st.JobID)
	if st.Status != ogcapi.StatusFailed || !strings.Contains(st.Message, "cwltool is not installed") || !strings.Contains(st.Message, "apt install cwltool") {
		t.Errorf("package job %+v", st)
	}
	expectException(t, e.do("GET", "/jobs/"+st.JobID+"/results", nil), 500, excJobFailed)
	if log := e.do("GET", "/jobs/"+st.JobID+"/log", nil); !strings.Contains(string(log.body), "Debian's cwltool package") {
		t.Errorf("log: %s", log.body)
	}
	// Its inputs are validated like any other.
	ex := expectException(t, e.do("POST", "/processes/water-bodies/execution", map[string]any{"inputs": map[string]any{"aoi": 5, "stac_items": []string{"x"}}}), 400, ogcapi.ExcInvalidParameter)
	if !strings.Contains(ex.Detail, `"aoi"`) {
		t.Errorf("detail %q", ex.Detail)
	}

	// Replace with the 1.1.1 release as CWL JSON.
	r = e.do("PUT", "/processes/water-bodies", readTestdata(t, "deploy-request.cwl-as-json.water-bodies-1.1.1.json"), "Content-Type", "application/cwl+json")
	expectStatus(t, r, 204)
	e.do("GET", "/processes/water-bodies", nil).json(t, &p)
	if p.Version != "1.1.1" {
		t.Errorf("version after replace %q", p.Version)
	}
	// Replace must describe the same process.
	r = e.do("PUT", "/processes/water-bodies?w=detect_water_body", cwlYAML, "Content-Type", "application/cwl+yaml")
	expectException(t, r, 400, excBadRequest)

	// The deployment survives a restart.
	e.close()
	e2 := newEnv(t, fs)
	r = e2.do("GET", "/processes/water-bodies", nil)
	expectStatus(t, r, 200)
	e2.do("GET", "/processes/water-bodies", nil).json(t, &p)
	if p.Version != "1.1.1" {
		t.Errorf("version after restart %q", p.Version)
	}
	r = e2.do("GET", "/processes/water-bodies/package", nil)
	if r.header.Get("Content-Type") != "application/cwl+json" {
		t.Errorf("package type after restart %q", r.header.Get("Content-Type"))
	}

	// Undeploy: the built-in water-bodies process, which the package took the place
	// of, is back.
	expectStatus(t, e2.do("DELETE", "/processes/water-bodies", nil), 204)
	e2.do("GET", "/processes/water-bodies", nil).json(t, &p)
	if p.IsMutable() {
		t.Error("a deployed water-bodies is still described after undeploy")
	}
	expectException(t, e2.do("DELETE", "/processes/water-bodies", nil), 403, ogcapi.ExcImmutableProc)
	expectException(t, e2.do("PUT", "/processes/water-bodies", cwlYAML, "Content-Type", "application/cwl+yaml"), 403, ogcapi.ExcImmutableProc)
	if ok, _ := afero.Exists(fs, "/data/processes/water-bodies.json"); ok {
		t.Error("package file kept after undeploy")
	}
}

func TestDeployWorkflowSelection(t *testing.T) {
	e := newEnv(t, nil)
	cwlYAML := readTestdata(t, waterBodiesCWL)
	r := e.do("POST", "/processes?w=detect_water_body", cwlYAML, "Content-Type", "application/cwl")
	expectStatus(t, r, 201)
	var sum ogcapi.ProcessSummary
	r.json(t, &sum)
	if sum.ID != "detect_water_body" {
		t.Errorf("w picked %q", sum.ID)
	}
	expectException(t, e.do("POST", "/processes?w=nope", cwlYAML, "Content-Type", "application/cwl+yaml"), 400, ogcapi.ExcWorkflowNotFound)
}

func TestDeployErrors(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxPackageBytes = 64 << 10 })
	cwlYAML := readTestdata(t, waterBodiesCWL)
	expectException(t, e.do("POST", "/processes", cwlYAML, "Content-Type", "text/plain"), 415, ogcapi.ExcUnsupportedMedia)
	expectException(t, e.do("POST", "/processes", cwlYAML), 415, ogcapi.ExcUnsupportedMedia) // application/json
	// Built-in processes are immutable.
	echoCWL := "cwlVersion: v1.2\nclass: CommandLineTool\nid: echo\nbaseCommand: echo\ninputs: {}\noutputs: {}\n"
	expectException(t, e.do("POST", "/processes", echoCWL, "Content-Type", "application/cwl+yaml"), 403, ogcapi.ExcImmutableProc)
	expectException(t, e.do("PUT", "/processes/echo", echoCWL, "Content-Type", "application/cwl+yaml"), 403, ogcapi.ExcImmutableProc)
	expectException(t, e.do("DELETE", "/processes/countdown", nil), 403, ogcapi.ExcImmutableProc)
	expectException(t, e.do("GET", "/processes/echo/package", nil), 404, ogcapi.ExcNoSuchProcess)
	// Not CWL at all.
	expectException(t, e.do("POST", "/processes", "just: yaml\n", "Content-Type", "application/cwl+yaml"), 400, excBadRequest)
	// An id that cannot be a file name.
	bad := "cwlVersion: v1.2\nclass: CommandLineTool\nid: ../../etc\ninputs: {}\noutputs: {}\n"
	r := e.do("POST", "/processes", bad, "Content-Type", "application/cwl+yaml")
	if r.status == 201 {
		var s ogcapi.ProcessSummary
		r.json(t, &s)
		if strings.Contains(s.ID, "/") || strings.Contains(s.ID, "..") {
			t.Fatalf("deployed id %q", s.ID)
		}
	}
	// Too large.
	big := strings.Repeat("#", 70<<10) + "\n" + echoCWL
	expectException(t, e.do("POST", "/processes", big, "Content-Type", "application/cwl+yaml"), 413, excBadRequest)
}

func TestDeployAppPackage(t *testing.T) {
	cwlYAML := readTestdata(t, waterBodiesCWL)
	var fetched []string
	cwlServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched = append(fetched, r.URL.Path)
		switch r.URL.Path {
		case "/app-water-bodies-cloud-native.1.5.0.cwl":
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(cwlYAML)
		case "/huge.cwl":
			_, _ = w.Write([]byte(strings.Repeat("#", 200<<10)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer cwlServer.Close()
	e := newEnv(t, nil, func(o *Options) { o.MaxPackageBytes = 100 << 10 })

	// The ZOO chart's example package, pointed at the local copy of its CWL.
	var pkg map[string]any
	if err := json.Unmarshal(readTestdata(t, "deploy-request.ogcapppkg.json"), &pkg); err != nil {
		t.Fatal(err)
	}
	pkg["executionUnit"].(map[string]any)["href"] = cwlServer.URL + "/app-water-bodies-cloud-native.1.5.0.cwl"
	body, _ := json.Marshal(pkg)
	r := e.do("POST", "/processes?w=water-bodies", body, "Content-Type", "application/ogcapppkg+json")
	expectStatus(t, r, 201)
	validate(t, "processSummary.yaml", r.body)
	if len(fetched) != 1 {
		t.Errorf("fetched %v", fetched)
	}
	r = e.do("GET", "/processes/water-bodies/package", nil)
	if r.header.Get("Content-Type") != "application/ogcapppkg+json" || string(r.body) != string(body) {
		t.Errorf("package %q %s", r.header.Get("Content-Type"), r.body)
	}
	expectStatus(t, e.do("DELETE", "/processes/water-bodies", nil), 204)

	// In-line CWL as a qualified value: JSON object and YAML text.
	var cwlJSON any
	if err := json.Unmarshal(readTestdata(t, "deploy-request.cwl-as-json.water-bodies-1.1.1.json"), &cwlJSON); err != nil {
		t.Fatal(err)
	}
	for _, unit := range []any{
		map[string]any{"value": cwlJSON, "mediaType": "application/cwl+json"},
		[]any{map[string]any{"type": "docker", "image": "x"}, map[string]any{"value": string(cwlYAML), "mediaType": "application/cwl+yaml"}},
	} {
		r = e.do("POST", "/processes", map[string]any{"executionUnit": unit}, "Content-Type", "application/ogcapppkg+json")
		expectStatus(t, r, 201)
		expectStatus(t, e.do("DELETE", "/processes/water-bodies", nil), 204)
	}

	for name, c := range map[string]struct {
		pkg    any
		status int
		typ    string
	}{
		"not found":     {map[string]any{"executionUnit": map[string]any{"href": cwlServer.URL + "/missing.cwl", "type": "application/cwl"}}, 400, excBadRequest},
		"too large":     {map[string]any{"executionUnit": map[string]any{"href": cwlServer.URL + "/huge.cwl"}}, 400, excBadRequest},
		"file scheme":   {map[string]any{"executionUnit": map[string]any{"href": "file:///etc/passwd"}}, 400, excBadRequest},
		"docker only":   {map[string]any{"executionUnit": map[string]any{"type": "docker", "image": "alpine"}}, 415, ogcapi.ExcUnsupportedMedia},
		"no unit":       {map[string]any{"processDescription": map[string]any{}}, 400, excBadRequest},
		"not an object": {[]int{1}, 400, excBadRequest},
	} {
		r := e.do("POST", "/processes", c.pkg, "Content-Type", "application/ogcapppkg+json")
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", name, r.status, c.status, r.body)
			continue
		}
		expectException(t, r, c.status, c.typ)
	}
}
