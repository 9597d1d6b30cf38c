package jobs

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

func startLocalep(t testing.TB) *httptest.Server {
	t.Helper()
	return localeptest.Start(t, localep.Options{MaxConcurrent: 16})
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
	srv := startLocalep(t)
	h := startHarness(t, srv.URL)
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
