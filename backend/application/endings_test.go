package application

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/store"
)

// A job is notified once, when it is seen to end: not again when its results come in
// later, not when it was found already ended long ago, not while notifications are off.
func TestEnded(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	a := &App{Store: st, log: slog.New(slog.DiscardHandler)}
	seen := map[string]string{}
	newJob := func(process string) store.Job {
		j, err := st.CreateJob(ctx, store.NewJob{EndpointID: "local", ProcessID: process, Status: ogcapi.StatusRunning, RemoteID: process})
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	end := func(j store.Job, status string, at time.Time) {
		if _, err := st.RecordStatus(ctx, j.ID, ogcapi.StatusInfo{Status: status}, at); err != nil {
			t.Fatal(err)
		}
	}

	j := newJob("countdown")
	if _, ok := a.ended(ctx, seen, jobs.Change{JobID: j.ID, Status: ogcapi.StatusRunning}); ok {
		t.Error("a running job notified")
	}
	end(j, ogcapi.StatusSuccessful, time.Now())
	n, ok := a.ended(ctx, seen, jobs.Change{JobID: j.ID, Status: ogcapi.StatusSuccessful})
	if !ok || n.Title != "Job finished: countdown" || n.URL != "/jobs/"+j.ID {
		t.Errorf("the end: %v %+v", ok, n)
	}
	if _, ok := a.ended(ctx, seen, jobs.Change{JobID: j.ID, Status: ogcapi.StatusSuccessful, Results: true}); ok {
		t.Error("notified twice")
	}

	// First seen ended: notified only when it ended just now.
	old, recent := newJob("old"), newJob("recent")
	end(old, ogcapi.StatusFailed, time.Now().Add(-time.Hour))
	end(recent, ogcapi.StatusFailed, time.Now())
	if _, ok := a.ended(ctx, seen, jobs.Change{JobID: old.ID, Status: ogcapi.StatusFailed}); ok {
		t.Error("a job that ended an hour ago notified")
	}
	if n, ok := a.ended(ctx, seen, jobs.Change{JobID: recent.ID, Status: ogcapi.StatusFailed}); !ok || n.Title != "Job failed: recent" {
		t.Errorf("a job that just ended: %v %+v", ok, n)
	}

	// Notifications off.
	if err := prefs.SetJobNotifications(ctx, st, false); err != nil {
		t.Fatal(err)
	}
	quiet := newJob("quiet")
	a.ended(ctx, seen, jobs.Change{JobID: quiet.ID, Status: ogcapi.StatusRunning})
	end(quiet, ogcapi.StatusFailed, time.Now())
	if _, ok := a.ended(ctx, seen, jobs.Change{JobID: quiet.ID, Status: ogcapi.StatusFailed}); ok {
		t.Error("notified with notifications off")
	}
}
