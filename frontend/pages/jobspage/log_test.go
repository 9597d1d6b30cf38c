package jobspage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pagetest"
	"github.com/geojobs/geojobs/frontend/web"
)

// polls records the jobs whose status the page asked for.
type polls struct {
	Monitor
	mu   sync.Mutex
	jobs []string
}

func (p *polls) PollNow(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jobs = append(p.jobs, id)
	return nil
}

// F-23: each read of a running job's log asks for its status too, so that the status
// shown above the log keeps up with it; a finished job's log read asks nothing.
func TestLogReadAsksForStatus(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	running, err := st.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "countdown", Status: "running", RemoteID: "r1", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	done, err := st.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "countdown", Status: "successful", RemoteID: "r2", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	p := &polls{}
	mux := pagetest.Mux(map[string]web.HandlerFunc{"GET /jobs/{id}/log": New(Deps{Store: st, Monitor: p}).JobLog})
	for _, id := range []string{running.ID, done.ID} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/jobs/"+id+"/log", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("log of %s: %d %s", id, rec.Code, rec.Body)
		}
	}
	if !slices.Equal(p.jobs, []string{running.ID}) {
		t.Errorf("status asked for %v, want only the running job %s", p.jobs, running.ID)
	}
}
