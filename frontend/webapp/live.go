package webapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/joblog"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
)

// Live updates in the app: the monitor tells jobspage.Live what changed, Live renders
// the fragments and hands them to the hub, and the hub pushes them to the pages that
// subscribed (GET /ws, behind the Guard, whose Origin check the upgrader repeats).

// Notifier shows native notifications when jobs end (the desktop shell's); the
// browser's own notifications need no Notifier.
type Notifier = jobspage.Notifier

// Notification is what a Notifier is told.
type Notification = jobspage.Notification

// buildLive creates the hub and the live renderer; the monitor's changes go to Live.
func (a *App) buildLive(opts Options, log *slog.Logger) error {
	check := opts.OriginAllowed
	if check == nil {
		u, err := url.Parse(opts.BaseURL)
		if err != nil {
			return fmt.Errorf("webapp: base URL: %w", err)
		}
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			return fmt.Errorf("webapp: base URL %s has no port", opts.BaseURL)
		}
		check = (&server.Guard{Port: port}).OriginAllowed
	}
	a.live = jobspage.NewLive(a.Store, nil, opts.Notifier, log.With("component", "live"))
	h, err := hub.New(hub.Config{CheckOrigin: check, Snapshot: a.snapshot, Logger: log.With("component", "hub")})
	if err != nil {
		return err
	}
	a.Hub = h
	a.live.SetPublisher(h)
	return nil
}

// snapshot is the hub's Snapshot: the current state of a topic for a page that
// subscribes (or reconnects), so it need not wait for the next change. Download
// panels come from the download manager, everything else from the live renderer.
func (a *App) snapshot(ctx context.Context, topic string) ([]hub.Message, error) {
	if id, ok := strings.CutPrefix(topic, resultspage.TopicDownloads+":"); ok {
		return a.downloadsSnapshot(ctx, id)
	}
	if id, ok := strings.CutPrefix(topic, resultspage.TopicExports+":"); ok {
		return a.exportsSnapshot(ctx, id)
	}
	return a.live.Snapshot(ctx, topic)
}

// jobsDeps are the job pages' dependencies.
// Logs are read through the endpoints' clients, with their credentials (the built-in
// endpoint's token, the keystore's keys), which go to the endpoint's own origin only.
func (a *App) jobsDeps(log *slog.Logger) jobspage.Deps {
	logs := &joblog.Source{
		ClientFor: func(id string) (joblog.Remote, error) { return a.Endpoints.Client(context.Background(), id) },
	}
	return jobspage.Deps{Store: a.Store, Monitor: jobActions{a}, Endpoints: a.Endpoints, Logs: logs, Logger: log}
}

// runLive runs the hub and the live renderer until ctx ends.
func (a *App) runLive(ctx context.Context) func() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = a.Hub.Run(ctx) }()
	go func() { defer wg.Done(); _ = a.live.Run(ctx) }()
	return wg.Wait
}

// jobActions are the job pages' actions: the monitor's, and re-run, which needs the
// process description from the endpoint.
type jobActions struct{ a *App }

func (j jobActions) Dismiss(ctx context.Context, id string) error {
	return j.a.Monitor.Dismiss(ctx, id)
}
func (j jobActions) Import(ctx context.Context, endpointID string) (int, error) {
	return j.a.Monitor.Import(ctx, endpointID)
}
func (j jobActions) PollNow(ctx context.Context, id string) error {
	return j.a.Monitor.PollNow(ctx, id)
}

// Rerun submits job's stored request again, as a new job that records what it re-runs.
func (j jobActions) Rerun(ctx context.Context, job store.Job) (string, error) {
	var ex ogcapi.Execute
	if err := json.Unmarshal(job.Request, &ex); err != nil {
		return "", fmt.Errorf("%w: the stored request is not an execute request", store.ErrInvalid)
	}
	p, err := j.a.Processes.Process(ctx, job.EndpointID, job.ProcessID)
	if err != nil {
		return "", err
	}
	desc, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	nj, err := j.a.Monitor.Submit(ctx, jobs.Submission{EndpointID: job.EndpointID, ProcessID: job.ProcessID, Process: p,
		Description: desc, Request: &ex, AOI: job.AOI, RerunOf: job.ID})
	if nj.ID == "" && err == nil {
		err = errors.New("webapp: re-run: no job was stored")
	}
	return nj.ID, err
}
