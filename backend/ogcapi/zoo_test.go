package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// zooServer replays the ZOO-Project-DRU payloads of testdata/zoo under the path
// prefix /acme/ogc-api, the way the tutorial deployment serves them, and records
// every request it gets.
type zooServer struct {
	t    *testing.T
	srv  *httptest.Server
	base string // srv.URL + "/acme/ogc-api"

	absoluteLocation bool   // Location of the execute answer absolute (like ZOO) or relative
	wantAuth         string // when set, requests without this Authorization get 401

	mu       sync.Mutex
	reqs     []recorded
	polls    int
	deployed bool
}

type recorded struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

const (
	zooCapturedBase = "http://localhost:8080/acme/ogc-api"
	zooJobID        = "bfafdb8e-902c-11ef-a29c-8e55bd0a3308"
)

func newZOO(t *testing.T) *zooServer {
	z := &zooServer{t: t, absoluteLocation: true}
	mux := http.NewServeMux()
	p := "/acme/ogc-api"
	mux.HandleFunc("GET "+p+"/{$}", z.file("landing-page.json"))
	mux.HandleFunc("GET "+p+"/conformance", z.file("conformance.json"))
	mux.HandleFunc("GET "+p+"/processes", z.processList)
	mux.HandleFunc("POST "+p+"/processes", z.deploy)
	mux.HandleFunc("GET "+p+"/processes/{id}", z.process)
	mux.HandleFunc("PUT "+p+"/processes/{id}", z.noContent)
	mux.HandleFunc("DELETE "+p+"/processes/{id}", z.noContent)
	mux.HandleFunc("GET "+p+"/processes/{id}/package", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/cwl+yaml")
		w.Write(readFixture(t, "deploy-request.cwl-yaml.app-water-bodies-cloud-native.cwl"))
	})
	mux.HandleFunc("POST "+p+"/processes/{id}/execution", z.execute)
	mux.HandleFunc("GET "+p+"/jobs", z.jobList)
	mux.HandleFunc("GET "+p+"/jobs/{id}", z.status)
	mux.HandleFunc("GET "+p+"/jobs/{id}/results", z.results)
	mux.HandleFunc("DELETE "+p+"/jobs/{id}", z.dismiss)
	z.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		z.mu.Lock()
		z.reqs = append(z.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		z.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if z.wantAuth != "" && r.Header.Get("Authorization") != z.wantAuth {
			w.Header().Set("WWW-Authenticate", `Bearer realm="zoo"`)
			// A careless server that echoes the credentials it got.
			http.Error(w, "invalid credentials: "+r.Header.Get("Authorization")+r.Header.Get("X-Api-Key"), http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(z.srv.Close)
	z.base = z.srv.URL + p
	return z
}

// fixture returns testdata/zoo/name with the captured base rewritten to this server.
func (z *zooServer) fixture(name string) []byte {
	return bytes.ReplaceAll(readFixture(z.t, name), []byte(zooCapturedBase), []byte(z.base))
}

func (z *zooServer) writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(body)
}

func (z *zooServer) file(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { z.writeJSON(w, 200, z.fixture(name)) }
}

func (z *zooServer) requests() []recorded {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]recorded(nil), z.reqs...)
}

func (z *zooServer) last(method, pathSuffix string) recorded {
	z.t.Helper()
	rs := z.requests()
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Method == method && strings.HasSuffix(rs[i].Path, pathSuffix) {
			return rs[i]
		}
	}
	z.t.Fatalf("no %s …%s request", method, pathSuffix)
	return recorded{}
}

func (z *zooServer) exception(w http.ResponseWriter, status int, typ, title, detail string) {
	b, _ := json.Marshal(map[string]string{"type": typ, "title": title, "detail": detail})
	z.writeJSON(w, status, b)
}

// processList pages one process at a time when limit=1, with an opaque next link.
func (z *zooServer) processList(w http.ResponseWriter, r *http.Request) {
	var desc map[string]any
	json.Unmarshal(z.fixture("process-description.water-bodies.json"), &desc)
	delete(desc, "inputs")
	delete(desc, "outputs")
	echo := map[string]any{"id": "echo", "version": "1.0.0", "jobControlOptions": []string{"sync-execute"}}
	all := []any{desc, echo}
	links := []map[string]string{{"rel": "self", "type": "application/json", "href": z.base + "/processes"}}
	page := all
	if r.URL.Query().Get("limit") == "1" || r.URL.Query().Get("token") != "" {
		switch r.URL.Query().Get("token") {
		case "":
			page = all[:1]
			links = append(links, map[string]string{"rel": "next", "type": "application/json", "href": "processes?token=Zm9v&limit=1"})
		case "Zm9v":
			page = all[1:]
			// A looping server: next points back at this very page.
			links = append(links, map[string]string{"rel": "next", "href": z.base + "/processes?token=Zm9v&limit=1"})
		}
	}
	b, _ := json.Marshal(map[string]any{"processes": page, "links": links})
	z.writeJSON(w, 200, b)
}

func (z *zooServer) process(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != "water-bodies" {
		z.exception(w, 404, ExcNoSuchProcess, "NoSuchProcess", "Unable to find the process "+r.PathValue("id"))
		return
	}
	z.writeJSON(w, 200, z.fixture("process-description.water-bodies.json"))
}

func (z *zooServer) noContent(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "echo" {
		z.exception(w, 403, ExcImmutableProc, "ImmutableProcess", "echo is a built-in process")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (z *zooServer) deploy(w http.ResponseWriter, r *http.Request) {
	switch ct := r.Header.Get("Content-Type"); ct {
	case MediaOGCAppPkg, MediaCWLYAML:
	default:
		z.exception(w, 415, ExcUnsupportedMedia, "UnsupportedMediaType", "cannot deploy "+ct)
		return
	}
	z.mu.Lock()
	dup := z.deployed
	z.deployed = true
	z.mu.Unlock()
	if dup {
		w.Header().Set("Location", z.base+"/processes/water-bodies")
		z.exception(w, 409, ExcDuplicatedProc, "DuplicatedProcess", "A service with the same identifier is already deployed")
		return
	}
	w.Header().Set("Location", z.base+"/processes/water-bodies")
	z.writeJSON(w, 201, z.fixture("deploy-response.201.process-summary.acme-1.1.1.json"))
}

func (z *zooServer) execute(w http.ResponseWriter, r *http.Request) {
	loc := "../../jobs/" + zooJobID // relative to …/processes/water-bodies/execution
	if z.absoluteLocation {
		loc = z.base + "/jobs/" + zooJobID
	}
	w.Header().Set("Location", loc)
	w.Header().Set("Preference-Applied", "respond-async;return=representation")
	z.writeJSON(w, 201, z.fixture("execute-response.201.status-running.json"))
}

func (z *zooServer) status(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != zooJobID {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(404)
		w.Write(readFixture(z.t, "error.no-such-job.404.json"))
		return
	}
	z.mu.Lock()
	z.polls++
	n := z.polls
	z.mu.Unlock()
	if n == 1 {
		z.writeJSON(w, 200, z.fixture("job-status.running.json"))
		return
	}
	z.writeJSON(w, 200, z.fixture("job-status.successful.json"))
}

func (z *zooServer) results(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != zooJobID {
		z.writeJSON(w, 404, readFixture(z.t, "error.no-such-job.404.json"))
		return
	}
	z.mu.Lock()
	n := z.polls
	z.mu.Unlock()
	if n < 2 {
		z.exception(w, 404, ExcResultNotReady, "ResultNotReady", "The job is still running")
		return
	}
	z.writeJSON(w, 200, z.fixture("job-results.stac_catalog-inline.json"))
}

func (z *zooServer) dismiss(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") != zooJobID {
		z.writeJSON(w, 404, readFixture(z.t, "error.no-such-job.404.json"))
		return
	}
	z.writeJSON(w, 200, z.fixture("job-dismiss.delete-response.json"))
}

func (z *zooServer) jobList(w http.ResponseWriter, r *http.Request) {
	body := fmt.Sprintf(`{"jobs":[%s,%s],"links":[{"rel":"self","type":"application/json","href":"jobs"}]}`,
		z.fixture("job-status.running.json"), z.fixture("job-status.failed.json"))
	z.writeJSON(w, 200, []byte(body))
}

func TestZOODiscovery(t *testing.T) {
	z := newZOO(t)
	for _, ep := range []string{z.base, z.base + "/"} {
		c, _ := newTestClient(t, ep)
		ctx := context.Background()
		lp, err := c.Landing(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if lp.Title != "ZOO-Project with Deploy, Replace, Undeploy and CWL support" || len(lp.Links) != 10 {
			t.Errorf("landing = %q with %d links", lp.Title, len(lp.Links))
		}
		caps, err := c.Capabilities(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := Capabilities{Sync: true, Async: true, Dismiss: true, JobList: true, Callback: true, Deploy: true, CWL: true, OGCAppPkg: true}
		got := caps
		got.Conformance, got.Title, got.ConformanceURL, got.ProcessesURL, got.JobsURL = ConfClasses{}, "", "", "", ""
		if !reflect.DeepEqual(got, want) {
			t.Errorf("capabilities = %+v, want %+v", got, want)
		}
		if len(caps.Conformance.ConformsTo) != 14 {
			t.Errorf("conformsTo has %d classes", len(caps.Conformance.ConformsTo))
		}
		if caps.ConformanceURL != z.base+"/conformance" || caps.ProcessesURL != z.base+"/processes" || caps.JobsURL != z.base+"/jobs" {
			t.Errorf("urls = %s %s %s", caps.ConformanceURL, caps.ProcessesURL, caps.JobsURL)
		}
		r := z.last("GET", "/conformance")
		if r.Path != "/acme/ogc-api/conformance" {
			t.Errorf("conformance path = %s", r.Path)
		}
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != UserAgent {
			t.Errorf("headers = %v", r.Header)
		}
		if r := z.last("GET", "/"); r.Path != "/acme/ogc-api/" {
			t.Errorf("landing path = %s", r.Path)
		}
	}
}

// A landing page without links (or with links to an unreachable public URL) still
// leads to the fixed paths; short rel tokens are accepted.
func TestCapabilitiesFallbacks(t *testing.T) {
	var landing string
	var hits []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/":
			fmt.Fprint(w, landing)
		case "/api/conformance", "/api/conf":
			fmt.Fprint(w, `{"conformsTo":["https://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core","https://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/deploy-replace-undeploy"]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL+"/api")
	for _, tc := range []struct{ name, landing, confPath, jobs string }{
		{"no links", `{"links":[]}`, "/api/conformance", srv.URL + "/api/jobs"},
		{"foreign links", `{"links":[{"rel":"http://www.opengis.net/def/rel/ogc/1.0/conformance","href":"http://localhost:1/conf"}]}`, "/api/conformance", srv.URL + "/api/jobs"},
		{"short tokens", `{"links":[{"rel":"conformance","href":"conf"},{"rel":"job-list","href":"/api/j"}]}`, "/api/conf", srv.URL + "/api/j"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			landing = tc.landing
			caps, err := c.Capabilities(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !caps.Sync || !caps.Deploy || caps.Dismiss || caps.CWL {
				t.Errorf("caps = %+v", caps)
			}
			mu.Lock()
			last := hits[len(hits)-1]
			mu.Unlock()
			if last != tc.confPath {
				t.Errorf("conformance read from %s, want %s", last, tc.confPath)
			}
			if caps.JobsURL != tc.jobs {
				t.Errorf("jobs URL = %s, want %s", caps.JobsURL, tc.jobs)
			}
		})
	}
}

func TestZOOProcesses(t *testing.T) {
	z := newZOO(t)
	c, _ := newTestClient(t, z.base)
	ctx := context.Background()

	page, err := c.ProcessPage(ctx, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := z.last("GET", "/processes"); r.RawQuery != "limit=1" {
		t.Errorf("query = %q", r.RawQuery)
	}
	next, ok := page.Links.Find("next", "")
	if !ok || next.Href != z.base+"/processes?token=Zm9v&limit=1" {
		t.Fatalf("next = %+v (must be absolute, opaque)", next)
	}
	page2, err := c.ProcessPage(ctx, 0, next.Href)
	if err != nil || len(page2.Processes) != 1 || page2.Processes[0].ID != "echo" {
		t.Fatalf("page 2 = %+v, %v", page2, err)
	}

	all, err := c.Processes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != "water-bodies" || all[1].ID != "echo" {
		t.Fatalf("processes = %+v", all)
	}

	p, err := c.Process(ctx, "water-bodies")
	if err != nil {
		t.Fatal(err)
	}
	if p.Inputs["bands"].MaxOccurs != 999 || !p.Inputs["bands"].MaxOccurs.Many() || p.Inputs["aoi"].MaxOccurs.Many() {
		t.Errorf("maxOccurs: bands %d aoi %d", p.Inputs["bands"].MaxOccurs, p.Inputs["aoi"].MaxOccurs)
	}
	if p.Allows(SyncExecute) || !p.Allows(AsyncExecute) || !p.Allows(Dismiss) || !p.IsMutable() {
		t.Errorf("job control = %v", p.JobControlOptions)
	}
	if _, ok := p.Outputs["stac_catalog"]; !ok {
		t.Errorf("outputs = %v", p.Outputs)
	}
	if l, ok := p.Links.Find(RelExecute, ""); !ok || l.Href != z.base+"/processes/water-bodies/execution" {
		t.Errorf("execute link = %+v", l)
	}

	_, err = c.Process(ctx, "nope")
	if CodeOf(err) != NoSuchProcess {
		t.Fatalf("unknown process: %v (code %v)", err, CodeOf(err))
	}
	if want := "GET /acme/ogc-api/processes/nope: 404 no such process: Unable to find the process nope"; err.Error() != want {
		t.Errorf("error text = %q, want %q", err.Error(), want)
	}
	if _, err := c.Process(ctx, " "); CodeOf(err) != InvalidInput {
		t.Errorf("empty id: %v", err)
	}
}

// The whole async round of the EOAP tutorial against the replayed ZOO answers.
func TestZOOExecuteAndMonitor(t *testing.T) {
	for _, absolute := range []bool{true, false} {
		t.Run(fmt.Sprintf("absoluteLocation=%v", absolute), func(t *testing.T) {
			z := newZOO(t)
			z.absoluteLocation = absolute
			c, _ := newTestClient(t, z.base)
			ctx := context.Background()
			p, err := c.Process(ctx, "water-bodies")
			if err != nil {
				t.Fatal(err)
			}
			var captured Execute
			if err := json.Unmarshal(readFixture(t, "execute-request.water-bodies.sentinel2.json"), &captured); err != nil {
				t.Fatal(err)
			}
			in, err := BuildInputs(p, map[string][]any{
				"stac_items": {json.RawMessage(captured.Inputs["stac_items"])},
				"aoi":        {"-121.399,39.834,-120.74,40.472"},
				"epsg":       {"EPSG:4326"},
				"bands":      {"green", "nir"},
			})
			if err != nil {
				t.Fatal(err)
			}
			ex, err := c.Execute(ctx, "water-bodies", &Execute{Inputs: in, Response: ResponseDocument}, ExecOptions{Process: p})
			if err != nil {
				t.Fatal(err)
			}
			sent := z.last("POST", "/execution")
			if sent.Header.Get("Prefer") != "respond-async" || sent.Header.Get("Content-Type") != "application/json" {
				t.Errorf("headers = %v", sent.Header)
			}
			loadSchemas(t).validateExecute(t, sent.Body)
			var got Execute
			json.Unmarshal(sent.Body, &got)
			for id, v := range captured.Inputs {
				if !jsonEqual(t, got.Inputs[id], v) {
					t.Errorf("input %s = %s, the tutorial sent %s", id, got.Inputs[id], v)
				}
			}
			if !ex.Async() || ex.Job.JobID != zooJobID || ex.Job.Status != StatusRunning || ex.Results != nil {
				t.Fatalf("execution = %+v", ex)
			}
			if ex.JobURL != z.base+"/jobs/"+zooJobID {
				t.Errorf("job URL = %s", ex.JobURL)
			}
			if ex.PreferenceApplied == "" {
				t.Error("Preference-Applied not kept")
			}

			st, err := c.Status(ctx, ex.JobURL)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != StatusRunning || st.Progress == nil || *st.Progress != 23 || st.ProcessID != "water-bodies" {
				t.Errorf("status = %+v", st)
			}
			_, err = c.Results(ctx, ex.JobURL)
			if CodeOf(err) != ResultNotReady || IsPermanent(err) {
				t.Fatalf("results while running: %v (code %v)", err, CodeOf(err))
			}
			st, err = c.Status(ctx, zooJobID) // by id this time
			if err != nil || st.Status != StatusSuccessful || !Terminal(st.Status) {
				t.Fatalf("status = %+v, %v", st, err)
			}
			if l, ok := st.Links.Find(RelResults, ""); !ok || l.Href != z.base+"/jobs/"+zooJobID+"/results" {
				t.Errorf("results link = %+v", l)
			}
			res, err := c.Results(ctx, zooJobID)
			if err != nil {
				t.Fatal(err)
			}
			if ids := res.IDs(); len(ids) != 1 || ids[0] != "stac_catalog" {
				t.Fatalf("outputs = %v", ids)
			}
			v, _ := res.Get("stac_catalog")
			fc, ok := v.JSON()
			if !ok || v.Kind != KindJSON {
				t.Fatalf("stac_catalog = %+v", v)
			}
			var coll struct {
				Type     string `json:"type"`
				Features []struct {
					ID string `json:"id"`
				} `json:"features"`
			}
			if err := json.Unmarshal(fc, &coll); err != nil || coll.Type != "FeatureCollection" || len(coll.Features) == 0 || coll.Features[0].ID != "S2B_10TFK_20210713_0_L2A" {
				t.Fatalf("stac_catalog value = %+v, %v", coll, err)
			}

			d, err := c.Dismiss(ctx, ex.JobURL)
			if err != nil || d.Status != StatusDismissed || d.JobID != zooJobID {
				t.Fatalf("dismiss = %+v, %v", d, err)
			}

			_, err = c.Status(ctx, "0000-gone")
			if CodeOf(err) != NoSuchJob || !IsPermanent(err) {
				t.Fatalf("unknown job: %v (code %v)", err, CodeOf(err))
			}
			if want := "GET /acme/ogc-api/jobs/0000-gone: 404 no such job: The JobID from the request does not match any of the Jobs running on this server"; err.Error() != want {
				t.Errorf("error text = %q\nwant %q", err.Error(), want)
			}
			if _, err := c.Results(ctx, "0000-gone"); CodeOf(err) != NoSuchJob {
				t.Errorf("results of unknown job: %v", err)
			}
			if _, err := c.Dismiss(ctx, "0000-gone"); CodeOf(err) != NoSuchJob {
				t.Errorf("dismiss of unknown job: %v", err)
			}
		})
	}
}

// Execute reads the process description itself when not given one, and asks for
// async only when the process allows it.
func TestZOOExecuteModes(t *testing.T) {
	z := newZOO(t)
	c, _ := newTestClient(t, z.base)
	ctx := context.Background()
	for _, tc := range []struct {
		mode   Mode
		proc   *Process
		prefer string
	}{
		{Auto, nil, "respond-async"},
		{Async, nil, "respond-async"},
		{Sync, nil, ""},
		{Auto, &Process{ProcessSummary: ProcessSummary{ID: "water-bodies", JobControlOptions: []string{SyncExecute}}}, ""},
		{Async, &Process{ProcessSummary: ProcessSummary{ID: "water-bodies", JobControlOptions: []string{SyncExecute}}}, ""},
	} {
		before := len(z.requests())
		ex, err := c.Execute(ctx, "water-bodies", &Execute{Inputs: map[string]json.RawMessage{"aoi": json.RawMessage(`"x"`)}}, ExecOptions{Mode: tc.mode, Process: tc.proc})
		if err != nil {
			t.Fatal(err)
		}
		if !ex.Async() { // the server answers async whatever was asked
			t.Errorf("mode %v: not async", tc.mode)
		}
		r := z.last("POST", "/execution")
		if got := r.Header.Get("Prefer"); got != tc.prefer {
			t.Errorf("mode %v proc %v: Prefer = %q, want %q", tc.mode, tc.proc != nil, got, tc.prefer)
		}
		fetched := false
		for _, q := range z.requests()[before:] {
			fetched = fetched || q.Method == "GET" && strings.HasSuffix(q.Path, "/processes/water-bodies")
		}
		if want := tc.proc == nil && tc.mode != Sync; fetched != want {
			t.Errorf("mode %v: description fetched = %v, want %v", tc.mode, fetched, want)
		}
	}
	if _, err := c.Execute(ctx, "nope", &Execute{}, ExecOptions{}); CodeOf(err) != NoSuchProcess {
		t.Errorf("execute unknown process: %v", err)
	}
	if _, err := c.Execute(ctx, "water-bodies", nil, ExecOptions{Mode: Sync}); CodeOf(err) != InvalidInput {
		t.Errorf("nil request: %v", err)
	}
}

func TestZOOJobList(t *testing.T) {
	z := newZOO(t)
	c, _ := newTestClient(t, z.base)
	jl, err := c.Jobs(context.Background(), JobFilter{
		ProcessIDs: []string{"water-bodies", "echo"}, Statuses: []string{StatusRunning},
		Types: []string{"process"}, Datetime: "2024-10-01T00:00:00Z/..",
		MinDuration: 90e9, MaxDuration: 3600e9, Limit: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(jl.Jobs) != 2 || jl.Jobs[0].Status != StatusRunning || jl.Jobs[1].Status != StatusFailed {
		t.Fatalf("jobs = %+v", jl.Jobs)
	}
	if l, ok := jl.Links.Find("self", ""); !ok || l.Href != z.base+"/jobs" {
		t.Errorf("self = %+v", l)
	}
	r := z.last("GET", "/jobs")
	want := "datetime=2024-10-01T00%3A00%3A00Z%2F..&limit=50&maxDuration=3600&minDuration=90&processID=water-bodies&processID=echo&status=running&type=process"
	if r.RawQuery != want {
		t.Errorf("query = %s\nwant    %s", r.RawQuery, want)
	}
	if _, err := c.JobsPage(context.Background(), z.base+"/jobs?page=2"); err != nil {
		t.Fatal(err)
	}
	if r := z.last("GET", "/jobs"); r.RawQuery != "page=2" {
		t.Errorf("page query = %s", r.RawQuery)
	}
}

func TestZOODeployReplaceUndeploy(t *testing.T) {
	z := newZOO(t)
	c, _ := newTestClient(t, z.base)
	ctx := context.Background()

	var pkgDoc struct {
		ExecutionUnit struct{ Href string } `json:"executionUnit"`
	}
	json.Unmarshal(readFixture(t, "deploy-request.ogcapppkg.json"), &pkgDoc)
	ps, err := c.Deploy(ctx, AppPkgRef(pkgDoc.ExecutionUnit.Href), DeployOptions{W: "water-bodies"})
	if err != nil {
		t.Fatal(err)
	}
	if ps.ID != "water-bodies" || ps.Version != "1.1.1" || !ps.IsMutable() {
		t.Errorf("summary = %+v", ps)
	}
	r := z.last("POST", "/processes")
	if r.RawQuery != "w=water-bodies" || r.Header.Get("Content-Type") != MediaOGCAppPkg {
		t.Errorf("deploy request: query %q, content type %q", r.RawQuery, r.Header.Get("Content-Type"))
	}
	if !jsonEqual(t, r.Body, readFixture(t, "deploy-request.ogcapppkg.json")) {
		t.Errorf("deploy body = %s", r.Body)
	}

	cwl := readFixture(t, "deploy-request.cwl-yaml.app-water-bodies-cloud-native.cwl")
	_, err = c.Deploy(ctx, CWLYAML(cwl), DeployOptions{})
	var ae *APIError
	if CodeOf(err) != Conflict || !asAPIError(err, &ae) || ae.Location != z.base+"/processes/water-bodies" {
		t.Fatalf("second deploy: %v (code %v)", err, CodeOf(err))
	}
	if r := z.last("POST", "/processes"); r.Header.Get("Content-Type") != MediaCWLYAML || !bytes.Equal(r.Body, cwl) || r.RawQuery != "" {
		t.Errorf("cwl deploy request: %v %q", r.Header.Get("Content-Type"), r.RawQuery)
	}
	if _, err := c.Deploy(ctx, Package{Body: []byte("x"), ContentType: "text/plain"}, DeployOptions{}); CodeOf(err) != UnsupportedMedia {
		t.Errorf("415: %v", err)
	}
	if _, err := c.Deploy(ctx, Package{}, DeployOptions{}); CodeOf(err) != InvalidInput {
		t.Errorf("empty package: %v", err)
	}
	// Deploy is a POST: never retried; the counts prove one request per call.
	if n := len(z.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}

	if err := c.Replace(ctx, "water-bodies", CWLYAML(cwl), DeployOptions{W: "water-bodies"}); err != nil {
		t.Fatal(err)
	}
	if r := z.last("PUT", "/processes/water-bodies"); r.RawQuery != "w=water-bodies" || !bytes.Equal(r.Body, cwl) {
		t.Errorf("replace request = %q", r.RawQuery)
	}
	if err := c.Replace(ctx, "echo", CWLYAML(cwl), DeployOptions{}); CodeOf(err) != Immutable {
		t.Errorf("replace built-in: %v", err)
	}
	if err := c.Undeploy(ctx, "water-bodies"); err != nil {
		t.Fatal(err)
	}
	if err := c.Undeploy(ctx, "echo"); CodeOf(err) != Immutable || !IsPermanent(err) {
		t.Errorf("undeploy built-in: %v", err)
	}
	pkg, err := c.Package(ctx, "water-bodies")
	if err != nil || pkg.ContentType != MediaCWLYAML || !bytes.Equal(pkg.Body, cwl) {
		t.Fatalf("package = %v, %v", pkg, err)
	}
}

func asAPIError(err error, target **APIError) bool {
	ae, ok := err.(*APIError)
	if ok {
		*target = ae
	}
	return ok
}
