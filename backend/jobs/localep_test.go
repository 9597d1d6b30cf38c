package jobs

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

func startLocalep(t testing.TB) *httptest.Server {
	t.Helper()
	return localeptest.Start(t, localep.Options{MaxConcurrent: 16})
}

func TestLocalEndpointCountdown(t *testing.T) {
	srv := startLocalep(t)
	h := newHarness(t, srv.URL, filepath.Join(t.TempDir(), "geojobs.db"))
	h.start()
	defer func() { h.stop() }()
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
	failing, err := h.m.Submit(ctx, Submission{EndpointID: store.LocalEndpoint, ProcessID: "fail", Request: &ogcapi.Execute{}})
	if err != nil {
		t.Fatal(err)
	}
	h.waitIdle(30 * time.Second)
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
