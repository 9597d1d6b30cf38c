package ogcapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// localEndpoint runs the built-in endpoint under /local, as the app mounts it.
func localEndpoint(t *testing.T) *ogcapi.Client {
	t.Helper()
	srv, err := localep.New(localep.Options{DataDir: "/data", Fs: afero.NewMemMapFs(), BasePath: "/local", MaxConcurrent: 4})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/local/", http.StripPrefix("/local", srv.Handler()))
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
		defer cancel()
		srv.Close(ctx)
	})
	c, err := ogcapi.New(hs.URL+"/local", ogcapi.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitJob(t *testing.T, c *ogcapi.Client, jobURL string) *ogcapi.StatusInfo {
	t.Helper()
	// A client of OGC API - Processes learns of a job's end by asking: polling is the protocol.
	var st *ogcapi.StatusInfo
	waitfor.Poll(t, jobURL+" to end", func() bool {
		var err error
		if st, err = c.Status(context.Background(), jobURL); err != nil {
			t.Fatalf("status of %s: %v", jobURL, err)
		}
		return ogcapi.Terminal(st.Status)
	})
	return st
}

func TestLocalEndpointDiscovery(t *testing.T) {
	c := localEndpoint(t)
	ctx := context.Background()
	caps, err := c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Sync || !caps.Async || !caps.Dismiss || !caps.JobList || !caps.Deploy || !caps.CWL || !caps.OGCAppPkg || caps.Callback {
		t.Errorf("capabilities = %+v", caps)
	}
	ps, err := c.Processes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	for _, want := range []string{"echo", "countdown", "fail", "synthetic-scene"} {
		if !slices.Contains(ids, want) {
			t.Errorf("processes = %v, missing %s", ids, want)
		}
	}
	page, err := c.ProcessPage(ctx, 1, "")
	if err != nil || len(page.Processes) != 1 {
		t.Fatalf("page of 1 = %+v, %v", page, err)
	}
	if _, err := c.Process(ctx, "nope"); ogcapi.CodeOf(err) != ogcapi.NoSuchProcess {
		t.Errorf("unknown process: %v", err)
	}
}

// Every kind of input the client encodes goes through the endpoint's validation and comes back.
func TestLocalEchoSyncDocument(t *testing.T) {
	c := localEndpoint(t)
	ctx := context.Background()
	p, err := c.Process(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string][]any{
		"stringInput":      {"hello"},
		"enumInput":        {"Value2"},
		"numberInput":      {"2.5"}, // form text, converted to a number
		"integerInput":     {7},
		"booleanInput":     {true},
		"arrayInput":       {[]int{1, 2, 3}},
		"multiStringInput": {"only one"},
		"objectInput":      {map[string]any{"name": "n", "weight": 2}},
		"boundingBoxInput": {[]float64{1, 2, 3, 4}},
		"geometryInput":    {ogcapi.Qualified{Value: map[string]any{"type": "Point", "coordinates": []float64{1, 2}}, MediaType: "application/geo+json"}},
		"binaryInput":      {[]byte("\x89PNG")},
	}
	in, err := ogcapi.BuildInputs(p, values)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.Execute(ctx, "echo", &ogcapi.Execute{Inputs: in, Response: ogcapi.ResponseDocument}, ogcapi.ExecOptions{Mode: ogcapi.Sync, Process: p})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Async() {
		t.Fatalf("sync request answered async: %+v", ex)
	}
	want := map[string]string{
		"stringOutput": `"hello"`, "enumOutput": `"Value2"`, "numberOutput": `2.5`, "integerOutput": `7`,
		"booleanOutput": `true`, "arrayOutput": `[1,2,3]`, "multiStringOutput": `["only one"]`,
		"objectOutput": `{"name":"n","weight":2}`,
	}
	for id, w := range want {
		v, ok := ex.Results.Get(id)
		if !ok {
			t.Errorf("no %s in %v", id, ex.Results.IDs())
			continue
		}
		j, ok := v.JSON()
		if !ok || !sameJSON(j, []byte(w)) {
			t.Errorf("%s = %s (%s), want %s", id, j, v.Kind, w)
		}
	}
	bb, _ := ex.Results.Get("boundingBoxOutput")
	if j, _ := bb.JSON(); !sameJSON(j, []byte(`{"bbox":[1,2,3,4],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`)) {
		t.Errorf("bbox = %s", j)
	}
	bin, _ := ex.Results.Get("binaryOutput")
	if d, err := bin.DataAs(p.Outputs["binaryOutput"]); err != nil || string(d) != "\x89PNG" {
		t.Errorf("binary = %q (%+v), %v", d, bin, err)
	}
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestLocalEchoRawShapes(t *testing.T) {
	c := localEndpoint(t)
	ctx := context.Background()
	p, err := c.Process(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	str := json.RawMessage(`"hello"`)
	num := json.RawMessage(`42`)
	run := func(req *ogcapi.Execute) *ogcapi.Results {
		t.Helper()
		ex, err := c.Execute(ctx, "echo", req, ogcapi.ExecOptions{Mode: ogcapi.Sync, Process: p})
		if err != nil {
			t.Fatal(err)
		}
		if ex.Results == nil {
			t.Fatalf("no sync results: %+v", ex)
		}
		return ex.Results
	}
	// raw, one output by value: the bare value.
	res := run(&ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": str}, Response: ogcapi.ResponseRaw,
		Outputs: map[string]ogcapi.Output{"stringOutput": {}}})
	if v, ok := res.Get("stringOutput"); !ok || !bytes.Contains(mustData(t, v), []byte("hello")) {
		t.Errorf("raw one = %+v", res.Outputs)
	}
	// raw, several outputs by value: multipart/related.
	res = run(&ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": str, "integerInput": num}, Response: ogcapi.ResponseRaw,
		Outputs: map[string]ogcapi.Output{"stringOutput": {}, "integerOutput": {}}})
	if len(res.Outputs) != 2 {
		t.Fatalf("raw multi = %+v", res.Outputs)
	}
	if v, ok := res.Get("integerOutput"); !ok || !bytes.Contains(mustData(t, v), []byte("42")) {
		t.Errorf("raw multi integerOutput = %+v", v)
	}
	// raw, by reference: 204 + Link headers, hrefs the client can fetch.
	res = run(&ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": str}, Response: ogcapi.ResponseRaw,
		Outputs: map[string]ogcapi.Output{"stringOutput": {TransmissionMode: ogcapi.TransmissionReference}}})
	v, ok := res.Get("stringOutput")
	href, hasHref := v.Href()
	if !ok || !hasHref {
		t.Fatalf("raw ref = %+v", res.Outputs)
	}
	resp, err := http.Get(href)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", href, resp, err)
	}
	resp.Body.Close()
	// document with one output by reference: a link in the document.
	res = run(&ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": str}, Response: ogcapi.ResponseDocument,
		Outputs: map[string]ogcapi.Output{"stringOutput": {TransmissionMode: ogcapi.TransmissionReference}}})
	if v, _ := res.Get("stringOutput"); v.Kind != ogcapi.KindLink {
		t.Errorf("document ref = %+v", res.Outputs)
	}
}

func mustData(t *testing.T, v ogcapi.OutputValue) []byte {
	t.Helper()
	d, err := v.Data()
	if err != nil {
		t.Fatalf("data of %+v: %v", v, err)
	}
	return d
}

func TestLocalAsyncJobs(t *testing.T) {
	c := localEndpoint(t)
	ctx := context.Background()

	// echo with a pause runs async when asked: results not ready, then ready.
	in := map[string]json.RawMessage{"stringInput": json.RawMessage(`"later"`), "pause": json.RawMessage(`0.5`)}
	ex, err := c.Execute(ctx, "echo", &ogcapi.Execute{Inputs: in, Response: ogcapi.ResponseDocument}, ogcapi.ExecOptions{Mode: ogcapi.Async})
	if err != nil {
		t.Fatal(err)
	}
	if !ex.Async() || ex.JobURL == "" || ex.Job.JobID == "" {
		t.Fatalf("execution = %+v", ex)
	}
	if _, err := c.Results(ctx, ex.JobURL); ogcapi.CodeOf(err) != ogcapi.ResultNotReady {
		t.Errorf("results while running: %v", err)
	}
	if st := waitJob(t, c, ex.JobURL); st.Status != ogcapi.StatusSuccessful {
		t.Fatalf("echo job = %+v", st)
	}
	res, err := c.ResultsWith(ctx, ex.Job.JobID, ogcapi.ResultsHint{Response: ogcapi.ResponseDocument})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := res.Get("stringOutput"); !sameJSON(v.Value, []byte(`"later"`)) {
		t.Errorf("results = %+v", res.Outputs)
	}

	// countdown is async-only: Auto asks async; dismissing stops it.
	cd, err := c.Execute(ctx, "countdown", &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage(`30`), "step": json.RawMessage(`0.05`)}}, ogcapi.ExecOptions{})
	if err != nil || !cd.Async() {
		t.Fatalf("countdown = %+v, %v", cd, err)
	}
	d, err := c.Dismiss(ctx, cd.JobURL)
	if err != nil || d.Status != ogcapi.StatusDismissed {
		t.Fatalf("dismiss = %+v, %v", d, err)
	}

	// fail: the job fails; its results are the server's error.
	fj, err := c.Execute(ctx, "fail", &ogcapi.Execute{Inputs: map[string]json.RawMessage{"message": json.RawMessage(`"boom"`)}}, ogcapi.ExecOptions{Mode: ogcapi.Async})
	if err != nil || !fj.Async() {
		t.Fatalf("fail = %+v, %v", fj, err)
	}
	if st := waitJob(t, c, fj.JobURL); st.Status != ogcapi.StatusFailed {
		t.Errorf("fail job = %+v", st)
	}
	_, err = c.Results(ctx, fj.JobURL)
	if err == nil || ogcapi.CodeOf(err) == ogcapi.ResultNotReady || ogcapi.CodeOf(err) == ogcapi.NoSuchJob {
		t.Errorf("results of failed job: %v (code %v)", err, ogcapi.CodeOf(err))
	}

	// the job list, filtered.
	jl, err := c.Jobs(ctx, ogcapi.JobFilter{ProcessIDs: []string{"fail"}, Statuses: []string{ogcapi.StatusFailed}})
	if err != nil {
		t.Fatal(err)
	}
	if len(jl.Jobs) != 1 || jl.Jobs[0].JobID != fj.Job.JobID {
		t.Errorf("filtered jobs = %+v", jl.Jobs)
	}
	all, err := c.Jobs(ctx, ogcapi.JobFilter{Limit: 1})
	if err != nil || len(all.Jobs) != 1 {
		t.Fatalf("jobs limit 1 = %+v, %v", all, err)
	}
	seen := 1
	for next, ok := all.Links.Find("next", ""); ok && seen < 10; next, ok = all.Links.Find("next", "") {
		if all, err = c.JobsPage(ctx, next.Href); err != nil {
			t.Fatal(err)
		}
		seen += len(all.Jobs)
	}
	if seen != 3 {
		t.Errorf("paged through %d jobs, want 3", seen)
	}

	for _, call := range []func() error{
		func() error { _, err := c.Status(ctx, "no-such-job"); return err },
		func() error { _, err := c.Results(ctx, "no-such-job"); return err },
		func() error { _, err := c.Dismiss(ctx, "no-such-job"); return err },
	} {
		if err := call(); ogcapi.CodeOf(err) != ogcapi.NoSuchJob {
			t.Errorf("unknown job: %v (code %v)", err, ogcapi.CodeOf(err))
		}
	}
}

func TestLocalDeploy(t *testing.T) {
	c := localEndpoint(t)
	ctx := context.Background()
	cwl, err := os.ReadFile("testdata/zoo/deploy-request.cwl-yaml.app-water-bodies-cloud-native.cwl")
	if err != nil {
		t.Fatal(err)
	}
	// The package's second workflow: the built-in endpoint has a water-bodies process
	// of its own, which a deployed water-bodies takes the place of.
	ps, err := c.Deploy(ctx, ogcapi.CWLYAML(cwl), ogcapi.DeployOptions{W: "detect_water_body"})
	if err != nil {
		t.Fatal(err)
	}
	if ps.ID != "detect_water_body" {
		t.Errorf("deployed = %+v", ps)
	}
	if _, err := c.Deploy(ctx, ogcapi.CWLYAML(cwl), ogcapi.DeployOptions{W: "detect_water_body"}); ogcapi.CodeOf(err) != ogcapi.Conflict {
		t.Errorf("second deploy: %v", err)
	}
	if _, err := c.Deploy(ctx, ogcapi.CWLYAML(cwl), ogcapi.DeployOptions{W: "no-such-workflow"}); ogcapi.CodeOf(err) != ogcapi.InvalidInput {
		t.Errorf("unknown w: %v", err)
	}
	if _, err := c.Deploy(ctx, ogcapi.Package{Body: []byte("x"), ContentType: "text/plain"}, ogcapi.DeployOptions{}); ogcapi.CodeOf(err) != ogcapi.UnsupportedMedia {
		t.Errorf("text/plain: %v", err)
	}
	p, err := c.Process(ctx, "detect_water_body")
	if err != nil || !p.IsMutable() {
		t.Fatalf("deployed process = %+v, %v", p, err)
	}
	if err := c.Replace(ctx, "detect_water_body", ogcapi.CWLYAML(cwl), ogcapi.DeployOptions{W: "detect_water_body"}); err != nil {
		t.Errorf("replace: %v", err)
	}
	pkg, err := c.Package(ctx, "detect_water_body")
	if err != nil || len(pkg.Body) == 0 {
		t.Fatalf("package = %+v, %v", pkg, err)
	}
	if err := c.Undeploy(ctx, "echo"); ogcapi.CodeOf(err) != ogcapi.Immutable {
		t.Errorf("undeploy built-in: %v (code %v)", err, ogcapi.CodeOf(err))
	}
	if err := c.Undeploy(ctx, "detect_water_body"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Process(ctx, "detect_water_body"); ogcapi.CodeOf(err) != ogcapi.NoSuchProcess {
		t.Errorf("after undeploy: %v", err)
	}
	if err := c.Undeploy(ctx, "detect_water_body"); ogcapi.CodeOf(err) != ogcapi.NoSuchProcess {
		t.Errorf("undeploy twice: %v", err)
	}
}
