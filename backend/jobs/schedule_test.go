package jobs

import (
	"container/heap"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// busyError is an Unavailable answer that carries the server's Retry-After, the way
// an error of the OGC client may.
type busyError struct{ after time.Duration }

func (e busyError) Error() string             { return "503 unavailable" }
func (e busyError) RetryAfter() time.Duration { return e.after }
func (e busyError) Unwrap() error             { return &ogcapi.APIError{Status: 503, Code: ogcapi.Unavailable} }

func TestIntervals(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := New(Config{Store: st, ClientFor: func(context.Context, string) (Remote, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := st.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "p", RemoteID: "r", Status: ogcapi.StatusRunning})
	if err != nil {
		t.Fatal(err)
	}
	s := snapshotOf(j, time.Second)

	// Failures back off ×1.5 up to the cap; a Retry-After beyond the interval wins.
	o := m.unreachable(ctx, s, "down", &ogcapi.APIError{Code: ogcapi.Unavailable})
	if o.next != 1500*time.Millisecond || !o.snap.unreachable {
		t.Fatalf("after a failure: next %s, unreachable %v", o.next, o.snap.unreachable)
	}
	o = m.unreachable(ctx, o.snap, "busy", busyError{after: 20 * time.Second})
	if o.next != 20*time.Second || o.snap.interval != 2250*time.Millisecond {
		t.Fatalf("Retry-After 20 s: next %s, interval %s", o.next, o.snap.interval)
	}
	for i := 0; i < 20; i++ {
		o = m.unreachable(ctx, o.snap, "down", &ogcapi.APIError{Code: ogcapi.Unavailable})
	}
	if o.next != 30*time.Second {
		t.Fatalf("capped interval %s; want 30 s", o.next)
	}
	got, _ := st.Job(ctx, j.ID)
	if got.UnreachableSince.IsZero() || got.Status != ogcapi.StatusRunning || !got.Open() {
		t.Fatalf("unreachable job %+v: must stay running and tracked", got)
	}
	evs, _ := st.Events(ctx, j.ID)
	if n := len(evs); n != 2 || evs[1].Kind != store.EventUnreachable {
		t.Fatalf("events %+v; want one unreachable event for 22 failures", evs)
	}
}

func TestPredictEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := snapshot{progress: -1}
	if eta := s.predictEnd(10, t0, time.Second); eta != 0 {
		t.Fatalf("first reading predicted %s", eta)
	}
	s.progress = 10
	// 10 % → 30 % in 4 s: 200 ms per percent, 70 % to go.
	if eta := s.predictEnd(30, t0.Add(4*time.Second), time.Second); eta != 14*time.Second {
		t.Fatalf("eta %s; want 14 s", eta)
	}
	s.progress = 30
	// Unchanged a second later: 13 s to go.
	if eta := s.predictEnd(30, t0.Add(5*time.Second), time.Second); eta != 13*time.Second {
		t.Fatalf("eta %s; want 13 s", eta)
	}
	if !s.progressAt.Equal(t0.Add(4 * time.Second)) {
		t.Fatalf("progress time moved without progress: %s", s.progressAt)
	}
	// Past the predicted end: look again soon, not at MaxInterval.
	if eta := s.predictEnd(30, t0.Add(time.Minute), 3*time.Second); eta != 3*time.Second {
		t.Fatalf("overdue eta %s; want 3 s", eta)
	}
}

func TestSlowPollsSpreadUnderMaxRate(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, _ := New(Config{Store: st, ClientFor: func(context.Context, string) (Remote, error) { return nil, nil }, MaxRate: 25})
	l := &loop{m: m, jobs: map[string]*tracked{}, endpoints: map[string]*endpointQueue{}, polled: map[string]time.Time{}}
	for i := 0; i < 500; i++ {
		id := fmt.Sprint("job-", i)
		l.jobs[id] = &tracked{snap: snapshot{id: id, endpoint: "e", progress: -1}, index: -1}
	}
	due := func(o outcome) time.Duration {
		t.Helper()
		tr := l.jobs[o.snap.id]
		tr.inflight = true
		l.endpoints["e"] = &endpointQueue{inflight: 1}
		l.inflight = 1
		before := time.Now()
		l.finish(report{endpoint: "e", outcomes: []outcome{o}})
		heap.Remove(&l.heap, tr.index)
		return tr.due.Sub(before)
	}
	// 500 jobs at 25 requests/s: slow polls every 20 s (±10 % jitter).
	if d := due(outcome{snap: l.jobs["job-1"].snap, next: time.Second}); d < 17*time.Second || d > 23*time.Second {
		t.Fatalf("slow poll in %s; want about 20 s", d)
	}
	// A status change is not stretched.
	if d := due(outcome{snap: l.jobs["job-2"].snap, next: time.Second, fast: true}); d > 2*time.Second {
		t.Fatalf("fast poll in %s", d)
	}
	// A job predicted to end in 3 s is looked at then.
	if d := due(outcome{snap: l.jobs["job-3"].snap, next: time.Second, eta: 3 * time.Second}); d < 2*time.Second || d > 4*time.Second {
		t.Fatalf("poll at predicted end in %s; want about 3 s", d)
	}
	// Spreading never goes past MaxInterval.
	for i := 500; i < 2000; i++ {
		id := fmt.Sprint("job-", i)
		l.jobs[id] = &tracked{snap: snapshot{id: id, endpoint: "e"}, index: -1}
	}
	if d := due(outcome{snap: l.jobs["job-4"].snap, next: time.Second}); d > 34*time.Second {
		t.Fatalf("slow poll in %s; want at most MaxInterval (30 s) + jitter", d)
	}
}
