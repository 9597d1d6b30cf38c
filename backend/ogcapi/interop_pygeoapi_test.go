package ogcapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/runner"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// pygeoapi replays pygeoapi 0.17–0.19 (api/processes.py and process/manager/base.py
// at geopython/pygeoapi@ff476aa, see testdata/pygeoapi/README.md) serving the
// hello-world process with an async-capable manager (TinyDB), under "/" on
// http://localhost:5000. Its behaviour is taken from that source:
//   - the format is ?f=, else the first media type of Accept that pygeoapi knows
//     (text/html, application/ld+json, application/json…), else none; a results
//     request without format json gets HTML;
//   - every execute answer carries Location: /jobs/{id}, sync ones too;
//   - async execution: 201, body "null", Preference-Applied: respond-async;
//   - errors: {"code", "type", "description"}; an unknown job on GET /jobs/{id} is
//     404 InvalidParameterValue with the job id as description.
type pygeoapi struct {
	*replay
	jobID string
	v020  bool   // serve the 0.20+ status document (created/started/finished)
	fail  bool   // the job fails (hello-world without a name)
	html  string // a page served for HTML requests
	// dropAccept stands for a proxy that replaces Accept with a browser's.
	dropAccept bool

	mu        sync.Mutex
	proc      string // the process of the job: hello-world or values
	polls     int
	dismissed bool
	ran       bool // a job exists
}

const (
	pygeoapiBase  = "http://localhost:5000"
	pygeoapiJobID = "b4d1c0de-2a1f-11ef-9d5b-0242ac120002"
)

func newPygeoapi(t *testing.T) *pygeoapi {
	p := &pygeoapi{jobID: pygeoapiJobID, html: "<!doctype html><html><body>pygeoapi</body></html>"}
	p.replay = newReplay(t, "pygeoapi", pygeoapiBase, p.serve)
	return p
}

// format is pygeoapi's APIRequest._get_format.
func pygeoapiFormat(r *http.Request) string {
	if f := strings.TrimSpace(r.URL.Query().Get("f")); f != "" {
		return f
	}
	known := map[string]string{"text/html": "html", "application/ld+json": "jsonld", "application/json": "json"}
	for _, t := range strings.Split(r.Header.Get("Accept"), ",") {
		if f, ok := known[strings.TrimSpace(strings.SplitN(t, ";", 2)[0])]; ok {
			return f
		}
	}
	return ""
}

func (p *pygeoapi) headers(w http.ResponseWriter, format string) {
	ct := "application/json"
	switch format {
	case "html":
		ct = "text/html"
	case "jsonld":
		ct = "application/ld+json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Powered-By", "pygeoapi 0.17.0")
	w.Header().Set("Content-Language", "en-US")
}

func (p *pygeoapi) doc(w http.ResponseWriter, r *http.Request, status int, name string) {
	f := pygeoapiFormat(r)
	p.headers(w, f)
	w.WriteHeader(status)
	if f == "html" {
		io.WriteString(w, p.html)
		return
	}
	w.Write(p.fixture(name))
}

func (p *pygeoapi) exception(w http.ResponseWriter, r *http.Request, status int, name string) {
	p.doc(w, r, status, name)
}

func (p *pygeoapi) serve(w http.ResponseWriter, r *http.Request) {
	if p.dropAccept {
		r.Header.Set("Accept", "text/html,*/*")
	}
	jobPath := "/jobs/" + p.jobID
	switch path := r.URL.Path; {
	case r.Method == http.MethodGet && path == "/":
		p.doc(w, r, 200, "landing-page.json")
	case r.Method == http.MethodGet && path == "/conformance":
		p.doc(w, r, 200, "conformance.json")
	case r.Method == http.MethodGet && path == "/processes":
		p.doc(w, r, 200, "processes.json")
	case r.Method == http.MethodGet && path == "/processes/hello-world":
		p.doc(w, r, 200, "process-description.hello-world.json")
	case r.Method == http.MethodGet && path == "/processes/values":
		p.doc(w, r, 200, "process-description.values.json")
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/processes/"):
		p.exception(w, r, 404, "error.404.no-such-process.json")
	case r.Method == http.MethodPost && (path == "/processes/hello-world/execution" || path == "/processes/values/execution"):
		p.execute(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/processes/"), "/execution"))
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/execution"):
		p.exception(w, r, 404, "error.404.no-such-process.json")
	case r.Method == http.MethodGet && path == "/jobs":
		p.doc(w, r, 200, "job-list.0.17.json")
	case r.Method == http.MethodGet && path == jobPath && p.exists():
		p.doc(w, r, 200, p.nextStatus())
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/jobs/") && !strings.HasSuffix(path, "/results"):
		p.exception(w, r, 404, "error.404.job-status-not-found.json")
	case r.Method == http.MethodGet && path == jobPath+"/results" && p.exists():
		p.results(w, r)
	case r.Method == http.MethodDelete && path == jobPath && p.exists():
		p.mu.Lock()
		p.dismissed = true
		p.mu.Unlock()
		// delete_job returns its dict with no headers: Flask makes it JSON.
		w.Header().Set("Content-Type", "application/json")
		w.Write(p.fixture("job-dismiss.200.json"))
	default: // unknown job on /results or DELETE
		p.exception(w, r, 404, "error.404.no-such-job.json")
	}
}

func (p *pygeoapi) exists() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ran && !p.dismissed
}

// nextStatus is accepted on the first poll, running on the second, then the end.
func (p *pygeoapi) nextStatus() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.polls++
	switch {
	case p.polls == 1:
		return "job-status.accepted.0.17.json"
	case p.polls == 2:
		return "job-status.running.0.17.json"
	case p.fail:
		return "job-status.failed.0.17.json"
	case p.v020:
		return "job-status.successful.0.20.json"
	}
	return "job-status.successful.0.17.json"
}

func (p *pygeoapi) finished() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.polls >= 3
}

func (p *pygeoapi) execute(w http.ResponseWriter, r *http.Request, proc string) {
	body, _ := io.ReadAll(r.Body)
	if len(body) == 0 {
		p.exception(w, r, 400, "error.400.missing-request-data.json")
		return
	}
	var req struct {
		Inputs   map[string]any `json:"inputs"`
		Response string         `json:"response"`
	}
	if json.Unmarshal(body, &req) != nil {
		p.exception(w, r, 400, "error.400.missing-request-data.json")
		return
	}
	p.mu.Lock()
	p.ran, p.polls, p.dismissed, p.proc = true, 0, false, proc
	if _, ok := req.Inputs["name"]; !ok && proc == "hello-world" {
		p.fail = true
	}
	fail := p.fail
	p.mu.Unlock()
	p.headers(w, pygeoapiFormat(r))
	w.Header().Set("Location", p.srv.URL+"/jobs/"+p.jobID)
	if r.Header.Get("Prefer") == "respond-async" {
		w.Header().Set("Preference-Applied", "respond-async")
		w.Header().Set("Content-Type", "application/json") // the handler's mime type
		w.WriteHeader(http.StatusCreated)
		w.Write(p.fixture("execute-response.201.async.json"))
		return
	}
	if fail { // the sync handler's failure document, 400
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"type": "InvalidParameterValue", "code": "InvalidParameterValue", "description": "Error executing process: Cannot process without a name"}`)
		return
	}
	p.mu.Lock()
	p.polls = 3
	p.mu.Unlock()
	if req.Response == "document" {
		w.Write(p.fixture(map[string]string{"hello-world": "execute-response.200.sync-document.0.17.json", "values": "execute-response.200.sync-document.values.json"}[proc]))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(p.fixture("execute-response.200.sync-raw." + proc + ".json"))
}

func (p *pygeoapi) results(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	fail, proc := p.fail, p.proc
	p.mu.Unlock()
	switch {
	case !p.finished():
		p.exception(w, r, 404, "error.404.result-not-ready.json")
	case fail:
		p.exception(w, r, 400, "error.400.results-of-failed-job.json")
	case pygeoapiFormat(r) == "json":
		p.headers(w, "json")
		w.Write(p.fixture("job-results." + proc + ".json"))
	default: // get_job_result renders HTML unless the format is json
		p.headers(w, "html")
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, p.html)
	}
}

// The replay itself follows pygeoapi: without Accept or f=json it answers HTML.
func TestPygeoapiReplayIsHTMLByDefault(t *testing.T) {
	p := newPygeoapi(t)
	for _, path := range []string{"/", "/processes/hello-world?f=html"} {
		req, _ := http.NewRequest(http.MethodGet, p.srv.URL+path, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if ct := res.Header.Get("Content-Type"); ct != "text/html" {
			t.Errorf("%s: Content-Type %q, want text/html", path, ct)
		}
	}
}

func TestPygeoapiDiscovery(t *testing.T) {
	p := newPygeoapi(t)
	c := p.client("")
	ctx := ctxT(t)
	caps, err := c.Capabilities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if caps.Title != "pygeoapi default instance" {
		t.Errorf("title %q", caps.Title)
	}
	// The conformance link has the short rel "conformance"; processes and jobs the OGC URIs.
	if caps.ConformanceURL != p.srv.URL+"/conformance" || caps.ProcessesURL != p.srv.URL+"/processes" || caps.JobsURL != p.srv.URL+"/jobs" {
		t.Errorf("urls %q %q %q", caps.ConformanceURL, caps.ProcessesURL, caps.JobsURL)
	}
	// pygeoapi declares core, json, oas30, callback; not dismiss or job-list (though it serves both).
	if !caps.Sync || !caps.Callback || caps.Dismiss || caps.JobList || caps.Deploy {
		t.Errorf("capabilities %+v", caps)
	}
	procs, err := c.Processes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(procs) != 1 || procs[0].ID != "hello-world" || procs[0].Version != "0.2.0" ||
		!procs[0].Allows(ogcapi.AsyncExecute) || !procs[0].Allows(ogcapi.SyncExecute) ||
		len(procs[0].OutputTransmission) != 1 || procs[0].OutputTransmission[0] != "value" {
		t.Errorf("processes %+v", procs)
	}
	pd, err := c.Process(ctx, "hello-world")
	if err != nil {
		t.Fatal(err)
	}
	if pd.Inputs["name"].Min() != 1 || pd.Inputs["message"].Min() != 0 || pd.Inputs["name"].MaxOccurs.Many() {
		t.Errorf("inputs %+v", pd.Inputs)
	}
	if _, ok := pd.Outputs["echo"]; !ok {
		t.Errorf("outputs %+v", pd.Outputs)
	}
	if l, ok := pd.Links.Find(ogcapi.RelExecute, ""); !ok || l.Href != p.srv.URL+"/processes/hello-world/execution?f=json" {
		t.Errorf("execute link %+v", l)
	}
	// Every request asked for JSON, so no ?f=json retry was needed.
	for _, rq := range p.requests() {
		if rq.Header.Get("Accept") == "" || strings.Contains(rq.RawQuery, "f=json") {
			t.Errorf("%s %s?%s Accept %q", rq.Method, rq.Path, rq.RawQuery, rq.Header.Get("Accept"))
		}
	}
}

// A proxy in front of pygeoapi that drops Accept gets HTML; the client asks again with f=json.
func TestPygeoapiHTMLDefaultBehindProxy(t *testing.T) {
	p := newPygeoapi(t)
	p.dropAccept = true
	pd, err := p.client("").Process(ctxT(t), "hello-world")
	if err != nil {
		t.Fatal(err)
	}
	if pd.ID != "hello-world" {
		t.Errorf("id %q", pd.ID)
	}
	rs := p.requests()
	if len(rs) != 2 || rs[0].RawQuery != "" || rs[1].RawQuery != "f=json" {
		t.Errorf("requests %+v", rs)
	}
}

func TestPygeoapiSyncExecute(t *testing.T) {
	for _, tc := range []struct{ response, name string }{
		{"", "raw (the default)"},
		{ogcapi.ResponseDocument, "document, 0.17 shape {outputs: [{id, value}]}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPygeoapi(t)
			c := p.client("")
			in := map[string]json.RawMessage{"name": json.RawMessage(`"World"`), "message": json.RawMessage(`"An optional message."`)}
			ex, err := c.Execute(ctxT(t), "hello-world", &ogcapi.Execute{Inputs: in, Response: tc.response}, ogcapi.ExecOptions{Mode: ogcapi.Sync})
			if err != nil {
				t.Fatal(err)
			}
			if ex.Async() || ex.Results == nil {
				t.Fatalf("execution %+v", ex)
			}
			// pygeoapi records the sync run as a job and says where in Location.
			if ex.JobURL != p.srv.URL+"/jobs/"+pygeoapiJobID {
				t.Errorf("job URL %q", ex.JobURL)
			}
			if ids := ex.Results.IDs(); len(ids) != 1 || ids[0] != "echo" {
				t.Fatalf("outputs %v", ids)
			}
			v, _ := ex.Results.Get("echo")
			if d, err := v.Data(); err != nil || string(d) != "Hello World! An optional message." {
				t.Errorf("echo %q %v (%+v)", d, err, v)
			}
			if rq := p.last(http.MethodPost, "/execution"); rq.Header.Get("Prefer") != "" {
				t.Errorf("Prefer %q on a sync request", rq.Header.Get("Prefer"))
			}
		})
	}
}

func TestPygeoapiAsyncJob(t *testing.T) {
	for _, v020 := range []bool{false, true} {
		name := "0.17 job_start_datetime"
		if v020 {
			name = "0.20 started/finished"
		}
		t.Run(name, func(t *testing.T) {
			p := newPygeoapi(t)
			p.v020 = v020
			c := p.client("")
			ctx := ctxT(t)
			in := map[string]json.RawMessage{"name": json.RawMessage(`"World"`), "message": json.RawMessage(`"An optional message."`)}
			ex, err := c.Execute(ctx, "hello-world", &ogcapi.Execute{Inputs: in}, ogcapi.ExecOptions{Mode: ogcapi.Async})
			if err != nil {
				t.Fatal(err)
			}
			// 201 with the body "null": the job comes from Location alone.
			if !ex.Async() || ex.Job.JobID != pygeoapiJobID || ex.Job.Status != ogcapi.StatusAccepted ||
				ex.JobURL != p.srv.URL+"/jobs/"+pygeoapiJobID || ex.PreferenceApplied != "respond-async" {
				t.Fatalf("execution %+v job %+v", ex, ex.Job)
			}
			// The request went to the execute link, with its ?f=json.
			if rq := p.last(http.MethodPost, "/processes/hello-world/execution"); rq.RawQuery != "f=json" || rq.Header.Get("Prefer") != "respond-async" {
				t.Errorf("execute request %s?%s Prefer %q", rq.Path, rq.RawQuery, rq.Header.Get("Prefer"))
			}
			st, err := c.Status(ctx, ex.JobURL)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != ogcapi.StatusAccepted || st.Progress == nil || *st.Progress != 5 || st.ProcessID != "hello-world" || st.Type != "process" {
				t.Errorf("accepted %+v", st)
			}
			wantStart := time.Date(2024, 6, 12, 9, 59, 58, 514731000, time.UTC)
			if st.Started == nil || !st.Started.Equal(wantStart) {
				t.Errorf("started %v, want %v (job_start_datetime)", st.Started, wantStart)
			}
			_, err = c.Results(ctx, ex.JobURL)
			wantAPIError(t, err, ogcapi.ResultNotReady, 404, "job still running")
			st, err = c.Status(ctx, ex.JobURL)
			if err != nil || st.Status != ogcapi.StatusRunning || *st.Progress != 95 || st.Message != "Writing job output" {
				t.Fatalf("running %+v %v", st, err)
			}
			if len(st.Links.All(ogcapi.RelResults)) != 3 {
				t.Errorf("links %+v", st.Links)
			}
			st, err = c.Status(ctx, ex.JobURL)
			if err != nil || st.Status != ogcapi.StatusSuccessful || st.Finished == nil || st.Started == nil || !st.Finished.After(*st.Started) {
				t.Fatalf("successful %+v %v", st, err)
			}
			res, err := c.Results(ctx, ex.JobURL)
			if err != nil {
				t.Fatal(err)
			}
			v, ok := res.Get("echo")
			if d, err := v.Data(); !ok || err != nil || string(d) != "Hello World! An optional message." {
				t.Errorf("results %+v", res)
			}
			// Dismiss: 200 and the status document; then the job is gone.
			dst, err := c.Dismiss(ctx, ex.JobURL)
			if err != nil || dst.Status != ogcapi.StatusDismissed || dst.JobID != pygeoapiJobID {
				t.Fatalf("dismiss %+v %v", dst, err)
			}
			_, err = c.Status(ctx, ex.JobURL)
			wantAPIError(t, err, ogcapi.NoSuchJob, 404, pygeoapiJobID)
			_, err = c.Dismiss(ctx, ex.JobURL)
			wantAPIError(t, err, ogcapi.NoSuchJob, 404)
		})
	}
}

// The first error message is the description of pygeoapi's {"code", "type", "description"}.
func TestPygeoapiErrors(t *testing.T) {
	p := newPygeoapi(t)
	c := p.client("")
	ctx := ctxT(t)
	_, err := c.Process(ctx, "hello-wrld")
	ae := wantAPIError(t, err, ogcapi.NoSuchProcess, 404, "Identifier not found")
	if ae.Exception.Detail != "Identifier not found" || ae.Exception.Type != "NoSuchProcess" {
		t.Errorf("exception %+v", ae.Exception)
	}
	_, err = c.Execute(ctx, "hello-wrld", &ogcapi.Execute{}, ogcapi.ExecOptions{Mode: ogcapi.Sync})
	wantAPIError(t, err, ogcapi.NoSuchProcess, 404, "Identifier not found")
	// The job status of an unknown job: 404 InvalidParameterValue, i.e. no such job.
	_, err = c.Status(ctx, "00000000-0000-0000-0000-000000000000")
	wantAPIError(t, err, ogcapi.NoSuchJob, 404, pygeoapiJobID)
	_, err = c.Results(ctx, "00000000-0000-0000-0000-000000000000")
	wantAPIError(t, err, ogcapi.NoSuchJob, 404)
	// A sync run that fails: 400 and the handler's failure document.
	_, err = c.Execute(ctx, "hello-world", &ogcapi.Execute{Inputs: map[string]json.RawMessage{"message": json.RawMessage(`"x"`)}}, ogcapi.ExecOptions{Mode: ogcapi.Sync})
	wantAPIError(t, err, ogcapi.InvalidInput, 400, "Error executing process: Cannot process without a name")
	if !ogcapi.IsPermanent(err) {
		t.Error("a rejected request is permanent")
	}
	// The results of a failed job: 400 InvalidParameterValue "job failed".
	p.mu.Lock()
	p.polls = 3
	p.mu.Unlock()
	_, err = c.Results(ctx, pygeoapiJobID)
	wantAPIError(t, err, ogcapi.InvalidInput, 400, "job failed")
}

func TestPygeoapiJobList(t *testing.T) {
	p := newPygeoapi(t)
	jl, err := p.client("").Jobs(ctxT(t), ogcapi.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jl.Jobs) != 1 {
		t.Fatalf("jobs %+v", jl)
	}
	j := jl.Jobs[0]
	if j.JobID != pygeoapiJobID || j.Status != ogcapi.StatusSuccessful || j.Started == nil || j.Finished == nil || j.ProcessID != "hello-world" {
		t.Errorf("job %+v", j)
	}
	if l, ok := jl.Links.Find("self", ""); !ok || l.Href != p.srv.URL+"/jobs?f=json" {
		t.Errorf("links %+v", jl.Links)
	}
}

// geojobs run end to end against the replay: async (the process allows it), sync,
// and a failing job.
func TestPygeoapiRun(t *testing.T) {
	reqDoc := []byte(`{"inputs": {"name": "World", "message": "An optional message."}}`)
	for _, mode := range []ogcapi.Mode{ogcapi.Auto, ogcapi.Sync} {
		t.Run(map[ogcapi.Mode]string{ogcapi.Auto: "async", ogcapi.Sync: "sync"}[mode], func(t *testing.T) {
			p := newPygeoapi(t)
			fs := afero.NewMemMapFs()
			o := runOptions(p.srv.URL, "hello-world", runRequest(t, reqDoc), fs)
			o.Mode = mode
			res, err := runner.Run(ctxT(t), o)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.JobID != pygeoapiJobID || res.Status != ogcapi.StatusSuccessful || res.STAC || res.Items != 1 || res.Async != (mode == ogcapi.Auto) {
				t.Errorf("result %+v", res)
			}
			ic := readItemCollection(t, fs, "/out/feature-collection.json")
			if len(ic.Features) != 1 {
				t.Fatalf("%d items", len(ic.Features))
			}
			it := ic.Features[0]
			var outs map[string]any
			json.Unmarshal(it.Properties["geojobs:outputs"], &outs)
			if outs["echo"] != "Hello World! An optional message." {
				t.Errorf("item outputs %s", it.Properties["geojobs:outputs"])
			}
			if string(it.Properties["geojobs:process"]) != `"hello-world"` {
				t.Errorf("process %s", it.Properties["geojobs:process"])
			}
		})
	}
	// Without its required name the request is refused before anything is sent,
	// from pygeoapi's own description (minOccurs 1).
	t.Run("refused before sending", func(t *testing.T) {
		p := newPygeoapi(t)
		fs := afero.NewMemMapFs()
		_, err := runner.Run(ctxT(t), runOptions(p.srv.URL, "hello-world", runRequest(t, []byte(`{"inputs": {"message": "x"}}`)), fs))
		var re *runner.Error
		if !errors.As(err, &re) || re.Status == runner.ExitFailed || !strings.Contains(err.Error(), "name") {
			t.Fatalf("error %v, want a refusal naming the input", err)
		}
		p.mu.Lock()
		ran := p.ran
		p.mu.Unlock()
		if ran {
			t.Error("the refused request reached the server")
		}
	})
	// A job the server runs and fails (pygeoapi's recorded failure document).
	t.Run("failed", func(t *testing.T) {
		p := newPygeoapi(t)
		p.mu.Lock()
		p.fail = true
		p.mu.Unlock()
		fs := afero.NewMemMapFs()
		_, err := runner.Run(ctxT(t), runOptions(p.srv.URL, "hello-world", runRequest(t, []byte(`{"inputs": {"name": "World"}}`)), fs))
		var re *runner.Error
		if !errors.As(err, &re) || re.Status != runner.ExitFailed {
			t.Fatalf("error %v, want exit status %d", err, runner.ExitFailed)
		}
		for _, part := range []string{"Cannot process without a name", "job failed"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("error %q lacks %q", err, part)
			}
		}
		if ok, _ := afero.Exists(fs, "/out/feature-collection.json"); ok {
			t.Error("output written for a failed job")
		}
	})
}

// A pygeoapi process with several outputs, one of each JSON type: every way
// `geojobs run` gets them (async results, sync raw, sync document, which pygeoapi
// wraps as {"outputs": [{…the map…}]}) lists every output with the value the server
// sent, numbers to the last digit, the string untouched, the array and object whole,
// in the outputs list and in the job item's properties alike.
func TestPygeoapiValuesRun(t *testing.T) {
	sent := decodeNumbers(t, newPygeoapi(t).fixture("execute-response.200.sync-raw.values.json")).(map[string]any)
	types := map[string]string{"pi": "number", "big": "integer", "small": "number", "f": "number", "text": "string", "arr": "array", "obj": "object"}
	for _, tc := range []struct {
		name string
		mode ogcapi.Mode
		req  string
	}{
		{"async", ogcapi.Auto, `{"inputs": {"name": "World"}}`},
		{"sync raw", ogcapi.Sync, `{"inputs": {"name": "World"}}`},
		{"sync document", ogcapi.Sync, `{"inputs": {"name": "World"}, "response": "document"}`},
		{"async document", ogcapi.Auto, `{"inputs": {"name": "World"}, "response": "document"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPygeoapi(t)
			fs := afero.NewMemMapFs()
			o := runOptions(p.srv.URL, "values", runRequest(t, []byte(tc.req)), fs)
			o.Mode = tc.mode
			if _, err := runner.Run(ctxT(t), o); err != nil {
				t.Fatalf("Run: %v", err)
			}
			ic := readItemCollection(t, fs, "/out/feature-collection.json")
			var listed []struct {
				ID, Kind, Type, Note string
				Value                json.RawMessage
			}
			if err := json.Unmarshal(ic.Extra["geojobs:outputs"], &listed); err != nil {
				t.Fatal(err)
			}
			if len(listed) != len(sent) {
				t.Errorf("%d outputs listed, want %d: %s", len(listed), len(sent), ic.Extra["geojobs:outputs"])
			}
			for _, l := range listed {
				want, ok := sent[l.ID]
				if !ok {
					t.Errorf("output %q listed, the server sent no such output", l.ID)
					continue
				}
				if got := decodeNumbers(t, l.Value); !reflect.DeepEqual(got, want) || l.Type != types[l.ID] || l.Note != "" {
					t.Errorf("output %s listed as %s %s (note %q), the server sent the %s %v", l.ID, l.Type, l.Value, l.Note, types[l.ID], want)
				}
			}
			if len(ic.Features) != 1 {
				t.Fatalf("%d items", len(ic.Features))
			}
			props := decodeNumbers(t, ic.Features[0].Properties["geojobs:outputs"])
			if !reflect.DeepEqual(props, any(sent)) {
				t.Errorf("item property geojobs:outputs %s, want the outputs as sent %v", ic.Features[0].Properties["geojobs:outputs"], sent)
			}
		})
	}
}

// decodeNumbers decodes JSON keeping numbers as the text the server wrote.
func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// Behind a proxy that gives pygeoapi a browser's Accept, /jobs/{id}/results renders
// pygeoapi's HTML page: the results are asked for again with f=json, and the run
// shows the output the job returned, not the page.
func TestPygeoapiResultsBehindProxy(t *testing.T) {
	p := newPygeoapi(t)
	p.dropAccept = true
	fs := afero.NewMemMapFs()
	o := runOptions(p.srv.URL, "hello-world", runRequest(t, []byte(`{"inputs": {"name": "World", "message": "An optional message."}}`)), fs)
	if _, err := runner.Run(ctxT(t), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ic := readItemCollection(t, fs, "/out/feature-collection.json")
	var outs map[string]any
	json.Unmarshal(ic.Features[0].Properties["geojobs:outputs"], &outs)
	if outs["echo"] != "Hello World! An optional message." || len(ic.Features[0].Assets) != 0 {
		t.Errorf("item outputs %s, assets %v", ic.Features[0].Properties["geojobs:outputs"], ic.Features[0].Assets)
	}
	if r := p.last(http.MethodGet, "/results"); r.RawQuery != "f=json" {
		t.Errorf("last results request ?%s, want ?f=json", r.RawQuery)
	}
}

// A process whose output is an HTML page keeps it: the server answers HTML with
// f=json too, and the first answer is the output.
func TestResultsInHTMLKept(t *testing.T) {
	const page = "<!doctype html><html><body><h1>Report</h1></body></html>"
	var asked []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.RequestURI())
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	}))
	t.Cleanup(srv.Close)
	c, err := ogcapi.New(srv.URL+"/", ogcapi.WithRetry(0), ogcapi.WithTimeout(waitfor.Guard))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ResultsWith(ctxT(t), "j1", ogcapi.ResultsHint{OutputIDs: []string{"report"}})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := res.Get("report")
	if d, err := v.Data(); !ok || err != nil || string(d) != page || v.MediaType != "text/html; charset=utf-8" {
		t.Errorf("report = %q (%s), %v", d, v.MediaType, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 || asked[0] != "/jobs/j1/results" || asked[1] != "/jobs/j1/results?f=json" {
		t.Errorf("requests %v", asked)
	}
}

// hello-world declares its output echo an object and sends {"id": "echo", "value":
// "Hello …"}: the string is shown, with a note that says so, not that the server sent
// a string where an object was declared.
func TestPygeoapiEchoNote(t *testing.T) {
	p := newPygeoapi(t)
	fs := afero.NewMemMapFs()
	o := runOptions(p.srv.URL, "hello-world", runRequest(t, []byte(`{"inputs": {"name": "World", "message": "An optional message."}}`)), fs)
	o.Mode = ogcapi.Sync
	if _, err := runner.Run(ctxT(t), o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ic := readItemCollection(t, fs, "/out/feature-collection.json")
	var listed []struct{ ID, Type, Note string }
	json.Unmarshal(ic.Extra["geojobs:outputs"], &listed)
	if len(listed) != 1 || listed[0].ID != "echo" || listed[0].Type != "string" ||
		!strings.Contains(listed[0].Note, `{"id": …, "value": …}`) || strings.Contains(listed[0].Note, "sent the string") {
		t.Errorf("outputs listed %+v", listed)
	}
}
