package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// app is the store, the job monitor and the batch engine, as the application runs them.
type app struct {
	t       *testing.T
	st      *store.Store
	eng     *Engine
	changed chan struct{}
	cancel  context.CancelFunc
	done    chan error
}

func startApp(t *testing.T, dbPath, endpointURL string) *app {
	t.Helper()
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Endpoint(ctx, "ep"); errors.Is(err, store.ErrNotFound) {
		if _, err := st.CreateEndpoint(ctx, store.Endpoint{ID: "ep", Title: "Built-in behind a counter", URL: endpointURL}); err != nil {
			t.Fatal(err)
		}
	}
	client, err := ogcapi.New(endpointURL, ogcapi.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	a := &app{t: t, st: st, changed: make(chan struct{}, 1), done: make(chan error, 2)}
	signal := func() {
		select {
		case a.changed <- struct{}{}:
		default:
		}
	}
	var eng *Engine
	mon, err := jobs.New(jobs.Config{Store: st, ClientFor: func(context.Context, string) (jobs.Remote, error) { return client, nil },
		OnChange:     func(jobs.Change) { eng.Notify(); signal() },
		FastInterval: 30 * time.Millisecond, MaxInterval: 100 * time.Millisecond, ProgressInterval: 100 * time.Millisecond,
		MaxRate: 1000, PerEndpoint: 8})
	if err != nil {
		t.Fatal(err)
	}
	eng = New(st, mon, nil)
	eng.OnChange = func(string) { signal() }
	a.eng = eng
	ctx, a.cancel = context.WithCancel(ctx)
	go func() { a.done <- mon.Run(ctx) }()
	go func() { a.done <- eng.Run(ctx) }()
	return a
}

func (a *app) stop() {
	a.cancel()
	for range 2 {
		if err := <-a.done; !errors.Is(err, context.Canceled) {
			a.t.Errorf("stopped with %v", err)
		}
	}
	if err := a.st.Close(); err != nil {
		a.t.Error(err)
	}
}

// waitFor waits, woken by every change, until cond holds for the batch.
func (a *app) waitFor(id string, cond func(store.BatchCounts) bool) store.BatchCounts {
	a.t.Helper()
	deadline := time.After(waitfor.Guard)
	for {
		b, err := a.st.Batch(context.Background(), id)
		if err != nil {
			a.t.Fatal(err)
		}
		if cond(b.Counts) {
			return b.Counts
		}
		select {
		case <-a.changed:
		case <-deadline:
			a.t.Fatalf("batch counts stuck at %+v", b.Counts)
		}
	}
}

func countdowns(n int) []store.NewBatchMember {
	ms := make([]store.NewBatchMember, n)
	for i := range ms {
		ms[i] = store.NewBatchMember{Line: i + 1, Label: fmt.Sprintf("countdown %d", i+1),
			Inputs: json.RawMessage(fmt.Sprintf(`{"seconds": %v}`, 0.05*float64(i%3+1)))}
	}
	return ms
}

var base = &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage("1"), "step": json.RawMessage("0.05")}}

// 50 countdowns with a limit of 4: never more than 4 jobs in flight, all succeed, the
// job list shows none of them (the batch is the one row), one merged ItemCollection.
func TestBatchOf50WithLimit4(t *testing.T) {
	srv, count := localeptest.StartCounted(t, localep.Options{MaxConcurrent: 16})
	a := startApp(t, filepath.Join(t.TempDir(), "geojobs.db"), srv.URL)
	defer a.stop()
	ctx := context.Background()
	if err := a.eng.SetLimit(ctx, "ep", 4); err != nil {
		t.Fatal(err)
	}
	b, err := a.eng.Create(ctx, "ep", "countdown", "50 countdowns", "sweep", base, countdowns(50))
	if err != nil {
		t.Fatal(err)
	}
	c := a.waitFor(b.ID, func(c store.BatchCounts) bool { return c.Done() })
	if c.Succeeded != 50 || c.Total != 50 {
		t.Fatalf("counts %+v", c)
	}
	if most, created := count.Max(); created != 50 || most > 4 || most < 2 {
		t.Errorf("%d jobs created, at most %d in flight; want 50 and 2..4", created, most)
	}
	page, _ := a.st.ListJobs(ctx, store.Filter{})
	all, _ := a.st.ListJobs(ctx, store.Filter{WithBatchMembers: true, Limit: 100})
	if len(page.Jobs) != 0 || len(all.Jobs) != 50 {
		t.Errorf("job list shows %d jobs, %d with members", len(page.Jobs), len(all.Jobs))
	}
	members, _ := a.st.BatchMembers(ctx, b.ID)
	for _, m := range members {
		j, err := a.st.Job(ctx, m.JobID)
		if err != nil || !strings.Contains(string(j.Request), fmt.Sprintf(`"seconds":%v`, 0.05*float64((m.Line-1)%3+1))) || !strings.Contains(string(j.Request), `"step":0.05`) {
			t.Fatalf("member %d: job request %s (%v)", m.Line, j.Request, err)
		}
	}
}

// A batch survives a restart half-way: members submitted before are followed, the rest
// submitted after, none twice.
func TestBatchSurvivesRestart(t *testing.T) {
	srv, count := localeptest.StartCounted(t, localep.Options{MaxConcurrent: 16})
	db := filepath.Join(t.TempDir(), "geojobs.db")
	a := startApp(t, db, srv.URL)
	ctx := context.Background()
	b, err := a.eng.Create(ctx, "ep", "countdown", "", "sweep", base, countdowns(30))
	if err != nil {
		t.Fatal(err)
	}
	half := a.waitFor(b.ID, func(c store.BatchCounts) bool { return c.Succeeded >= 12 })
	a.stop()
	if half.Done() {
		t.Fatalf("the batch ended before the restart: %+v", half)
	}
	a = startApp(t, db, srv.URL)
	defer a.stop()
	c := a.waitFor(b.ID, func(c store.BatchCounts) bool { return c.Done() })
	if c.Succeeded != 30 {
		t.Fatalf("after the restart: %+v", c)
	}
	if _, created := count.Max(); created != 30 {
		t.Errorf("%d jobs created for 30 members", created)
	}
}

// A server answering 429 with Retry-After: the members wait and are sent again; no
// member fails, no refused job stays in the store.
func TestBatchHonours429(t *testing.T) {
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 16})
	target, _ := url.Parse(ep.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var refused atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/execution") && refused.Add(1) <= 3 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	a := startApp(t, filepath.Join(t.TempDir(), "geojobs.db"), front.URL)
	defer a.stop()
	ctx := context.Background()
	b, err := a.eng.Create(ctx, "ep", "countdown", "", "sweep", base, countdowns(6))
	if err != nil {
		t.Fatal(err)
	}
	c := a.waitFor(b.ID, func(c store.BatchCounts) bool { return c.Done() })
	if c.Succeeded != 6 || refused.Load() < 4 {
		t.Fatalf("counts %+v after %d execute requests", c, refused.Load())
	}
	all, _ := a.st.ListJobs(ctx, store.Filter{WithBatchMembers: true, WithHidden: true, Limit: 100})
	if len(all.Jobs) != 6 {
		t.Errorf("%d jobs stored for 6 members", len(all.Jobs))
	}
	members, _ := a.st.BatchMembers(ctx, b.ID)
	retried := 0
	for _, m := range members {
		if m.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Errorf("no member was sent twice")
	}
}
