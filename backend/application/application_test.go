package application

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// start builds the application behind a real Guard on a loopback port, serving only
// its built-in endpoint (the web front is frontend/webapp's), and runs it until the
// test ends.
func start(t *testing.T) *App {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	srv, err := server.Listen("127.0.0.1:0", "", log)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Options{DataDir: t.TempDir(), LocalFs: afero.NewMemMapFs(), BaseURL: srv.BaseURL(), Token: srv.Guard.Token, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(LocalPrefix+"/", http.StripPrefix(LocalPrefix, a.Local.Handler()))
	ctx, cancel := context.WithCancel(context.Background())
	served, ran := make(chan struct{}), make(chan error, 1)
	go func() { defer close(served); _ = srv.Serve(ctx, mux) }()
	go func() { ran <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-served
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := a.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return a
}

// waitEnd reads job changes until the job ends and returns its last change.
func waitEnd(t *testing.T, q interface {
	Ready() <-chan struct{}
	Take() []jobs.Change
}, id string) jobs.Change {
	t.Helper()
	timeout := time.After(waitfor.Guard)
	for {
		select {
		case <-q.Ready():
			for _, c := range q.Take() {
				if c.JobID == id && ogcapi.Terminal(c.Status) && c.Results {
					return c
				}
			}
		case <-timeout:
			t.Fatalf("job %s: no change saying it ended", id)
		}
	}
}

// TestJobsThroughTheApplication: a job submitted to the built-in endpoint through the
// application's monitor is told to JobChanges subscribers until it ends, its end to
// Endings subscribers, its results become STAC, and Jobs.Rerun submits its stored
// request again as a new job.
func TestJobsThroughTheApplication(t *testing.T) {
	a := start(t)
	ctx := context.Background()
	changes, endings := a.JobChanges(), a.Endings()
	defer changes.Close()
	defer endings.Close()
	req := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage("0.3"), "step": json.RawMessage("0.1")}}
	j, err := a.Monitor.Submit(ctx, jobs.Submission{EndpointID: store.LocalEndpoint, ProcessID: "countdown", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	if c := waitEnd(t, changes, j.ID); c.Status != ogcapi.StatusSuccessful {
		t.Fatalf("job ended %s: %s", c.Status, c.Error)
	}
	// Its end is told to Endings subscribers (the notifications).
	select {
	case <-endings.Ready():
		if ns := endings.Take(); len(ns) != 1 || ns[0].JobID != j.ID || ns[0].Status != ogcapi.StatusSuccessful {
			t.Errorf("endings %+v", ns)
		}
	case <-time.After(waitfor.Guard):
		t.Fatal("no notification of the job's end")
	}
	// The results service made the STAC from the outputs the change carried.
	ic, err := a.Results.Items(ctx, j.ID)
	if err != nil || ic == nil {
		t.Fatalf("no STAC for the job: %v", err)
	}

	j, err = a.Store.Job(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	id, err := a.Jobs.Rerun(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if c := waitEnd(t, changes, id); c.Status != ogcapi.StatusSuccessful {
		t.Fatalf("re-run ended %s: %s", c.Status, c.Error)
	}
	rj, err := a.Store.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rj.RerunOf != j.ID || string(rj.Request) != string(j.Request) || rj.ID == j.ID {
		t.Errorf("re-run %s: rerun of %q (want %s), request %s (want %s)", rj.ID, rj.RerunOf, j.ID, rj.Request, j.Request)
	}
}

// New refuses options without a data folder, base URL or token.
func TestNewNeedsOptions(t *testing.T) {
	if _, err := New(Options{DataDir: t.TempDir(), BaseURL: "http://127.0.0.1:1/"}); err == nil {
		t.Error("New without a token succeeded")
	}
}
