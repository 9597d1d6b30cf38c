package localep

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/geojobs/geojobs/backend/internal/ogcschematest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// env is a server mounted under /ogc behind http.StripPrefix, as the app mounts it.
type env struct {
	t    *testing.T
	fs   afero.Fs
	srv  *Server
	http *httptest.Server
	base string
}

func newEnv(t *testing.T, fs afero.Fs, tweak ...func(*Options)) *env {
	t.Helper()
	if fs == nil {
		fs = afero.NewMemMapFs()
	}
	opts := Options{DataDir: "/data", Fs: fs, BasePath: "/ogc/", MaxConcurrent: 4}
	for _, f := range tweak {
		f(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ogc/", http.StripPrefix("/ogc", srv.Handler()))
	ts := httptest.NewServer(mux)
	e := &env{t: t, fs: fs, srv: srv, http: ts, base: ts.URL + "/ogc"}
	t.Cleanup(func() { e.close() })
	return e
}

func (e *env) close() {
	e.http.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	if err := e.srv.Close(ctx); err != nil {
		e.t.Errorf("close: %v", err)
	}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
}

// do sends a request to path (relative to the endpoint) and reads the whole answer.
func (e *env) do(method, path string, body any, header ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = e.base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func expectStatus(t *testing.T, r resp, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body: %s", r.status, want, r.body)
	}
}

// expectException checks an RFC 7807 answer of the given status and type.
func expectException(t *testing.T, r resp, status int, typ string) ogcapi.Exception {
	t.Helper()
	expectStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("exception Content-Type %q", ct)
	}
	validate(t, "exception.yaml", r.body)
	var e ogcapi.Exception
	r.json(t, &e)
	if e.Type != typ || e.Status != status || e.Title == "" || e.Detail == "" {
		t.Errorf("exception %+v, want type %s status %d", e, typ, status)
	}
	return e
}

// updated fires after every update of a job's record, by any server of the tests.
var updated waitfor.Pulse

// holdUpdate, when set, is called after every update of a job's record, in the job's
// runner with the job's lock held: a test holds a runner at a step by blocking in it.
var holdUpdate atomic.Pointer[func(*job)]

func init() {
	jobUpdated = func(j *job) {
		updated.Fire()
		if h := holdUpdate.Load(); h != nil {
			(*h)(j)
		}
	}
}

// waitJob waits until a job is in a terminal status, asking again after each update.
func (e *env) waitJob(id string) ogcapi.StatusInfo {
	e.t.Helper()
	var st ogcapi.StatusInfo
	var r resp
	if !waitfor.UntilOK(&updated, func() bool {
		r = e.do("GET", "/jobs/"+id, nil)
		expectStatus(e.t, r, 200)
		st = ogcapi.StatusInfo{}
		r.json(e.t, &st)
		return ogcapi.Terminal(st.Status)
	}) {
		e.t.Fatalf("job %s still %s", id, st.Status)
	}
	validate(e.t, "statusInfo.yaml", r.body)
	return st
}

// submit executes asynchronously and returns the job id.
func (e *env) submit(process string, body any) string {
	e.t.Helper()
	r := e.do("POST", "/processes/"+process+"/execution", body, "Prefer", "respond-async")
	expectStatus(e.t, r, 201)
	validate(e.t, "statusInfo.yaml", r.body)
	var st ogcapi.StatusInfo
	r.json(e.t, &st)
	if loc := r.header.Get("Location"); loc != e.base+"/jobs/"+st.JobID {
		e.t.Fatalf("Location %q for job %s", loc, st.JobID)
	}
	return st.JobID
}

// validate checks body against one of the Part 1 1.0 schemas, with every oneOf read
// as anyOf (their branches overlap in 1.0).
func validate(t *testing.T, schema string, body []byte) {
	t.Helper()
	if err := ogcschematest.AnyOf(t).Validate(t, schema, body); err != nil {
		t.Errorf("body does not validate against %s: %v\n%s", schema, err, body)
	}
}
