package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// harness is a monitor over a real store file, talking to an httptest server through
// the real OGC client.
type harness struct {
	t      *testing.T
	dbPath string
	st     *store.Store
	m      *Monitor
	srvURL string
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	changes []Change
	stopped sync.Once
}

// fastConfig polls often; the request timeouts here and in newHarness only keep a
// broken test from hanging (a busy machine may take seconds to answer a local request).
func fastConfig() Config {
	return Config{FastInterval: 10 * time.Millisecond, MaxInterval: 150 * time.Millisecond,
		ProgressInterval: 40 * time.Millisecond, RequestTimeout: time.Minute, MaxRate: 10000}
}

func newHarness(t *testing.T, srvURL, dbPath string, tweaks ...func(*Config)) *harness {
	t.Helper()
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Endpoint(context.Background(), "fake"); errors.Is(err, store.ErrNotFound) {
		if _, err := st.CreateEndpoint(context.Background(), store.Endpoint{ID: "fake", Title: "Fake", URL: srvURL}); err != nil {
			t.Fatal(err)
		}
	}
	client, err := ogcapi.New(srvURL, ogcapi.WithRetry(0), ogcapi.WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dbPath: dbPath, st: st, srvURL: srvURL}
	cfg := fastConfig()
	cfg.Store = st
	cfg.ClientFor = func(_ context.Context, id string) (Remote, error) {
		if id != "fake" && id != store.LocalEndpoint {
			return nil, fmt.Errorf("no endpoint %q", id)
		}
		return client, nil
	}
	cfg.OnChange = func(c Change) {
		h.mu.Lock()
		h.changes = append(h.changes, c)
		h.mu.Unlock()
		stirred.Fire()
	}
	for _, f := range tweaks {
		f(&cfg)
	}
	h.m, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// testServer serves handler until the test ends.
func testServer(t *testing.T, handler http.Handler) *httptest.Server {
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// startHarness starts a harness over a fresh database, talking to the server at
// srvURL; it stops when the test ends (or before, by stop).
func startHarness(t *testing.T, srvURL string, tweaks ...func(*Config)) *harness {
	t.Helper()
	h := newHarness(t, srvURL, filepath.Join(t.TempDir(), "geojobs.db"), tweaks...)
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.m.Run(ctx) }()
}

func (h *harness) stop() {
	h.stopped.Do(func() {
		h.cancel()
		if err := <-h.done; !errors.Is(err, context.Canceled) {
			h.t.Errorf("Run returned %v", err)
		}
		if err := h.st.Close(); err != nil {
			h.t.Error(err)
		}
	})
}

// stirred fires after every change the monitor reports and every request the fake
// server answers: what the waits below check changes only then.
var stirred waitfor.Pulse

// waitUntil waits until cond holds, checking it again each time something stirred.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitfor.Until(t, &stirred, what, cond)
}

// waitRefusedAll waits until every job of ids still followed (open, not lost) had a request
// refused since f.goDown: the monitor asks again only once it has read the previous
// answer, so every answer the server gave before going down has been read.
func (h *harness) waitRefusedAll(f *fakeOGC, ids []string) {
	h.t.Helper()
	waitUntil(h.t, "a refused request for every open job", func() bool {
		for _, id := range ids {
			j, err := h.st.Job(context.Background(), id)
			if err != nil {
				h.t.Fatal(err)
			}
			if !j.Terminal() && j.Lost.IsZero() && !f.wasRefused(j.RemoteID) {
				return false
			}
		}
		return true
	})
}

// waitRequests waits until the fake server answered n more requests than before.
func waitRequests(t *testing.T, f *fakeOGC, before int64, n int64) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d requests", n), func() bool { return f.requests.Load() >= before+n })
}

// waitIdle waits until the store has no open job left.
func (h *harness) waitIdle() {
	h.t.Helper()
	var open []store.Job
	if !waitfor.UntilOK(&stirred, func() bool {
		var err error
		if open, err = h.st.Unfinished(context.Background()); err != nil {
			h.t.Fatal(err)
		}
		return len(open) == 0
	}) {
		h.t.Fatalf("%d jobs still open after %s, e.g. %+v", len(open), waitfor.Guard, open[0])
	}
}

func countdown(steps int, fail bool, forgetAt int) *ogcapi.Execute {
	in, _ := json.Marshal(fakeInputs{Steps: steps, Fail: fail, ForgetAt: forgetAt})
	var m map[string]json.RawMessage
	json.Unmarshal(in, &m)
	return &ogcapi.Execute{Inputs: m}
}

var fakeProcess = &ogcapi.Process{ProcessSummary: ogcapi.ProcessSummary{ID: "countdown", Version: "1",
	JobControlOptions: []string{ogcapi.AsyncExecute}}}

// checkHistory asserts that the job's status events are states the server served,
// in order, and that every transition is among them: none lost, none invented. A
// state may be missing when it only moved progress (progress a sweep shows of a job
// that is not due is not stored) or when a job list showed it while the monitor was
// asking for the job itself: the transition is then recorded with the next state.
func checkHistory(t *testing.T, st *store.Store, f *fakeOGC, j store.Job) {
	t.Helper()
	evs, err := st.Events(context.Background(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []fakeState
	for _, e := range evs {
		if e.Kind != store.EventStatus || e.Status == store.StatusSubmitting {
			continue
		}
		p := 0
		if e.Progress != nil {
			p = *e.Progress
		}
		got = append(got, fakeState{Status: e.Status, Progress: p, Message: e.Message})
	}
	want := f.served(j.RemoteID)
	k := 0
	for _, s := range want {
		if k < len(got) && got[k] == s {
			k++
		}
	}
	if k != len(got) || fmt.Sprint(statuses(got)) != fmt.Sprint(statuses(want)) {
		t.Errorf("job %s (%s): recorded states\n%v\nserved\n%v", j.ID, j.RemoteID, got, want)
	}
}

// statuses returns the statuses of states, each run of one status once.
func statuses(states []fakeState) []string {
	var out []string
	for _, s := range states {
		if len(out) == 0 || out[len(out)-1] != s.Status {
			out = append(out, s.Status)
		}
	}
	return out
}

func TestMonitorChaos(t *testing.T) {
	f := newFakeOGC(0.35, 1)
	h := startHarness(t, testServer(t, f).URL)
	ctx := context.Background()

	type want struct {
		fail   bool
		forget int
	}
	wants := map[string]want{}
	for i := 0; i < 24; i++ {
		w := want{fail: i%4 == 1}
		if i%6 == 5 {
			w.forget = 3
		}
		j, err := h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "countdown", Process: fakeProcess,
			Request: countdown(4+i%5, w.fail, w.forget), AOI: json.RawMessage(`{"type":"Point","coordinates":[10,50]}`)})
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
		if j.RemoteID == "" || j.Status != ogcapi.StatusAccepted || j.URL == "" {
			t.Fatalf("submitted job %+v", j)
		}
		wants[j.ID] = w
	}
	// A maintenance window, once every job was polled: every request fails until each
	// job still open has been refused at least once.
	waitRequests(t, f, 0, int64(2*len(wants)))
	f.goDown()
	h.waitRefusedAll(f, slices.Collect(maps.Keys(wants)))
	f.down.Store(false)
	h.waitIdle()

	unreachableSeen := 0
	for id, w := range wants {
		j, err := h.st.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case w.forget > 0 && f.gone(j.RemoteID):
			if j.Lost.IsZero() || j.Terminal() {
				t.Errorf("forgotten job %s: lost %v, status %s; want lost while running", id, j.Lost, j.Status)
			}
		case w.fail:
			if j.Status != ogcapi.StatusFailed || !strings.Contains(j.Error, "out of memory") || j.ResultsAt.IsZero() {
				t.Errorf("failing job %s: status %s, error %q", id, j.Status, j.Error)
			}
			// The reason comes from the status; the stored exception is the results
			// answer (which a passing 500 given twice in a row can stand in for).
			var doc failureDocument
			if err := json.Unmarshal(j.Results, &doc); err != nil || doc.Exception == nil || doc.Exception.Status != 500 {
				t.Errorf("failing job %s: stored details %s (%v)", id, j.Results, err)
			}
		default:
			if j.Status != ogcapi.StatusSuccessful || j.Error != "" || !strings.Contains(string(j.Results), "counted") {
				t.Errorf("job %s: status %s, error %q, results %s", id, j.Status, j.Error, j.Results)
			}
		}
		if !j.UnreachableSince.IsZero() {
			t.Errorf("job %s still unreachable", id)
		}
		if string(j.AOI) != `{"type":"Point","coordinates":[10,50]}` || !strings.Contains(string(j.Request), `"steps"`) {
			t.Errorf("job %s: request %s, AOI %s", id, j.Request, j.AOI)
		}
		checkHistory(t, h.st, f, j)
		evs, _ := h.st.Events(ctx, id)
		for _, e := range evs {
			if e.Kind == store.EventUnreachable {
				unreachableSeen++
				break
			}
		}
	}
	if unreachableSeen == 0 {
		t.Error("no job was ever marked unreachable, though the server was down and misbehaving")
	}
	t.Logf("requests %d, chaos answers %v, jobs marked unreachable at least once: %d", f.requests.Load(), f.failures, unreachableSeen)
	for _, k := range []string{"500", "503", "reset", "truncated", "malformed"} {
		if f.failures[k] == 0 {
			t.Errorf("the server never answered %s: the test did not exercise it", k)
		}
	}
	h.mu.Lock()
	nChanges := len(h.changes)
	h.mu.Unlock()
	if nChanges < len(wants)*4 {
		t.Errorf("only %d changes reported for %d jobs", nChanges, len(wants))
	}
	if n, _ := h.m.Tracked(ctx); n != 0 {
		t.Errorf("%d jobs still tracked", n)
	}
	h.stop()
}

func TestMonitorRestart(t *testing.T) {
	f := newFakeOGC(0.2, 2)
	srv := httptest.NewServer(f)
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "geojobs.db")
	h := newHarness(t, srv.URL, db)
	h.start()
	ctx := context.Background()
	var ids []string
	for i := 0; i < 12; i++ {
		j, err := h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "countdown", Process: fakeProcess,
			Request: countdown(30, i%3 == 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	// Stop twice in mid-run; each time a new store and monitor take over from the file.
	for round := 0; round < 2; round++ {
		// Let every job be polled a few more times.
		waitRequests(t, f, f.requests.Load(), int64(2*len(ids)))
		// Stop while the server answers nothing useful: an answer on the wire when the
		// monitor gives up its requests is one the server thinks was seen and the
		// monitor never read (no client can do better), which would fool checkHistory.
		// So stop only once every job still open had a request refused since.
		f.goDown()
		h.waitRefusedAll(f, ids)
		h.stop()
		f.down.Store(false)
		open := 0
		for _, id := range ids {
			if f.served(mustJob(t, db, id).RemoteID) != nil && !ogcapi.Terminal(f.served(mustJob(t, db, id).RemoteID)[len(f.served(mustJob(t, db, id).RemoteID))-1].Status) {
				open++
			}
		}
		if open == 0 {
			t.Fatalf("round %d: every job had ended before the restart; the test proves nothing", round)
		}
		h = newHarness(t, srv.URL, db)
		if n, _ := h.st.Unfinished(ctx); len(n) == 0 {
			t.Fatalf("round %d: nothing to resume", round)
		}
		h.start()
	}
	h.waitIdle()
	for _, id := range ids {
		j, err := h.st.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !j.Terminal() || j.ResultsAt.IsZero() {
			t.Errorf("job %s ended %s without results", id, j.Status)
		}
		checkHistory(t, h.st, f, j)
	}
	h.stop()
}

func mustJob(t *testing.T, db, id string) store.Job {
	t.Helper()
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	j, err := st.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestSubmitOutcomes(t *testing.T) {
	f := newFakeOGC(0, 3)
	h := startHarness(t, testServer(t, f).URL)
	ctx := context.Background()

	// Refused by the server: kept as failed with the server's reason, not tracked.
	f.mu.Lock()
	f.postErr = 400
	f.mu.Unlock()
	j, err := h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "countdown", Process: fakeProcess, Request: countdown(2, false, 0)})
	if ogcapi.CodeOf(err) != ogcapi.InvalidInput {
		t.Fatalf("refused submit: %v", err)
	}
	if j.Status != ogcapi.StatusFailed || !strings.Contains(j.Error, "negative") {
		t.Fatalf("refused job %+v", j)
	}

	// The connection dies after the request was sent: nobody knows.
	f.mu.Lock()
	f.postRST = true
	f.mu.Unlock()
	j, err = h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "countdown", Process: fakeProcess, Request: countdown(2, false, 0)})
	if err == nil || j.Status != store.StatusSubmitUnknown || !strings.Contains(j.Error, "may or may not") {
		t.Fatalf("reset submit: %v, job %+v", err, j)
	}

	// A server that answers a job id another job already has: a clear error, not
	// "submitting" forever.
	first, err := h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "countdown", Process: fakeProcess, Request: countdown(2, false, 0)})
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.reuseID = true
	f.mu.Unlock()
	j, err = h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "countdown", Process: fakeProcess, Request: countdown(2, false, 0)})
	f.mu.Lock()
	f.reuseID = false
	f.mu.Unlock()
	if err == nil || j.Status != ogcapi.StatusFailed || !strings.Contains(j.Error, first.RemoteID) || !strings.Contains(j.Error, "already has") {
		t.Fatalf("duplicate job id: %v, job %+v", err, j)
	}
	if again, _ := h.st.Job(ctx, first.ID); again.RemoteID != first.RemoteID {
		t.Fatalf("the first job lost its server id: %+v", again)
	}

	// Unknown endpoint: refused before anything is stored or sent.
	if _, err := h.m.Submit(ctx, Submission{EndpointID: "nope", ProcessID: "countdown", Request: countdown(1, false, 0)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("submit to an unknown endpoint: %v", err)
	}

	// A crash between storing and sending leaves "submitting": the next Run marks it.
	crashed, err := h.st.CreateJob(ctx, store.NewJob{EndpointID: "fake", ProcessID: "countdown", Request: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	h.stop()
	h = newHarness(t, h.srvURL, h.dbPath)
	h.start()
	t.Cleanup(h.stop)
	waitUntil(t, "the interrupted submission marked "+store.StatusSubmitUnknown, func() bool {
		j, _ := h.st.Job(ctx, crashed.ID)
		return j.Status == store.StatusSubmitUnknown
	})
	page, _ := h.st.ListJobs(ctx, store.Filter{Status: []string{ogcapi.StatusFailed}})
	if len(page.Jobs) != 2 {
		t.Fatalf("%d failed submissions; want 2 (refused, duplicate id)", len(page.Jobs))
	}
}

func TestImportAndDismiss(t *testing.T) {
	f := newFakeOGC(0, 4)
	h := startHarness(t, testServer(t, f).URL)
	ctx := context.Background()
	own, err := h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "countdown", Process: fakeProcess, Request: countdown(3, false, 0)})
	if err != nil {
		t.Fatal(err)
	}
	other := []string{f.addJob(3, time.Now()), f.addJob(5, time.Now())}
	n, err := h.m.Import(ctx, "fake")
	if err != nil || n != 2 {
		t.Fatalf("imported %d, %v; want the 2 jobs started elsewhere", n, err)
	}
	if n, err := h.m.Import(ctx, "fake"); err != nil || n != 0 {
		t.Fatalf("second import added %d, %v", n, err)
	}
	h.waitIdle()
	for _, rid := range other {
		j, err := h.st.JobByRemote(ctx, "fake", rid)
		if err != nil {
			t.Fatal(err)
		}
		if j.Origin != store.OriginImported || j.Status != ogcapi.StatusSuccessful || j.ResultsAt.IsZero() {
			t.Errorf("imported job %+v", j)
		}
	}
	if j, _ := h.st.Job(ctx, own.ID); j.Status != ogcapi.StatusSuccessful {
		t.Errorf("own job %s", j.Status)
	}
}

// redirectingServer answers the execute POST of echo with a 302 to the process's
// description on another origin, and passes every other request on to that origin.
func redirectingServer(t *testing.T, other *httptest.Server) *httptest.Server {
	target, _ := url.Parse(other.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	return testServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/processes/echo/execution" {
			http.Redirect(w, r, other.URL+"/processes/echo", http.StatusFound)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
}

func TestSubmitRedirectedElsewhereFails(t *testing.T) {
	h := startHarness(t, redirectingServer(t, startLocalep(t)).URL+"/")
	ctx := context.Background()
	req := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": json.RawMessage(`"hello"`)}}
	j, err := h.m.Submit(ctx, Submission{EndpointID: "fake", ProcessID: "echo", Request: req, Mode: ogcapi.Sync})
	if !errors.Is(err, netpolicy.ErrRefused) {
		t.Fatalf("submit answered by a redirect elsewhere: %v; job %s, results stored %v", err, j.Status, !j.ResultsAt.IsZero())
	}
	// Kept as a failed submission that says why; no results, nothing to follow.
	j, err = h.st.Job(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != ogcapi.StatusFailed || !strings.Contains(j.Error, "302 Found pointing to") || !j.ResultsAt.IsZero() || j.RemoteID != "" {
		t.Fatalf("job after the refused redirect: status %s, remote id %q, results stored %v, error %q", j.Status, j.RemoteID, !j.ResultsAt.IsZero(), j.Error)
	}
}
