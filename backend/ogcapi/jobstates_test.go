package ogcapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"testing"
	"time"
)

// jobListDocs are job lists as servers send them (the scan reads them), and
// documents the scan leaves to the full decoding; each with whether it is plain.
func jobListDocs(t testing.TB) map[string]bool {
	recorded, err := os.ReadFile("testdata/pygeoapi/job-list.0.17.json")
	if err != nil {
		t.Fatal(err)
	}
	entries := `{"jobID":"a","processID":"p","type":"process","status":"running","message":"half","progress":50,"created":"2026-12-05T10:00:00Z","started":"2026-12-05T10:00:01.5Z","updated":"2026-12-05T10:00:02Z","links":[{"href":"jobs/a","rel":"self","type":"application/json","title":"Job"}]},` +
		`{"id":"b","status":"Succeeded","percentCompleted":100,"job_start_datetime":"2026-12-05 10:00:00","job_end_datetime":"2026-12-05T10:01:00+01:00","links":[{"href":"/jobs/b/results","rel":"http://www.opengis.net/def/rel/ogc/1.0/results"}]},` +
		`{"jobID":"c","status":"accepted","progress":"12.5%"},` +
		`{"jobID":"d","status":"ProcessFailed","progress":-3,"percentCompleted":7,"message":"no \"quoted\" \u00e9\u2028 é","updated":null},` +
		`{"jobID":"e","status":"dismissed","progress":null,"percentCompleted":"n/a","extra":{"a":[1,-2.5e+3,true,false,null,{}],"b":[]}}`
	return map[string]bool{
		string(recorded): true,
		`{"jobs":[` + entries + `],"links":[{"href":"?page=2","rel":"next"}]}`: true,
		"\ufeff \n{\"links\":[],\"numberMatched\":0,\"jobs\":[]}\n":            true,
		`{"jobs":null}`: true,
		// the full decoding's
		`{"jobs":[{"JobID":"x","status":"running"}]}`:                   false, // another case
		`{"jobs":[{"job\u0049D":"x","status":"running"}]}`:              false, // escaped name
		`{"jobs":[{"jobID":"x","status":"running","status":"failed"}]}`: false, // twice
		`{"Jobs":[{"jobID":"x","status":"running"}]}`:                   false,
		`{"jobs":[{"jobID":"x","status":"running"}],"jobs":[]}`:         false,
		`{"jobs":[{"jobID":"x","status":7}]}`:                           false, // not JSON they can read
		`{"jobs":[{"jobID":"x","status":"running"}]} {}`:                false,
		`{"jobs":[{"jobID":"x","status":"running",}]}`:                  false,
		`{"jobs":[{"jobID":"x","progress":01}]}`:                        false,
		`{"jobs":[{"jobID":"x","message":"a\qb"}]}`:                     false,
		`{"jobs":[{"jobID":"x","stArted":{}}]}`:                         false, // found by FuzzScanJobStates
		`{"jobs":[{"jobID":"x","links":[{"href":1}]}]}`:                 false,
		`{"jobs":[{"jobID":"x","links":[{"HREF":"a"}]}]}`:               false,
		`{"jobs":[{"jobID":"x","links":[null,{"a":{"b":1}}]}]}`:         true,
		`{"jobs":[null]}`: false,
		`[]`:              false,
		`null`:            false,
	}
}

// A job list reads the same through JobStates as through Jobs, whether the scan or
// the full decoding reads it; the plain documents servers send are scanned.
func TestJobStatesReadAsJobs(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	ctx := context.Background()
	for doc, plain := range jobListDocs(t) {
		body = doc
		if _, ok := scanJobStates([]byte(doc)); ok != plain {
			t.Errorf("scanned: %v, want %v: %s", ok, plain, doc)
		}
		want, werr := c.Jobs(ctx, JobFilter{})
		got, gerr := c.JobStates(ctx, JobFilter{})
		if (werr == nil) != (gerr == nil) {
			t.Errorf("Jobs error %v, JobStates error %v: %s", werr, gerr, doc)
			continue
		}
		if werr != nil {
			if CodeOf(gerr) != CodeOf(werr) {
				t.Errorf("JobStates error %v (%v), want %v", gerr, CodeOf(gerr), CodeOf(werr))
			}
			continue
		}
		sameStates(t, doc, got, want)
	}
}

func sameStates(t *testing.T, doc string, got *JobStateList, want *JobList) {
	t.Helper()
	if !reflect.DeepEqual(got.Links, want.Links) {
		t.Errorf("links %+v, want %+v: %s", got.Links, want.Links, doc)
	}
	if len(got.Jobs) != len(want.Jobs) {
		t.Fatalf("%d jobs, want %d: %s", len(got.Jobs), len(want.Jobs), doc)
	}
	for i := range want.Jobs {
		g, w := &got.Jobs[i], want.Jobs[i]
		lean := StatusInfo{JobID: w.JobID, Status: w.Status, Progress: w.Progress, Message: w.Message, Updated: w.Updated}
		if !reflect.DeepEqual(StatusInfo{JobID: g.JobID, Status: g.Status, Progress: g.Progress, Message: g.Message, Updated: g.Updated}, lean) {
			t.Errorf("job %d read as %+v, want %+v: %s", i, g, lean, doc)
		}
		info, err := g.Info()
		if err != nil || !reflect.DeepEqual(*info, w) {
			t.Errorf("job %d in full: %+v, %v; want %+v: %s", i, info, err, w, doc)
		}
	}
}

// Whatever the scan reads, it reads as encoding/json does.
func FuzzScanJobStates(f *testing.F) {
	for doc := range jobListDocs(f) {
		f.Add(doc)
	}
	base, _ := url.Parse("http://example.org/ogc/jobs?limit=10")
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := scanJobStates([]byte(doc))
		if !ok {
			return
		}
		var full jobListDoc
		if err := decodeJSON([]byte(doc), &full); err != nil {
			t.Fatalf("scanned what encoding/json does not read (%v): %q", err, doc)
		}
		want := full.list()
		absLinks(base, want.Links)
		absLinks(base, got.Links)
		for i := range want.Jobs {
			absLinks(base, want.Jobs[i].Links)
		}
		for i := range got.Jobs {
			got.Jobs[i].base = base
		}
		sameStates(t, doc, got, want)
	})
}

// BenchmarkJobStates reads the list of BenchmarkJobList through JobStates.
func BenchmarkJobStates(b *testing.B) {
	body := benchJobList()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}))
	defer srv.Close()
	c, _ := New(srv.URL)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		jl, err := c.JobStates(ctx, JobFilter{Limit: 1000})
		if err != nil || len(jl.Jobs) != 1000 {
			b.Fatal(err)
		}
	}
}

// benchJobList is a list of 1,000 running jobs shaped like the built-in endpoint's.
func benchJobList() []byte {
	now := time.Now().UTC()
	var list JobList
	for i := range 1000 {
		p := i % 100
		id := fmt.Sprintf("job-%04d-7b1e2f0c9d", i)
		self := "http://127.0.0.1:8080/jobs/" + id
		list.Jobs = append(list.Jobs, StatusInfo{JobID: id, ProcessID: "countdown", Type: "process", Status: StatusRunning,
			Message: fmt.Sprintf("%d s left", 100-p), Created: &now, Started: &now, Updated: &now, Progress: &p,
			Links: Links{{Href: self, Rel: "self", Type: "application/json", Title: "Job status"},
				{Href: "http://127.0.0.1:8080/jobs", Rel: "up", Type: "application/json", Title: "Job list"},
				{Href: "http://127.0.0.1:8080/processes/countdown", Rel: RelProcessDesc, Type: "application/json", Title: "Process description"}}})
	}
	body, _ := json.Marshal(list)
	return body
}
