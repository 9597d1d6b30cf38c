package endpoints

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/store"
)

// countingStore is the real store, counting the reads and the writes the registry
// makes of it.
type countingStore struct {
	*store.Store
	reads, writes atomic.Int64
}

func (s *countingStore) Endpoint(ctx context.Context, id string) (store.Endpoint, error) {
	s.reads.Add(1)
	return s.Store.Endpoint(ctx, id)
}

func (s *countingStore) Endpoints(ctx context.Context) ([]store.Endpoint, error) {
	s.reads.Add(1)
	return s.Store.Endpoints(ctx)
}

func (s *countingStore) Setting(ctx context.Context, key string) (string, bool, error) {
	s.reads.Add(1)
	return s.Store.Setting(ctx, key)
}

func (s *countingStore) Settings(ctx context.Context) (map[string]string, error) {
	s.reads.Add(1)
	return s.Store.Settings(ctx)
}

func (s *countingStore) SetSetting(ctx context.Context, key, value string) error {
	if strings.HasPrefix(key, healthPrefix) {
		s.writes.Add(1)
	}
	return s.Store.SetSetting(ctx, key, value)
}

var _ EndpointStore = (*countingStore)(nil)

// The health is the registry's, in memory: a request to an endpoint reads nothing
// from the store (it did one settings read each, session 5), and writes it only when
// the outcome changes; the list reads memory too.
func TestHealthReadsNoStoreOnRequests(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cs := &countingStore{Store: st}
	reg, err := New(Options{Store: cs, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"processes":[],"links":[]}`))
	}))
	ep, err := reg.CreateEndpoint(ctx, EndpointInput{Title: "used", URL: url()})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := reg.Client(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	reads := cs.reads.Load()
	const n = 50
	for range n {
		if _, err := cl.Processes(ctx); err != nil {
			t.Fatal(err)
		}
		if h, ok := reg.Health(ctx, ep.ID); !ok || !h.OK {
			t.Fatalf("health after a process list: %+v %v", h, ok)
		}
	}
	if got := cs.reads.Load() - reads; got != 0 {
		t.Errorf("%d requests and health reads read the store %d times, want 0", n, got)
	}
	if got := cs.writes.Load(); got != 1 {
		t.Errorf("%d requests with the same outcome wrote the health %d times, want 1", n, got)
	}
}

// The health outlives the registry: a new one over the same database (the app
// started again) has what the last one recorded, and a deleted endpoint's is gone.
func TestHealthSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	page := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	ep, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "down", URL: page()})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "gone", URL: page()})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{store.LocalEndpoint, ep.ID, gone.ID} {
		if _, err := e.cat.Test(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.cat.DeleteEndpoint(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	again, err := New(Options{Store: e.st, LocalURL: e.local.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{store.LocalEndpoint, ep.ID} {
		was, _ := e.cat.Health(ctx, id)
		if now, ok := again.Health(ctx, id); !ok || now != was {
			t.Errorf("%s: health after a restart %+v %v, want %+v", id, now, ok, was)
		}
	}
	if h, ok := again.Health(ctx, gone.ID); ok {
		t.Errorf("a deleted endpoint's health came back: %+v", h)
	}
	if h, _ := again.Health(ctx, ep.ID); h.OK || h.Status != http.StatusUnauthorized {
		t.Errorf("the failing endpoint's health: %+v", h)
	}
}

// Requests ending together, with outcomes that keep changing: the store ends with
// the health the registry holds (a restart shows what the list showed last).
func TestHealthStoreFollowsMemoryUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var n atomic.Int64
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"type":"about:blank","title":"Unauthorized"}`))
			return
		}
		_, _ = w.Write([]byte(`{"processes":[],"links":[]}`))
	}))
	ep, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "flapping", URL: url()})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := e.cat.Client(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 25 {
				_, _ = cl.Processes(ctx)
			}
		})
	}
	wg.Wait()
	mem, ok := e.cat.Health(ctx, ep.ID)
	again, err := New(Options{Store: e.st, LocalURL: e.local.URL})
	if err != nil {
		t.Fatal(err)
	}
	if stored, _ := again.Health(ctx, ep.ID); !ok || stored != mem {
		t.Errorf("stored health %+v, in memory %+v", stored, mem)
	}
}
