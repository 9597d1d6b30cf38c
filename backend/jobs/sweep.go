package jobs

import (
	"context"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// A sweep learns the statuses of many jobs of one endpoint from its job list
// (GET /jobs, following next links) in a few requests instead of one per job. Jobs
// the list does not show are asked about one by one, as are all jobs of a server
// without a usable list; results are always fetched per job.

// sweepItem is one job a sweep looks for; due when its poll is due.
type sweepItem struct {
	snap snapshot
	due  bool
}

// Bounds of one sweep.
const (
	maxListPage   = 1000 // jobs asked for per page (servers may send fewer)
	maxSweepPages = 50
	// noListFor is how long a server whose job list cannot be read (404, an
	// unreadable answer) is asked about its jobs one by one before the list is tried again.
	noListFor = 30 * time.Minute
)

// sweep reads the endpoint's job list until it has seen every item, or the list
// ends, and reports an outcome for every item. A due job the list shows is polled by
// it (its status stored and told, in one transaction for the whole list); a job
// not due yet is only updated when its status changed, so that its transition is
// not noticed late. A job the list does not show is marked missing.
func (m *Monitor) sweep(ctx context.Context, endpoint string, items []sweepItem) report {
	r := report{endpoint: endpoint, sweep: true, outcomes: make([]outcome, len(items))}
	remote, err := m.cfg.ClientFor(ctx, endpoint)
	if err != nil {
		// No client now (a locked keystore, say): the jobs' own requests tell.
		for i, it := range items {
			r.outcomes[i] = outcome{snap: it.snap, missing: true}
		}
		r.noList = m.cfg.MaxInterval
		return r
	}
	found, complete, err := m.readList(ctx, remote, items)
	if found == nil && ctx.Err() != nil {
		for i, it := range items {
			r.outcomes[i] = outcome{snap: it.snap, canceled: true}
		}
		return r
	}
	// What the list showed is stored even if the monitor is stopping (see poll).
	if err != nil && found == nil {
		// The first page failed: ask for each job instead for a while. Where the list
		// is missing or unreadable, that is for long; where the server did not answer,
		// the jobs' own requests note it and back off.
		r.noList = m.cfg.MaxInterval
		switch ogcapi.CodeOf(err) {
		case ogcapi.NotFound, ogcapi.NoSuchJob, ogcapi.BadResponse, ogcapi.InvalidInput, ogcapi.Unknown:
			r.noList = noListFor
		}
		m.log.Info("jobs: job list not used", "endpoint", endpoint, "for", r.noList, "err", err)
	}
	now := time.Now()
	var obs []observation
	var at []int // index in items of obs[k]
	seen := 0
	for i, it := range items {
		js := found[it.snap.remoteID]
		if js == nil {
			r.outcomes[i] = outcome{snap: it.snap, missing: true, complete: complete}
			continue
		}
		seen++
		s := it.snap
		progress := js.Progress
		if progress == nil && js.Status == s.status && s.progress >= 0 {
			// Some lists leave progress out: that is no news of it.
			p := s.progress
			progress = &p
		}
		if !it.due && js.Status == s.status && !s.unreachable {
			r.outcomes[i] = outcome{snap: s, keepDue: true, listed: true}
			continue
		}
		// The whole status document only where it is stored: a change or an end.
		st := &ogcapi.StatusInfo{JobID: js.JobID, Status: js.Status, Message: js.Message, Updated: js.Updated}
		if js.Status != s.status || js.Message != s.message || s.unreachable || ogcapi.Terminal(js.Status) ||
			progressOf(progress) != s.progress {
			full, err := js.Info()
			if err != nil {
				r.outcomes[i] = outcome{snap: s, missing: true, complete: complete}
				continue
			}
			st = full
		}
		st.Progress = progress
		obs = append(obs, m.observe(s, st, now))
		at = append(at, i)
	}
	if complete && seen == 0 && len(items) > 0 {
		r.noList = noListFor // the list shows none of our jobs: it is of no use here
	}
	for k, o := range m.settle(context.WithoutCancel(ctx), obs) {
		o.listed = true
		r.outcomes[at[k]] = o
	}
	return r
}

// readList reads the job list page by page until every item was seen, the list
// ends (complete) or a page fails (err, with what the earlier pages showed).
func (m *Monitor) readList(ctx context.Context, remote Remote, items []sweepItem) (found map[string]*ogcapi.JobState, complete bool, err error) {
	want := make(map[string]bool, len(items))
	for _, it := range items {
		want[it.snap.remoteID] = true
	}
	rctx, cancel := context.WithTimeout(ctx, m.cfg.RequestTimeout)
	defer cancel()
	list, err := remote.JobStates(rctx, ogcapi.JobFilter{Limit: min(maxListPage, len(items)+len(items)/4+10)})
	if err != nil {
		return nil, false, err
	}
	found = make(map[string]*ogcapi.JobState, len(items))
	// A list sorted oldest first, or full of other clients' jobs, is not read to its
	// end: a few pages more than our jobs would fill, then the rest are asked for.
	pages := 1
	maxPages := min(maxSweepPages, 3+len(items)/max(len(list.Jobs), 1))
	for {
		for i := range list.Jobs {
			st := &list.Jobs[i]
			if want[st.JobID] && found[st.JobID] == nil {
				found[st.JobID] = st
			}
		}
		if len(found) == len(want) {
			return found, true, nil
		}
		next, ok := list.Links.Find("next", "")
		if !ok || next.Href == "" {
			return found, true, nil
		}
		if pages >= maxPages {
			return found, false, nil
		}
		pages++
		if list, err = remote.JobStatesPage(rctx, next.Href); err != nil {
			return found, false, err
		}
	}
}
