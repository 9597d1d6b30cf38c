package webapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// A job on the built-in endpoint keeps being tracked to its end when the app restarts
// on another port: the stored job URL moves with the endpoint.
func TestLocalJobSurvivesAPortChange(t *testing.T) {
	dir, fs := t.TempDir(), afero.NewMemMapFs()
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()

	// First run: submit a countdown, then stop the app while it runs.
	srv1, err := server.Listen("127.0.0.1:0", "", log)
	if err != nil {
		t.Fatal(err)
	}
	app1, err := build(application.Options{DataDir: dir, LocalFs: fs, BaseURL: srv1.BaseURL(), Token: srv1.Guard.Token, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { defer close(served); _ = srv1.Serve(sctx, app1.Handler) }()
	p, err := app1.Processes.Process(ctx, "local", "countdown")
	if err != nil {
		t.Fatal(err)
	}
	job, err := app1.Monitor.Submit(ctx, jobs.Submission{EndpointID: "local", ProcessID: "countdown", Process: p,
		Request: &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage("2"), "step": json.RawMessage("0.25")}}})
	if err != nil {
		t.Fatal(err)
	}
	oldURL := job.URL
	stop()
	<-served
	if err := app1.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// Second run on another port.
	srv2, err := server.Listen("127.0.0.1:0", "", log)
	if err != nil {
		t.Fatal(err)
	}
	if srv2.BaseURL() == srv1.BaseURL() {
		t.Fatal("the system gave the same free port twice in a row: the test's premise (a new port) does not hold")
	}
	app2, err := build(application.Options{DataDir: dir, LocalFs: fs, BaseURL: srv2.BaseURL(), Token: srv2.Guard.Token, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = srv2.Serve(rctx, app2.Handler) }()
	go func() { _ = app2.Run(rctx) }()
	defer app2.Close(ctx)

	deadline := time.Now().Add(waitfor.Guard)
	for {
		j, err := app2.Store.Job(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == ogcapi.StatusSuccessful {
			if strings.HasPrefix(j.URL, srv1.BaseURL()) || !strings.HasPrefix(j.URL, srv2.BaseURL()) || j.URL == oldURL {
				t.Fatalf("job URL %q was not moved to %s", j.URL, srv2.BaseURL())
			}
			return
		}
		if !j.Lost.IsZero() || time.Now().After(deadline) {
			t.Fatalf("job ended as %q (unreachable since %v) instead of successful", j.Status, j.UnreachableSince)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
