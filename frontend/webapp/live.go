package webapp

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/results"
)

// Live updates: the application's feeds say what changed (jobs, jobs that ended,
// downloads, exports); the pages render the fragments (jobspage.Live for jobs and
// their notices, the results page for downloads and exports, the batch page for its
// jobs' downloads) and hand them to the hub, which pushes them to the pages that
// subscribed (GET /ws, behind the Guard, whose Origin check the upgrader repeats).

// Run pushes live updates until ctx ends.
func (u *UI) Run(ctx context.Context) error {
	defer u.jobChanges.Close()
	defer u.endings.Close()
	defer u.downloads.Close()
	defer u.exports.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = u.Hub.Run(ctx) }()
	go func() { defer wg.Done(); _ = u.live.Run(ctx) }()
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-u.jobChanges.Ready():
			for _, c := range u.jobChanges.Take() {
				u.live.OnChange(c) // marks the job; Live renders it on its own goroutine
			}
		case <-u.endings.Ready():
			for _, n := range u.endings.Take() {
				u.live.Notify(ctx, n) // the browser's notification (app.js)
			}
		case <-u.downloads.Ready():
			ps := latest(u.downloads.Take(), func(p results.JobProgress) string { return p.JobID })
			jobIDs := make([]string, len(ps))
			for i, p := range ps {
				u.results.Progress(ctx, p)
				jobIDs[i] = p.JobID
			}
			u.batches.DownloadProgress(ctx, jobIDs) // a batch's progress sums its members'
		case <-u.exports.Ready():
			for _, p := range latest(u.exports.Take(), func(p export.Progress) string { return p.JobID }) {
				u.results.ExportProgress(ctx, p)
			}
		}
	}
}

// latest keeps the last of the values with the same key, in their order: a panel
// is rendered once for a burst of progress.
func latest[T any](vs []T, key func(T) string) []T {
	last := map[string]int{}
	for i, v := range vs {
		last[key(v)] = i
	}
	out := vs[:0:0]
	for i, v := range vs {
		if last[key(v)] == i {
			out = append(out, v)
		}
	}
	return out
}

// snapshot is the hub's Snapshot: the current state of a topic for a page that
// subscribes (or reconnects), so it need not wait for the next change. The caller's
// own topics give theirs; download and export panels come from the results page,
// everything else from the live renderer.
func (u *UI) snapshot(ctx context.Context, topic string) ([]hub.Message, error) {
	if t, ok := u.topics[topic]; ok {
		if t.Snapshot == nil {
			return nil, nil
		}
		return t.Snapshot(ctx)
	}
	if msgs, ok, err := u.results.Snapshot(ctx, topic); ok {
		return msgs, err
	}
	if msgs, ok, err := u.batches.Snapshot(ctx, topic); ok {
		return msgs, err
	}
	return u.live.Snapshot(ctx, topic)
}

// receive is the hub's Receive: what a page sends goes to the caller's topic that
// takes it; the pages' own topics take nothing.
func (u *UI) receive(ctx context.Context, topic string, data json.RawMessage) {
	if t, ok := u.topics[topic]; ok && t.Receive != nil {
		t.Receive(ctx, data)
	}
}
