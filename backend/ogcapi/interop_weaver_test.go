package ogcapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/runner"
	"github.com/spf13/afero"
)

// weaver replays CRIM Weaver (crim-ca/weaver docs/examples, see
// testdata/weaver/README.md), captured under https://example.com. Jobs are served
// both under /jobs/{id} and under /processes/{pid}/jobs/{id}, as Weaver does; the
// status says "succeeded" and reports percentCompleted beside progress.
type weaver struct {
	*replay
	results string // fixture served by /results (.json or a recorded .http)

	mu    sync.Mutex
	polls int
}

const (
	weaverBase  = "https://example.com"
	weaverJobID = "a305ef3e-3220-4d43-b1be-301f5ef13c23"
)

func newWeaver(t *testing.T) *weaver {
	wv := &weaver{results: "job-results.document.json"}
	wv.replay = newReplay(t, "weaver", weaverBase, wv.serve)
	return wv
}

func (wv *weaver) json(w http.ResponseWriter, status int, name string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	w.Write(wv.fixture(name))
}

func (wv *weaver) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if i := strings.Index(path, "/jobs/"); i > 0 && strings.HasPrefix(path, "/processes/") {
		path = path[i:] // /processes/{pid}/jobs/{id}… is /jobs/{id}…
	}
	switch {
	case r.Method == http.MethodGet && path == "/processes/example-process":
		wv.json(w, 200, "process-description.example-process.json")
	case r.Method == http.MethodPost && path == "/processes/example-process/execution":
		// HTTPCreated(location=body["location"], json=body)
		w.Header().Set("Location", wv.srv.URL+"/processes/example-process/jobs/"+weaverJobID)
		wv.json(w, http.StatusCreated, "execute-response.201.accepted.json")
	case r.Method == http.MethodGet && path == "/jobs/"+weaverJobID:
		wv.mu.Lock()
		wv.polls++
		n := wv.polls
		wv.mu.Unlock()
		if n < 2 {
			wv.json(w, 200, "job-status.running.json")
		} else {
			wv.json(w, 200, "job-status.succeeded.json")
		}
	case r.Method == http.MethodGet && path == "/jobs/"+weaverJobID+"/results":
		if strings.HasSuffix(wv.results, ".http") {
			wv.serveHTTPFile(w, wv.results)
		} else {
			wv.json(w, 200, wv.results)
		}
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(404)
		w.Write([]byte(`{"type": "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job", "title": "NoSuchJob", "detail": "Could not find job with specified 'job_id'.", "status": 404}`))
	}
}

func TestWeaverAsyncJob(t *testing.T) {
	wv := newWeaver(t)
	c := wv.client("")
	ctx := ctxT(t)
	ex, err := c.Execute(ctx, "example-process", &ogcapi.Execute{Inputs: map[string]json.RawMessage{"message": json.RawMessage(`"hi"`)}}, ogcapi.ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	jobURL := wv.srv.URL + "/processes/example-process/jobs/" + weaverJobID
	if !ex.Async() || ex.JobURL != jobURL || ex.Job.JobID != weaverJobID || ex.Job.Status != ogcapi.StatusAccepted {
		t.Fatalf("execution %+v job %+v", ex, ex.Job)
	}
	st, err := c.Status(ctx, ex.JobURL)
	if err != nil {
		t.Fatal(err)
	}
	// percentCompleted stands in for the missing progress.
	if st.Status != ogcapi.StatusRunning || st.Progress == nil || *st.Progress != 42 || st.Started == nil {
		t.Errorf("running %+v", st)
	}
	st, err = c.Status(ctx, ex.JobURL)
	if err != nil {
		t.Fatal(err)
	}
	// "succeeded" is Weaver's word for successful: the job is over.
	if st.Status != ogcapi.StatusSuccessful || !ogcapi.Terminal(st.Status) || *st.Progress != 100 || st.Finished == nil {
		t.Errorf("succeeded %+v", st)
	}
	if l, ok := st.Links.Find(ogcapi.RelResults, ""); !ok || !strings.HasPrefix(l.Href, wv.srv.URL+"/processes/") {
		t.Errorf("results link %+v", l)
	}
}

func TestWeaverResultShapes(t *testing.T) {
	netcdf := wv0 + "/wpsoutputs/f93a15be-6e16-11ea-b667-08002752172a/output_netcdf.nc"
	for _, tc := range []struct {
		fixture string
		check   func(t *testing.T, wv *weaver, res *ogcapi.Results)
	}{
		{"job-results.document.json", func(t *testing.T, wv *weaver, res *ogcapi.Results) {
			if ids := res.IDs(); len(ids) != 2 || ids[0] != "output-file" || ids[1] != "output-data" {
				t.Fatalf("ids %v", ids)
			}
			f, _ := res.Get("output-file")
			if h, ok := f.Href(); !ok || h != wv.srv.URL+strings.TrimPrefix(netcdf, wv0) || f.MediaType != "application/x-netcdf" {
				t.Errorf("output-file %+v", f)
			}
			d, _ := res.Get("output-data")
			if j, ok := d.JSON(); !ok || string(j) != "3.1416" {
				t.Errorf("output-data %+v", d)
			}
		}},
		{"job-results.raw-multi.http", func(t *testing.T, wv *weaver, res *ogcapi.Results) {
			// multipart/form-data (not related), Content-ID without <>, LF line ends.
			if ids := res.IDs(); len(ids) != 2 || ids[0] != "output-file" || ids[1] != "output-data" {
				t.Fatalf("ids %v", ids)
			}
			f, _ := res.Get("output-file")
			if h, ok := f.Href(); !ok || h != wv.srv.URL+strings.TrimPrefix(netcdf, wv0) {
				t.Errorf("output-file %+v", f)
			}
			d, _ := res.Get("output-data")
			if b, err := d.Data(); err != nil || strings.TrimSpace(string(b)) != "3.1416" {
				t.Errorf("output-data %q %v", b, err)
			}
		}},
		{"job-results.raw-single-ref.http", func(t *testing.T, wv *weaver, res *ogcapi.Results) {
			// 204, the output in a Link header with rel="output".
			o, ok := res.Get("output")
			if h, _ := o.Href(); !ok || len(res.Outputs) != 1 || h != wv.srv.URL+"/wpsoutputs/f93a15be-6e16-11ea-b667-08002752172a/output/output_netcdf.nc" || o.MediaType != "application/x-netcdf" {
				t.Errorf("results %+v", res)
			}
		}},
		{"job-results.raw-single-data.http", func(t *testing.T, wv *weaver, res *ogcapi.Results) {
			// The output id comes from Content-ID: <output@jobID>.
			o, ok := res.Get("output")
			if b, err := o.Data(); !ok || err != nil || string(b) != "<netcdf data>\n" || o.MediaType != "application/x-netcdf" {
				t.Errorf("results %+v", res)
			}
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			wv := newWeaver(t)
			wv.results = tc.fixture
			res, err := wv.client("").Results(ctxT(t), weaverJobID)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, wv, res)
		})
	}
}

// wv0 is the captured base, for building expected hrefs.
const wv0 = weaverBase

func TestWeaverUnknownJob(t *testing.T) {
	wv := newWeaver(t)
	_, err := wv.client("").Status(ctxT(t), "00000000-0000-0000-0000-000000000000")
	wantAPIError(t, err, ogcapi.NoSuchJob, 404, "Could not find job")
}

// geojobs run against Weaver: async only, "succeeded", a results document with a
// file reference and a literal.
func TestWeaverRun(t *testing.T) {
	wv := newWeaver(t)
	fs := afero.NewMemMapFs()
	res, err := runner.Run(ctxT(t), runOptions(wv.srv.URL, "example-process", runRequest(t, []byte(`{"inputs": {"message": "hi"}}`)), fs))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !res.Async || res.JobID != weaverJobID || res.Status != ogcapi.StatusSuccessful || res.Items != 1 {
		t.Errorf("result %+v", res)
	}
	ic := readItemCollection(t, fs, "/out/feature-collection.json")
	it := ic.Features[0]
	a, ok := it.Assets["output-file"]
	if !ok || a.Href != wv.srv.URL+"/wpsoutputs/f93a15be-6e16-11ea-b667-08002752172a/output_netcdf.nc" || a.Type != "application/x-netcdf" {
		t.Errorf("assets %+v", it.Assets)
	}
	var outs map[string]any
	json.Unmarshal(it.Properties["geojobs:outputs"], &outs)
	if outs["output-data"] != 3.1416 {
		t.Errorf("outputs %s", it.Properties["geojobs:outputs"])
	}
	if rq := wv.last(http.MethodPost, "/execution"); rq.Header.Get("Prefer") != "respond-async" {
		t.Errorf("Prefer %q", rq.Header.Get("Prefer"))
	}
}
