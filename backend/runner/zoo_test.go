package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/spf13/afero"
)

const zooJobID = "bfafdb8e-902c-11ef-a29c-8e55bd0a3308"

// zooReplay serves the recorded ZOO-Project-DRU water-bodies exchange under
// /acme/ogc-api, with the recorded http://localhost:8080 hrefs pointed at itself.
type zooReplay struct {
	t        *testing.T
	srv      *httptest.Server
	final    string // job status fixture served after the first poll
	results  []byte // answer of /results
	resCode  int
	notReady int // /results answers 404 result-not-ready this many times first
	mu       sync.Mutex
	polls    int
	requests []string // "METHOD path"
	auth     []string // Authorization header of each request
	execBody map[string]any
	prefer   string
}

func newZOOReplay(t *testing.T) *zooReplay {
	z := &zooReplay{t: t, final: "zoo/job-status.successful.json", resCode: http.StatusOK}
	z.results = fixture(t, "zoo/job-results.stac_catalog-inline.json")
	z.srv = httptest.NewServer(z)
	t.Cleanup(z.srv.Close)
	return z
}

func (z *zooReplay) endpoint() string { return z.srv.URL + "/acme/ogc-api/" }

func (z *zooReplay) send(w http.ResponseWriter, code int, body []byte) {
	body = []byte(strings.ReplaceAll(string(body), "http://localhost:8080", z.srv.URL))
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	w.Write(body)
}

func (z *zooReplay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	z.requests = append(z.requests, r.Method+" "+r.URL.Path)
	z.auth = append(z.auth, r.Header.Get("Authorization"))
	z.mu.Unlock()
	const base = "/acme/ogc-api"
	switch p := strings.TrimPrefix(r.URL.Path, base); {
	case r.Method == http.MethodGet && p == "/processes/water-bodies":
		z.send(w, 200, fixture(z.t, "zoo/process-description.water-bodies.json"))
	case r.Method == http.MethodGet && p == "/processes":
		z.send(w, 200, []byte(`{"processes":[{"id":"echo","version":"2.0.0"},{"id":"water-bodies","version":"1.1.1"}],"links":[]}`))
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/processes/"):
		z.send(w, 404, []byte(`{"type":"http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-process","title":"NoSuchProcess","detail":"The process is not available"}`))
	case r.Method == http.MethodPost && p == "/processes/water-bodies/execution":
		b, _ := io.ReadAll(r.Body)
		z.mu.Lock()
		z.prefer = r.Header.Get("Prefer")
		json.Unmarshal(b, &z.execBody)
		z.mu.Unlock()
		w.Header().Set("Location", z.srv.URL+base+"/jobs/"+zooJobID)
		w.Header().Set("Preference-Applied", "respond-async;return=representation")
		z.send(w, http.StatusCreated, fixture(z.t, "zoo/execute-response.201.status-running.json"))
	case r.Method == http.MethodGet && p == "/jobs/"+zooJobID:
		z.mu.Lock()
		z.polls++
		n := z.polls
		z.mu.Unlock()
		if n < 3 {
			z.send(w, 200, fixture(z.t, "zoo/job-status.running.json"))
		} else {
			z.send(w, 200, fixture(z.t, z.final))
		}
	case r.Method == http.MethodGet && p == "/jobs/"+zooJobID+"/results":
		z.mu.Lock()
		notReady := z.notReady > 0
		z.notReady--
		z.mu.Unlock()
		if notReady {
			z.send(w, http.StatusNotFound, []byte(`{"type":"http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/result-not-ready","title":"ResultNotReady","detail":"The result is not ready yet"}`))
			return
		}
		z.send(w, z.resCode, z.results)
	default:
		z.send(w, 404, []byte(`{"type":"about:blank","title":"not found"}`))
	}
}

func TestZOOWaterBodies(t *testing.T) {
	z := newZOOReplay(t)
	req, err := ParseRequest(fixture(t, "zoo/execute-request.water-bodies.landsat.json"))
	if err != nil {
		t.Fatal(err)
	}
	fs := afero.NewMemMapFs()
	var progress syncBuffer
	o := baseOptions(z.endpoint(), "water-bodies", req, fs, &progress)
	o.Headers = http.Header{"Authorization": {"Bearer s3cr3t-token"}}
	res, err := runWith(t, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !res.Async || !res.STAC || res.JobID != zooJobID || res.Status != ogcapi.StatusSuccessful {
		t.Errorf("result %+v", res)
	}
	var want struct {
		StacCatalog struct {
			Value struct {
				Features []struct {
					ID string `json:"id"`
				} `json:"features"`
			} `json:"value"`
		} `json:"stac_catalog"`
	}
	if err := json.Unmarshal(z.results, &want); err != nil {
		t.Fatal(err)
	}
	ic := readCollection(t, fs, "/out/feature-collection.json")
	if len(ic.Features) != len(want.StacCatalog.Value.Features) || len(ic.Features) == 0 || res.Items != len(ic.Features) {
		t.Fatalf("%d items written, %d returned by the server (result says %d)", len(ic.Features), len(want.StacCatalog.Value.Features), res.Items)
	}
	for i, it := range ic.Features {
		if it.ID != want.StacCatalog.Value.Features[i].ID {
			t.Errorf("item %d id %q, want %q", i, it.ID, want.StacCatalog.Value.Features[i].ID)
		}
		if a, ok := it.Assets["data"]; ok && !strings.HasPrefix(a.Href, "s3://") {
			t.Errorf("item %s data asset href %q changed", it.ID, a.Href)
		}
	}
	noTempFiles(t, fs, "/out")

	// The request went out as written, async.
	var sent map[string]any
	json.Unmarshal(fixture(t, "zoo/execute-request.water-bodies.landsat.json"), &sent)
	if !reflect.DeepEqual(z.execBody, sent) {
		t.Errorf("execute body %v, want %v", z.execBody, sent)
	}
	if z.prefer != "respond-async" {
		t.Errorf("Prefer %q, want respond-async", z.prefer)
	}
	for i, a := range z.auth {
		if a != "Bearer s3cr3t-token" {
			t.Errorf("request %s had Authorization %q", z.requests[i], a)
		}
	}
	// One line per change: the 201's running, the polled running 23%, successful.
	lines := strings.Split(strings.TrimSpace(progress.String()), "\n")
	wantLines := []string{
		"2026-11-21T10:00:00Z job " + zooJobID + " " + z.srv.URL + "/acme/ogc-api/jobs/" + zooJobID,
		"2026-11-21T10:00:00Z running ZOO-Kernel accepted to run your service!",
		"2026-11-21T10:00:00Z running 23% execution submitted",
		"2026-11-21T10:00:00Z successful ZOO-Kernel successfully run your service!",
		fmt.Sprintf("2026-11-21T10:00:00Z wrote %d item(s) to /out/feature-collection.json", len(ic.Features)),
	}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("progress lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
	if strings.Contains(progress.String(), "s3cr3t") {
		t.Error("the header value was printed")
	}
}

func TestZOOEOAPParams(t *testing.T) {
	z := newZOOReplay(t)
	req, err := ParseRequest(fixture(t, "zoo/eoap-api-cli.params.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if req.ProcessID != "water-bodies" {
		t.Fatalf("process id %q", req.ProcessID)
	}
	fs := afero.NewMemMapFs()
	// The params' execute_request is a template: the workflow's discovery step adds
	// the stac_items it found. Without them the request is refused before it is sent.
	_, err = runWith(t, baseOptions(z.srv.URL+"/acme/ogc-api", "", req, fs, nil))
	wantError(t, err, ExitUsage, "inputs refused before sending: stac_items: a value is required")
	for _, r := range z.requests {
		if strings.HasPrefix(r, "POST") {
			t.Errorf("a request without stac_items was sent: %s", r)
		}
	}
	req.Execute.Inputs["stac_items"] = json.RawMessage(`["https://planetarycomputer.microsoft.com/api/stac/v1/collections/landsat-c2-l2/items/LC08_L2SP_044032_20231208_02_T1"]`)
	// No --process-id: process_id of the params stands in for it.
	res, err := runWith(t, baseOptions(z.srv.URL+"/acme/ogc-api", "", req, fs, nil))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !res.STAC {
		t.Error("not STAC")
	}
	want := map[string]any{"inputs": map[string]any{"aoi": "-121.399,39.834,-120.74,40.472", "bands": []any{"green", "nir08"}, "epsg": "EPSG:4326",
		"stac_items": []any{"https://planetarycomputer.microsoft.com/api/stac/v1/collections/landsat-c2-l2/items/LC08_L2SP_044032_20231208_02_T1"}}}
	if !reflect.DeepEqual(z.execBody, want) {
		t.Errorf("execute body %v, want %v", z.execBody, want)
	}
	readCollection(t, fs, "/out/feature-collection.json")
}

func TestZOOFailedJob(t *testing.T) {
	z := newZOOReplay(t)
	z.final = "zoo/job-status.failed.constructed.json"
	z.resCode = http.StatusInternalServerError
	z.results = []byte(`{"title":"NoApplicableCode","type":"NoApplicableCode","detail":"Unable to run the CWL workflow: step crop exited with 1"}`)
	fs := afero.NewMemMapFs()
	req, err := ParseRequest(fixture(t, "zoo/execute-request.water-bodies.landsat.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = runWith(t, baseOptions(z.endpoint(), "water-bodies", req, fs, nil))
	wantError(t, err, ExitFailed, "job "+zooJobID+" failed", "Execution failed", "step crop exited with 1")
	if ok, _ := afero.Exists(fs, "/out/feature-collection.json"); ok {
		t.Error("an output file was written for a failed job")
	}
}

func TestZOOUnknownProcess(t *testing.T) {
	z := newZOOReplay(t)
	_, err := runWith(t, baseOptions(z.endpoint(), "water-bodys", mustParse(t, `{}`), afero.NewMemMapFs(), nil))
	wantError(t, err, ExitUsage, `process "water-bodys" not found on `+z.endpoint()+"; available: echo, water-bodies")
	for _, r := range z.requests {
		if strings.HasPrefix(r, "POST") {
			t.Errorf("submitted although the process does not exist: %s", r)
		}
	}
}

// The job says successful while its results are not ready yet (404 result-not-ready):
// they are asked for again, as the app's monitor does, and the run succeeds; a server
// that never has them gives up after maxResultsTries requests, exit status 3.
func TestZOOResultsNotReadyAfterSuccess(t *testing.T) {
	req, err := ParseRequest(fixture(t, "zoo/execute-request.water-bodies.landsat.json"))
	if err != nil {
		t.Fatal(err)
	}
	resultsRequests := func(z *zooReplay) int {
		z.mu.Lock()
		defer z.mu.Unlock()
		n := 0
		for _, r := range z.requests {
			if r == "GET /acme/ogc-api/jobs/"+zooJobID+"/results" {
				n++
			}
		}
		return n
	}
	t.Run("ready on the third request", func(t *testing.T) {
		z := newZOOReplay(t)
		z.notReady = 2
		fs := afero.NewMemMapFs()
		var progress syncBuffer
		res, err := runWith(t, baseOptions(z.endpoint(), "water-bodies", req, fs, &progress))
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, progress.String())
		}
		if !res.STAC || res.Items != 2 {
			t.Errorf("result %+v", res)
		}
		if n := resultsRequests(z); n != 3 {
			t.Errorf("%d results requests, want 3", n)
		}
		if !strings.Contains(progress.String(), "results are not ready yet") {
			t.Errorf("progress does not say why it waits:\n%s", progress.String())
		}
	})
	t.Run("never ready", func(t *testing.T) {
		z := newZOOReplay(t)
		z.notReady = 1 << 20
		fs := afero.NewMemMapFs()
		_, err := runWith(t, baseOptions(z.endpoint(), "water-bodies", req, fs, nil))
		wantError(t, err, ExitServer, "results of job "+zooJobID, "not ready")
		if n := resultsRequests(z); n != maxResultsTries {
			t.Errorf("%d results requests, want %d", n, maxResultsTries)
		}
		if ok, _ := afero.Exists(fs, "/out/feature-collection.json"); ok {
			t.Error("an output file was written")
		}
	})
}
