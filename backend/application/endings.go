package application

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/events"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/store"
)

// Notification is a job that ended, in words for a notification: the browser's (the
// live pages) or the desktop's (the shell).
type Notification struct {
	JobID, Status string
	Title, Body   string
	// URL is the job's page, relative to the application's root.
	URL string
}

// NotificationOf says how a job ended.
func NotificationOf(j store.Job) Notification {
	n := Notification{JobID: j.ID, Status: j.Status, URL: "/jobs/" + url.PathEscape(j.ID)}
	switch j.Status {
	case ogcapi.StatusSuccessful:
		n.Title = "Job finished: " + j.ProcessID
		n.Body = "It ran successfully on " + j.EndpointID + "."
	case ogcapi.StatusFailed:
		n.Title = "Job failed: " + j.ProcessID
		n.Body = cmp.Or(j.Error, j.Message, "The server reported a failure.")
	default:
		n.Title = "Job " + j.Status + ": " + j.ProcessID
		n.Body = "On " + j.EndpointID + "."
	}
	if len(n.Body) > 200 {
		n.Body = strings.ToValidUTF8(n.Body[:200], "") + "…"
	}
	return n
}

// Endings subscribes to the jobs that end, from now on: one Notification per job
// seen to end while the app runs, none while notifications are turned off
// (prefs.JobNotifications).
func (a *App) Endings() *events.Queue[Notification] { return a.endings.Subscribe() }

// watchEndings tells Endings subscribers of every job that ends, from the monitor's
// changes, until ctx ends.
func (a *App) watchEndings(ctx context.Context) {
	seen := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.endingsIn.Ready():
		}
		for _, c := range a.endingsIn.Take() {
			if n, ok := a.ended(ctx, seen, c); ok {
				a.endings.Publish(n)
			}
		}
	}
}

// ended says whether change c is the end of its job, to be notified: its status was
// seen not terminal before (seen: the last status of each job this run), or, seen for
// the first time, it ended within the last minute (not a job whose end was known
// before a restart); and notifications are on.
func (a *App) ended(ctx context.Context, seen map[string]string, c jobs.Change) (Notification, bool) {
	prev, known := seen[c.JobID]
	seen[c.JobID] = c.Status
	if !ogcapi.Terminal(c.Status) || known && ogcapi.Terminal(prev) {
		return Notification{}, false
	}
	j, err := a.Store.Job(ctx, c.JobID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			a.log.Warn("notifications: read job", "job", c.JobID, "err", err)
		}
		return Notification{}, false
	}
	if !known && (j.Finished.IsZero() || time.Since(j.Finished) > time.Minute) {
		return Notification{}, false
	}
	if !prefs.JobNotifications(ctx, a.Store) {
		return Notification{}, false
	}
	return NotificationOf(j), true
}
