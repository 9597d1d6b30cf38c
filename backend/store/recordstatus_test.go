package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// TestRecordStatusChanges covers the one-statement status write: the first start and
// end times are kept, progress may go away, a message may be emptied, and an unknown
// job is ErrNotFound.
func TestRecordStatusChanges(t *testing.T) {
	s, ctx := openTemp(t), context.Background()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	j, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "countdown", RemoteID: "r-1",
		Status: ogcapi.StatusAccepted, Origin: OriginImported, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	started, later, finished := t0.Add(time.Second), t0.Add(5*time.Second), t0.Add(9*time.Second)
	steps := []struct {
		st      ogcapi.StatusInfo
		changed bool
	}{
		{ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(10), Message: "a", Started: &started}, true},
		{ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(10), Message: "a", Started: &later}, false},
		{ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(20), Message: "a", Started: &later}, true},
		{ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: nil, Message: "a"}, true},
		{ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: nil, Message: ""}, true},
		{ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(250), Message: ""}, true}, // clamped to 100
		{ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(100), Message: ""}, false},
		{ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful, Progress: intp(100), Finished: &finished}, true},
		{ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful, Progress: intp(100), Message: "again", Finished: &later}, true},
	}
	at := t0.Add(2 * time.Second)
	for i, step := range steps {
		changed, err := s.RecordStatus(ctx, j.ID, step.st, at)
		if err != nil || changed != step.changed {
			t.Fatalf("step %d: changed %v, %v; want %v", i, changed, err, step.changed)
		}
		got, _ := s.Job(ctx, j.ID)
		if !got.Started.Equal(started) || !got.LastPolled.Equal(at) {
			t.Fatalf("step %d: started %v, last polled %v; want %v, %v", i, got.Started, got.LastPolled, started, at)
		}
		if i == 4 && (got.Progress != nil || got.Message != "") {
			t.Fatalf("step %d: progress %v, message %q; want none", i, got.Progress, got.Message)
		}
		if i == 5 && (got.Progress == nil || *got.Progress != 100) {
			t.Fatalf("step %d: progress %v; want 100", i, got.Progress)
		}
		at = at.Add(time.Second)
	}
	got, _ := s.Job(ctx, j.ID)
	if !got.Finished.Equal(finished) || got.Message != "again" {
		t.Fatalf("finished %v, message %q; want %v, again", got.Finished, got.Message, finished)
	}
	evs, _ := s.Events(ctx, j.ID)
	if n := len(evs); n != 1+7 { // created, then one per change
		t.Fatalf("%d events; want 8: %+v", n, evs)
	}
	if _, err := s.RecordStatus(ctx, "missing", ogcapi.StatusInfo{Status: ogcapi.StatusRunning}, at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
}

// TestRecordStatusesOneTransaction stores the statuses of a poll round together: an
// unknown job or an empty status fails alone, the others are stored with their events.
func TestRecordStatusesOneTransaction(t *testing.T) {
	s, ctx := openTemp(t), context.Background()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var ids []string
	for i := 0; i < 3; i++ {
		j, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "countdown", RemoteID: "r-" + string(rune('a'+i)),
			Status: ogcapi.StatusAccepted, Origin: OriginImported, At: t0})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	at := t0.Add(time.Second)
	changed, errs := s.RecordStatuses(ctx, []StatusUpdate{
		{JobID: ids[0], Status: ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(5)}, At: at},
		{JobID: "missing", Status: ogcapi.StatusInfo{Status: ogcapi.StatusRunning}, At: at},
		{JobID: ids[1], Status: ogcapi.StatusInfo{Status: ogcapi.StatusAccepted}, At: at}, // unchanged
		{JobID: ids[2], Status: ogcapi.StatusInfo{Status: ""}, At: at},
		{JobID: ids[2], Status: ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful, Progress: intp(100)}, At: at},
	})
	want := []bool{true, false, false, false, true}
	for i := range want {
		if changed[i] != want[i] {
			t.Fatalf("update %d: changed %v; want %v (%v)", i, changed[i], want[i], errs[i])
		}
	}
	if errs[0] != nil || !errors.Is(errs[1], ErrNotFound) || errs[2] != nil || !errors.Is(errs[3], ErrInvalid) || errs[4] != nil {
		t.Fatalf("errors %v", errs)
	}
	for i, status := range []string{ogcapi.StatusRunning, ogcapi.StatusAccepted, ogcapi.StatusSuccessful} {
		j, err := s.Job(ctx, ids[i])
		if err != nil || j.Status != status || !j.LastPolled.Equal(at) {
			t.Fatalf("job %d: %+v %v; want %s polled at %v", i, j, err, status, at)
		}
		evs, _ := s.Events(ctx, ids[i])
		if n := len(evs); n != 1+int(map[bool]int{true: 1}[want[[]int{0, 2, 4}[i]]]) {
			t.Fatalf("job %d: %d events: %+v", i, n, evs)
		}
	}
	if err := s.SetResults(ctx, "missing", nil, "", at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("results of an unknown job: %v", err)
	}
}
