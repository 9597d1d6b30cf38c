package jobs

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

func startLocalep(t testing.TB) *httptest.Server {
	t.Helper()
	return localeptest.Start(t, localep.Options{MaxConcurrent: 16})
}

// startLocalepSeen is startLocalep for tests that check the monitor saw each countdown
// running with some progress. Its file system holds a countdown's record write past
// half way until the harness (given to follow) told a change of that job running with
// progress; meanwhile the endpoint answers with the record before, running at a third
// or so. A busy machine could otherwise sweep only before and after a half-second
// countdown (TestSweepLocalEndpoint under -race: 'statuses submitting>accepted>successful').
func startLocalepSeen(t *testing.T) (srv *httptest.Server, follow func(*harness)) {
	t.Helper()
	fs := &holdUntilSeen{Fs: afero.NewMemMapFs(), remotes: map[string]string{}}
	t.Cleanup(func() { fs.ended.Store(true); stirred.Fire() })
	return localeptest.Start(t, localep.Options{MaxConcurrent: 16, Fs: fs}), func(h *harness) { fs.h.Store(h) }
}

type holdUntilSeen struct {
	afero.Fs
	h       atomic.Pointer[harness]
	ended   atomic.Bool
	mu      sync.Mutex
	remotes map[string]string // the server's job id of each job of the harness
}

// Rename is the last step of the endpoint's record writes (atomicfile).
func (f *holdUntilSeen) Rename(oldname, newname string) error {
	if path.Base(newname) == "job.json" {
		var rec struct {
			Status ogcapi.StatusInfo `json:"status"`
		}
		if b, err := afero.ReadFile(f.Fs, oldname); err == nil && json.Unmarshal(b, &rec) == nil && rec.Status.ProcessID == "countdown" &&
			rec.Status.Status == ogcapi.StatusRunning && rec.Status.Progress != nil && *rec.Status.Progress >= 50 {
			remote := path.Base(path.Dir(newname))
			waitfor.UntilOK(&stirred, func() bool { return f.ended.Load() || f.seen(remote) })
		}
	}
	return f.Fs.Rename(oldname, newname)
}

// seen reports whether the harness told a change of the job with server id remote
// running with some progress.
func (f *holdUntilSeen) seen(remote string) bool {
	h := f.h.Load()
	if h == nil {
		return false
	}
	h.mu.Lock()
	changes := slices.Clone(h.changes)
	h.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range changes {
		if c.Status != ogcapi.StatusRunning || c.Progress == nil || *c.Progress == 0 {
			continue
		}
		r, ok := f.remotes[c.JobID]
		if !ok {
			j, err := h.st.Job(context.Background(), c.JobID)
			if err != nil {
				continue
			}
			r = j.RemoteID
			f.remotes[c.JobID] = r
		}
		if r == remote {
			return true
		}
	}
	return false
}

// submitSyncAndFailing submits to the built-in endpoint echo asked for Mode Sync and
// a job of the fail process. Echo allows both modes; asked for sync, it runs while the
// request waits (no Prefer: respond-async), so its job is successful at once, without
// a server job id.
func submitSyncAndFailing(t *testing.T, h *harness) (syncMode, failing store.Job) {
	t.Helper()
	ctx := context.Background()
	syncMode, err := h.m.Submit(ctx, Submission{EndpointID: store.LocalEndpoint, ProcessID: "echo", Mode: ogcapi.Sync,
		Request: &ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": json.RawMessage(`"asked for sync"`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if syncMode.Status != ogcapi.StatusSuccessful || syncMode.RemoteID != "" {
		t.Errorf("Mode Sync: the job is %s with server id %q, want successful at once without one", syncMode.Status, syncMode.RemoteID)
	}
	failing, err = h.m.Submit(ctx, Submission{EndpointID: store.LocalEndpoint, ProcessID: "fail", Request: &ogcapi.Execute{}})
	if err != nil {
		t.Fatal(err)
	}
	return syncMode, failing
}

func TestLocalEndpointCountdown(t *testing.T) {
	srv, follow := startLocalepSeen(t)
	h := startHarness(t, srv.URL)
	follow(h)
	ctx := context.Background()
	req := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage(`0.5`), "step": json.RawMessage(`0.1`)}}
	var ids []string
	for i := 0; i < 3; i++ {
		j, err := h.m.Submit(ctx, Submission{EndpointID: store.LocalEndpoint, ProcessID: "countdown", Request: req})
		if err != nil {
			t.Fatal(err)
		}
		if j.DescriptionSHA256 != "" {
			t.Errorf("a description hash without a description")
		}
		ids = append(ids, j.ID)
	}
	_, failing := submitSyncAndFailing(t, h)
	h.waitIdle()
	for _, id := range ids {
		j, _ := h.st.Job(ctx, id)
		if j.Status != ogcapi.StatusSuccessful || !strings.Contains(string(j.Results), "counted down") {
			t.Errorf("countdown job: %s, results %s, error %q", j.Status, j.Results, j.Error)
		}
		evs, _ := h.st.Events(ctx, id)
		last, statuses := -1, []string{}
		for _, e := range evs {
			if e.Kind != store.EventStatus {
				continue
			}
			if len(statuses) == 0 || statuses[len(statuses)-1] != e.Status {
				statuses = append(statuses, e.Status)
			}
			if e.Progress != nil {
				if *e.Progress < last {
					t.Errorf("progress went back from %d to %d", last, *e.Progress)
				}
				last = *e.Progress
			}
		}
		if s := strings.Join(statuses, ">"); !strings.HasSuffix(s, "running>successful") {
			t.Errorf("statuses %s", s)
		}
	}
	j, _ := h.st.Job(ctx, failing.ID)
	if j.Status != ogcapi.StatusFailed || j.Error == "" || j.ResultsAt.IsZero() {
		t.Errorf("failing job: %s, error %q", j.Status, j.Error)
	}
	t.Logf("failed job's reason %q, details %s", j.Error, j.Results)
}

// TestChangeCarriesOutputs: the change that stores a successful job's results carries
// them (asynchronous and synchronous execution), so consumers need not fetch them
// again; a failed job's change carries none.
func TestChangeCarriesOutputs(t *testing.T) {
	srv := startLocalep(t)
	h := startHarness(t, srv.URL)
	ctx := context.Background()
	async, err := h.m.Submit(ctx, Submission{EndpointID: store.LocalEndpoint, ProcessID: "countdown",
		Request: &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage(`0.2`), "step": json.RawMessage(`0.1`)}}})
	if err != nil {
		t.Fatal(err)
	}
	syncOnly := &ogcapi.Process{ProcessSummary: ogcapi.ProcessSummary{ID: "echo", JobControlOptions: []string{ogcapi.SyncExecute}}}
	sync, err := h.m.Submit(ctx, Submission{EndpointID: store.LocalEndpoint, ProcessID: "echo", Process: syncOnly,
		Request: &ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": json.RawMessage(`"hello"`)}}})
	if err != nil {
		t.Fatal(err)
	}
	syncMode, failing := submitSyncAndFailing(t, h)
	h.waitIdle()

	h.mu.Lock()
	defer h.mu.Unlock()
	outputs := map[string][]*ogcapi.Results{}
	for _, c := range h.changes {
		if c.Outputs != nil {
			if !c.Results || c.Status != ogcapi.StatusSuccessful {
				t.Errorf("outputs on a change that did not store results: %+v", c)
			}
			outputs[c.JobID] = append(outputs[c.JobID], c.Outputs)
		}
	}
	for _, c := range []struct{ id, text string }{{async.ID, "counted down"}, {sync.ID, "hello"}, {syncMode.ID, "asked for sync"}} {
		got := outputs[c.id]
		if len(got) != 1 {
			t.Errorf("job %s: outputs on %d changes, want 1", c.id, len(got))
			continue
		}
		j, _ := h.st.Job(ctx, c.id)
		if j.Status != ogcapi.StatusSuccessful || !strings.Contains(string(j.Results), c.text) {
			t.Errorf("job %s: %s, stored results %s", c.id, j.Status, j.Results)
		}
		if enc := encodeResults(got[0]); string(enc) != string(j.Results) {
			t.Errorf("job %s: the change's outputs %s are not the stored results %s", c.id, enc, j.Results)
		}
	}
	if n := len(outputs[failing.ID]); n != 0 {
		t.Errorf("failed job: outputs on %d changes", n)
	}
}
