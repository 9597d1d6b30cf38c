package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// newLocal serves the built-in endpoint (state in memory) and returns its URL.
func newLocal(t *testing.T) string {
	t.Helper()
	ep, _ := newLocalCounted(t)
	return ep
}

// newLocalCounted is newLocal that also counts the execute requests (POSTs) it was sent.
func newLocalCounted(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	srv, err := localep.New(localep.Options{DataDir: "/data", Fs: afero.NewMemMapFs(), MaxConcurrent: 4})
	if err != nil {
		t.Fatal(err)
	}
	var posts atomic.Int32
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close local endpoint: %v", err)
		}
	})
	return ts.URL, &posts
}

func TestLocalEcho(t *testing.T) {
	ep := newLocal(t)
	png := []byte("\x89PNG\r\n\x1a\nnot really a picture")
	req := mustParse(t, `{"inputs": {"stringInput": "hello", "numberInput": 4.5, "multiStringInput": ["a", "b"],
		"binaryInput": "`+base64.StdEncoding.EncodeToString(png)+`"}, "response": "document"}`)
	for _, mode := range []struct {
		name  string
		mode  ogcapi.Mode
		async bool
	}{{"auto", ogcapi.Auto, true}, {"sync", ogcapi.Sync, false}} {
		t.Run(mode.name, func(t *testing.T) {
			fs := afero.NewMemMapFs()
			o := baseOptions(ep+"/", "echo", req, fs, nil)
			o.Mode = mode.mode
			res, err := runWith(t, o)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Async != mode.async || res.STAC || res.Items != 1 {
				t.Errorf("result %+v", res)
			}
			ic := readCollection(t, fs, "/out/feature-collection.json")
			it := ic.Features[0]
			if it.ID != res.JobID {
				t.Errorf("item id %q, job %q", it.ID, res.JobID)
			}
			var lits map[string]json.RawMessage
			if err := json.Unmarshal(it.Properties[stac.PropOutputs], &lits); err != nil {
				t.Fatalf("no %s property: %v", stac.PropOutputs, err)
			}
			if string(lits["stringOutput"]) != `"hello"` || string(lits["numberOutput"]) != `4.5` {
				t.Errorf("literal outputs %s", it.Properties[stac.PropOutputs])
			}
			a, ok := it.Assets["binaryOutput"]
			if !ok {
				t.Fatalf("no binaryOutput asset: %v", it.AssetKeys())
			}
			got, err := afero.ReadFile(fs, "/out/"+strings.TrimPrefix(a.Href, "./"))
			if err != nil || string(got) != string(png) {
				t.Errorf("binary output file %q: %q, %v", a.Href, got, err)
			}
			if string(it.Properties[stac.PropProcess]) != `"echo"` {
				t.Errorf("process property %s", it.Properties[stac.PropProcess])
			}
		})
	}
}

func TestLocalCountdown(t *testing.T) {
	ep := newLocal(t)
	fs := afero.NewMemMapFs()
	var progress syncBuffer
	o := baseOptions(ep, "countdown", mustParse(t, `{"inputs": {"seconds": 0.3, "step": 0.05}}`), fs, &progress)
	res, err := runWith(t, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !res.Async || res.Status != ogcapi.StatusSuccessful {
		t.Errorf("result %+v", res)
	}
	ic := readCollection(t, fs, "/out/feature-collection.json")
	if len(ic.Features) != 1 || ic.Features[0].Properties[stac.PropOutputs] == nil {
		t.Errorf("features %+v", ic.Features)
	}
	out := progress.String()
	if !strings.Contains(out, " running ") || !strings.Contains(out, " successful") || !strings.Contains(out, "%") {
		t.Errorf("progress does not show the job's course:\n%s", out)
	}
}

func TestLocalSyntheticScene(t *testing.T) {
	ep := newLocal(t)
	fs := afero.NewMemMapFs()
	req := mustParse(t, `
inputs:
  aoi: {bbox: [5.9, 45.8, 6.2, 46.0]}
  size: 32
  seed: 7
`)
	res, err := runWith(t, baseOptions(ep, "synthetic-scene", req, fs, nil))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !res.STAC || res.Items == 0 {
		t.Fatalf("result %+v", res)
	}
	ic := readCollection(t, fs, "/out/feature-collection.json")
	for _, it := range ic.Features {
		if len(it.Assets) == 0 {
			t.Errorf("item %s has no assets", it.ID)
		}
		for k, a := range it.Assets {
			if !strings.HasPrefix(a.Href, ep+"/") {
				t.Errorf("item %s asset %s href %q is not an absolute URL on the endpoint", it.ID, k, a.Href)
			}
		}
	}
}

func TestLocalFail(t *testing.T) {
	ep := newLocal(t)
	fs := afero.NewMemMapFs()
	_, err := runWith(t, baseOptions(ep, "fail", mustParse(t, `{"inputs":{"message":"the river ran dry","delay":0.05}}`), fs, nil))
	wantError(t, err, ExitFailed, "failed: ", "the river ran dry")
	if ok, _ := afero.Exists(fs, "/out/feature-collection.json"); ok {
		t.Error("output written for a failed job")
	}
}

func TestLocalUnknownProcess(t *testing.T) {
	ep := newLocal(t)
	_, err := runWith(t, baseOptions(ep, "no-such", mustParse(t, `{}`), afero.NewMemMapFs(), nil))
	wantError(t, err, ExitUsage, `process "no-such" not found on `+ep+"/; available: ", "countdown", "echo", "fail", "synthetic-scene")
}

// What the server would refuse — a missing required input, a value of the wrong type,
// out of range or not in the enum — is refused before anything is sent: exit 2 with
// the input and the reason, and no execute request.
func TestLocalInputsCheckedBeforeSending(t *testing.T) {
	ep, posts := newLocalCounted(t)
	for _, c := range []struct{ pid, req, want string }{
		{"synthetic-scene", `{"inputs":{"size":32}}`, "aoi: a value is required"},
		{"synthetic-scene", `{"inputs":{"aoi":{"bbox":[0,0,1,1]},"size":50000}}`, "size: maximum: got 50,000, want 40,000"},
		{"echo", `{"inputs":{"integerInput":"twelve"}}`, "integerInput: got string, want integer"},
		{"echo", `{"inputs":{"enumInput":"Value4"}}`, "enumInput: value must be one of 'Value1', 'Value2', 'Value3'"},
		{"echo", `{"inputs":{"stringInput":"x","nope":1}}`, `echo has no input "nope"`},
	} {
		_, err := runWith(t, baseOptions(ep, c.pid, mustParse(t, c.req), afero.NewMemMapFs(), nil))
		wantError(t, err, ExitUsage, "inputs refused before sending: ", c.want)
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("%d request(s) sent to the server", n)
	}
	// What the description's schema cannot judge goes to the server, which decides:
	// a reference, and here bytes that are not base64 (the built-in endpoint asserts
	// contentEncoding, the client leaves it to the server).
	_, err := runWith(t, baseOptions(ep, "echo", mustParse(t, `{"inputs":{"binaryInput":"not base64!"}}`), afero.NewMemMapFs(), nil))
	wantError(t, err, ExitUsage, "the server rejected the execute request")
	if n := posts.Load(); n != 1 {
		t.Errorf("%d request(s) sent to the server, want 1", n)
	}
}

// A swapped bbox or a self-intersecting polygon is refused before anything is sent:
// exit 2 with the reason, and no job on the server.
func TestLocalAreasCheckedBeforeSending(t *testing.T) {
	ep := newLocal(t)
	for _, c := range []struct{ pid, req, want string }{
		{"synthetic-scene", `{"inputs":{"aoi":{"bbox":[10.5,47.8,5.9,45.8]}}}`, "aoi: the minimum latitude 47.8 is above the maximum latitude 45.8"},
		{"echo", `{"inputs":{"geometryInput":{"value":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]},"mediaType":"application/geo+json"}}}`, "geometryInput: the outer ring crosses itself at (0.5, 0.5)"},
	} {
		_, err := runWith(t, baseOptions(ep, c.pid, mustParse(t, c.req), afero.NewMemMapFs(), nil))
		wantError(t, err, ExitUsage, "inputs refused before sending: ", c.want)
	}
	cl, err := ogcapi.New(ep)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := cl.Jobs(context.Background(), ogcapi.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Jobs) != 0 {
		t.Errorf("%d job(s) created on the server", len(jobs.Jobs))
	}
}

func TestLocalSyncOnlyAsync(t *testing.T) {
	ep := newLocal(t)
	o := baseOptions(ep, "countdown", mustParse(t, `{}`), afero.NewMemMapFs(), nil)
	o.Mode = ogcapi.Sync
	_, err := runWith(t, o)
	wantError(t, err, ExitUsage, "runs only asynchronously")
}

func TestLocalTimeout(t *testing.T) {
	ep := newLocal(t)
	o := baseOptions(ep, "countdown", mustParse(t, `{"inputs":{"seconds":600}}`), afero.NewMemMapFs(), nil)
	// The timeout counts from the submission: a busy machine may not have the job created
	// within 300 ms, so the timeout doubles until the run times out following a job.
	var err error
	for o.Timeout = 300 * time.Millisecond; ; o.Timeout *= 2 {
		_, err = runWith(t, o)
		if err == nil || !strings.Contains(err.Error(), "before the job was created") || o.Timeout > time.Minute {
			break
		}
	}
	wantError(t, err, ExitTimeout, "timed out after "+o.Timeout.String()+" following job ", "last status ", ep+"/jobs/")
}

func TestLocalInterrupt(t *testing.T) {
	for _, dismiss := range []bool{false, true} {
		t.Run(map[bool]string{false: "leave", true: "dismiss"}[dismiss], func(t *testing.T) {
			ep := newLocal(t)
			var progress syncBuffer
			o := baseOptions(ep, "countdown", mustParse(t, `{"inputs":{"seconds":60}}`), afero.NewMemMapFs(), &progress)
			o.DismissOnInterrupt = dismiss
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { // Ctrl-C once the job runs
				waitfor.UntilOK(&progress.wrote, func() bool { return strings.Contains(progress.String(), " running") })
				cancel()
			}()
			_, err := Run(ctx, o)
			e := wantError(t, err, ExitInterrupted, "interrupted")
			jobID := strings.Fields(strings.SplitN(progress.String(), " job ", 2)[1])[0]
			c, _ := ogcapi.New(ep)
			st, serr := c.Status(context.Background(), jobID)
			if serr != nil {
				t.Fatal(serr)
			}
			if dismiss {
				if st.Status != ogcapi.StatusDismissed || !strings.Contains(e.Error(), "dismissed") {
					t.Errorf("job %s after interrupt with dismiss; error %v", st.Status, e)
				}
			} else if st.Status != ogcapi.StatusRunning || !strings.Contains(e.Error(), "goes on running") {
				t.Errorf("job %s after interrupt without dismiss; error %v", st.Status, e)
			}
		})
	}
}

func TestLocalStdout(t *testing.T) {
	ep := newLocal(t)
	var out strings.Builder
	o := baseOptions(ep, "echo", mustParse(t, `{"inputs":{"stringInput":"x"}}`), afero.NewMemMapFs(), nil)
	o.Output, o.Stdout = "-", &out
	if _, err := runWith(t, o); err != nil {
		t.Fatal(err)
	}
	if err := stac.Validate([]byte(out.String())); err != nil {
		t.Fatalf("stdout: %v\n%s", err, out.String())
	}
}

func TestUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	ep := ts.URL
	ts.Close()
	o := baseOptions(ep, "echo", mustParse(t, `{}`), afero.NewMemMapFs(), nil)
	o.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	_, err := runWith(t, o)
	wantError(t, err, ExitServer, "unavailable")
}

// TestLocalEchoTypedOutputs: geojobs run's ItemCollection lists every output typed, as
// the results page shows them — also from a raw answer, whose parts are all text.
func TestLocalEchoTypedOutputs(t *testing.T) {
	ep := newLocal(t)
	req := mustParse(t, `{"inputs": {"integerInput": 42, "booleanInput": false, "numberInput": 2.5, "stringInput": "x"}, "response": "raw"}`)
	fs := afero.NewMemMapFs()
	o := baseOptions(ep+"/", "echo", req, fs, nil)
	o.Mode = ogcapi.Sync
	if _, err := runWith(t, o); err != nil {
		t.Fatalf("Run: %v", err)
	}
	ic := readCollection(t, fs, "/out/feature-collection.json")
	got := map[string]string{}
	for _, out := range results.OutputsOf(ic) {
		got[out.ID] = out.Kind + " " + out.Type + " " + string(out.Value)
	}
	for id, want := range map[string]string{"integerOutput": "literal integer 42", "booleanOutput": "literal boolean false",
		"numberOutput": "literal number 2.5", "stringOutput": `literal string "x"`, "objectOutput": "missing object "} {
		if got[id] != want {
			t.Errorf("%s: %q, want %q", id, got[id], want)
		}
	}
	var lits map[string]json.RawMessage
	if err := json.Unmarshal(ic.Features[0].Properties[stac.PropOutputs], &lits); err != nil || string(lits["integerOutput"]) != "42" {
		t.Errorf("item property %s: %s", stac.PropOutputs, ic.Features[0].Properties[stac.PropOutputs])
	}
}

// A request file whose values are not in the standard's encoding (one value for an
// input that takes several, a bare object) is sent as written, and the run says
// where it departs from the standard.
func TestLocalEncodingNotes(t *testing.T) {
	ep := newLocal(t)
	req := mustParse(t, `{"inputs": {"stringInput": "hello", "multiStringInput": "a", "objectInput": {"name": "n", "weight": 1.50}}}`)
	fs := afero.NewMemMapFs()
	var progress syncBuffer
	o := baseOptions(ep+"/", "echo", req, fs, &progress)
	o.Mode = ogcapi.Sync
	_, err := runWith(t, o)
	t.Logf("run: %v", err)
	for _, want := range []string{
		`note: input "multiStringInput" takes several values (maxOccurs 5): the standard sends them as a JSON array, even one; sent as written`,
		`note: input "objectInput" is an object: the standard sends it as {"value": {…}}; sent as written`,
	} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
}
