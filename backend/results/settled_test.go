package results

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
)

// gatedStore is the SQLite store whose first recording of a failure blocks until
// release is closed, with failing closed once it is under way.
type gatedStore struct {
	*store.Store
	once             sync.Once
	failing, release chan struct{}
}

func (g *gatedStore) SetDownloadState(ctx context.Context, id int64, state, reason string, at time.Time) error {
	if state == store.DownloadFailed {
		g.once.Do(func() {
			close(g.failing)
			<-g.release
		})
	}
	return g.Store.SetDownloadState(ctx, id, state, reason, at)
}

// A failed download resumed while its failure is still being recorded, and done
// before the record is written: Wait reports the new end (completed), not the old
// one, and the store ends with it. Settled is read from the task's run, so the late
// record of the first run cannot settle the second.
func TestResumeWhileFailureIsRecorded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // only against a hang
	defer cancel()
	body := strings.Repeat("scene", 100)
	var up atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(body))
	}))
	defer srv.Close()
	st, job, ic := sceneJob(ctx, t, t.TempDir(), srv.URL+"/scene.tif")
	g := &gatedStore{Store: st, failing: make(chan struct{}), release: make(chan struct{})}
	d, err := NewDownloads(DownloadsOptions{Store: g,
		Items:    func(context.Context, string) (*stac.ItemCollection, error) { return ic, nil },
		Transfer: transfer.Options{Retry: retry.Policy{Attempts: 1, Base: time.Millisecond, Max: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n, err := d.Start(ctx, job.ID, t.TempDir(), nil); n != 1 || err != nil {
		t.Fatalf("Start: %d, %v", n, err)
	}
	select {
	case <-g.failing: // the 404 is being recorded
	case <-ctx.Done():
		t.Fatal("the failure was never recorded")
	}
	up.Store(true)
	if n := d.Resume(job.ID, ""); n != 1 {
		t.Fatalf("Resume: %d", n)
	}
	task := d.find(job.ID, "")[0].task
	for {
		ch := d.m.Changed()
		if s, _ := task.State(); s == transfer.StateCompleted {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the resumed download did not complete")
		}
	}
	close(g.release) // the first run's failure is recorded now, after the second run ended
	p, err := d.Wait(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Completed != 1 || p.Failed != 0 || p.Files[0].State != transfer.StateCompleted {
		t.Fatalf("after Wait: %d completed, %d failed, file %s %s", p.Completed, p.Failed, p.Files[0].State, p.Files[0].Error)
	}
	recs, err := st.Downloads(ctx, job.ID)
	if err != nil || len(recs) != 1 || recs[0].State != store.DownloadCompleted {
		t.Fatalf("store: %+v, %v", recs, err)
	}
}
