package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// JobLister is what the watcher needs of backend/store.
type JobLister interface {
	ListJobs(ctx context.Context, f store.Filter) (store.Page, error)
}

// Notice is a job that ended, for a desktop notification.
type Notice struct {
	JobID   string
	Title   string
	Body    string
	Success bool
}

// NoticeFor describes a job that reached a terminal status.
func NoticeFor(j store.Job) Notice {
	n := Notice{JobID: j.ID, Success: j.Status == ogcapi.StatusSuccessful}
	switch j.Status {
	case ogcapi.StatusSuccessful:
		n.Title = "Job finished: " + j.ProcessID
	case ogcapi.StatusFailed:
		n.Title = "Job failed: " + j.ProcessID
	default:
		n.Title = "Job " + j.Status + ": " + j.ProcessID
	}
	n.Body = fmt.Sprintf("on %s", j.EndpointID)
	switch {
	case j.Error != "":
		n.Body += " — " + truncate(j.Error, 160)
	case j.Message != "":
		n.Body += " — " + truncate(j.Message, 160)
	}
	return n
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// JobWatcher reports jobs that end while the app runs. It reads the store, so it sees
// every job the monitor tracks whatever path changed it; jobs already ended when it
// starts are not reported.
type JobWatcher struct {
	Jobs     JobLister
	Interval time.Duration // default 2 s
	Notify   func(Notice)
	Logger   *slog.Logger

	seen map[string]string // job id → last status
}

// Scan compares the most recent jobs with the last scan and reports those that became
// terminal. The first scan only records.
func (w *JobWatcher) Scan(ctx context.Context) error {
	p, err := w.Jobs.ListJobs(ctx, store.Filter{Limit: 200})
	if err != nil {
		return err
	}
	first := w.seen == nil
	if first {
		w.seen = make(map[string]string, len(p.Jobs))
	}
	for _, j := range p.Jobs {
		prev, known := w.seen[j.ID]
		w.seen[j.ID] = j.Status
		if first || !ogcapi.Terminal(j.Status) || (known && ogcapi.Terminal(prev)) {
			continue
		}
		if j.Hidden.IsZero() && w.Notify != nil {
			w.Notify(NoticeFor(j))
		}
	}
	return nil
}

// Run scans until ctx ends.
func (w *JobWatcher) Run(ctx context.Context) {
	iv := w.Interval
	if iv <= 0 {
		iv = 2 * time.Second
	}
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		if err := w.Scan(ctx); err != nil && ctx.Err() == nil {
			log.Warn("job watcher", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
