package webapp

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// resultsCounter counts the GET /jobs/{id}/results requests the built-in endpoint gets.
type resultsCounter struct {
	mu sync.Mutex
	n  map[string]int // by server job id
}

func (c *resultsCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, application.LocalPrefix+"/jobs/")
		if id, ok2 := strings.CutSuffix(rest, "/results"); ok && ok2 && r.Method == http.MethodGet && !strings.Contains(id, "/") {
			c.mu.Lock()
			c.n[id]++
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (c *resultsCounter) get(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[id]
}

// TestResultsFetchedOnce: a successful job's results are asked of the server once; the
// monitor stores them and hands them to the results service, which makes the STAC
// from them (and the results page reads the stored STAC).
func TestResultsFetchedOnce(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	srv, err := server.Listen("127.0.0.1:0", "", log)
	if err != nil {
		t.Fatal(err)
	}
	app, err := build(application.Options{DataDir: t.TempDir(), LocalFs: afero.NewMemMapFs(), BaseURL: srv.BaseURL(),
		Token: srv.Guard.Token, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	counter := &resultsCounter{n: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	served, ran := make(chan struct{}), make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ctx, counter.wrap(app.Handler)) }()
	go func() { defer close(ran); _ = app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-served
		<-ran
		_ = app.Close(context.Background())
	})
	s := &stack{t: t, srv: srv, app: app, base: strings.TrimSuffix(srv.BaseURL(), "/"), token: srv.Guard.Token,
		hc: &http.Client{Timeout: 30 * time.Second}}

	for _, run := range []struct {
		process string
		inputs  map[string]any
	}{
		{"echo", map[string]any{"stringInput": "once"}},
		{"synthetic-scene", map[string]any{"aoi": map[string]any{"bbox": []float64{6.0, 45.9, 6.6, 46.3}}, "size": 64}},
	} {
		j := s.submitLocal(run.process, run.inputs)
		j = s.waitJob(j.ID, ended)
		if j.Status != "successful" || j.RemoteID == "" {
			t.Fatalf("%s: %s (%s)", run.process, j.Status, j.Error)
		}
		// The STAC is stored in the background once the results are in.
		deadline := time.Now().Add(waitfor.Guard)
		for {
			items, _, err := app.Store.Items(context.Background(), j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if items != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no STAC stored", run.process)
			}
			time.Sleep(20 * time.Millisecond)
		}
		expect(t, s.get("/jobs/"+j.ID+"/results"), http.StatusOK)
		if n := counter.get(j.RemoteID); n != 1 {
			t.Errorf("%s: the built-in endpoint got %d GET /jobs/%s/results, want 1", run.process, n, j.RemoteID)
		}
	}
}
