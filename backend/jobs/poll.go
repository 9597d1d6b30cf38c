package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// poll makes one request for a job (its status, or its results once it ended),
// stores what it learned and reports the outcome. It runs on its own goroutine.
func (m *Monitor) poll(ctx context.Context, s snapshot) outcome {
	remote, err := m.cfg.ClientFor(ctx, s.endpoint)
	if err != nil {
		return m.unreachable(ctx, s, "endpoint: "+err.Error(), err)
	}
	if s.needResults {
		return m.fetchResults(ctx, remote, s, s.final)
	}
	rctx, cancel := context.WithTimeout(ctx, m.cfg.RequestTimeout)
	st, err := remote.Status(rctx, s.ref)
	cancel()
	now := time.Now()
	// Once an answer is in, it is stored even if the monitor is stopping: the server
	// may not say it again (a job that ends is often removed soon after).
	sctx := context.WithoutCancel(ctx)
	switch {
	case err != nil && ogcapi.CodeOf(err) == ogcapi.Canceled:
		return outcome{snap: s, canceled: true}
	case err != nil && lostCode(err):
		return m.lost(sctx, s, err)
	case err != nil:
		return m.unreachable(sctx, s, err.Error(), err)
	}
	return m.settle(sctx, []observation{m.observe(s, st, now)})[0]
}

// observation is what one status answer means for a job: the outcome, and whether
// the status must be stored (and the change told) before the outcome holds.
type observation struct {
	before snapshot
	o      outcome
	st     ogcapi.StatusInfo
	at     time.Time
	write  bool
}

// progressOf is a progress as a snapshot holds it: 0–100, -1 when not told.
func progressOf(p *int) int {
	if p == nil {
		return -1
	}
	return min(max(*p, 0), 100)
}

// observe judges a status the server reported for the job at now. A job that ended
// is given to its results step (at once, in a request of its own).
func (m *Monitor) observe(s snapshot, st *ogcapi.StatusInfo, now time.Time) observation {
	ob := observation{before: s, st: *st, at: now}
	progress := progressOf(st.Progress)
	statusChanged := st.Status != s.status
	otherChanged := progress != s.progress || st.Message != s.message
	terminal := ogcapi.Terminal(st.Status)
	eta := s.predictEnd(progress, now, min(s.interval, m.cfg.ProgressInterval))
	if !statusChanged && !otherChanged && !s.unreachable && !terminal {
		s.interval = min(grow(s.interval, m.cfg.Backoff), m.cfg.MaxInterval)
		ob.o = outcome{snap: s, next: s.interval, polledAt: now, eta: eta}
		return ob
	}
	if ob.write = statusChanged || otherChanged || s.unreachable; ob.write {
		s.status, s.progress, s.message, s.unreachable, s.signIn = st.Status, progress, st.Message, false, ""
		s.updated = time.Time{}
		if st.Updated != nil {
			s.updated = *st.Updated
		}
	}
	switch {
	case terminal:
		final := *st
		s.needResults, s.final = true, &final
		ob.o = outcome{snap: s, fast: true} // results next, at once
	case statusChanged:
		s.interval = m.cfg.FastInterval
		ob.o = outcome{snap: s, next: s.interval, fast: true}
	case otherChanged:
		s.interval = max(min(grow(s.interval, m.cfg.Backoff), m.cfg.ProgressInterval), m.cfg.FastInterval)
		ob.o = outcome{snap: s, next: s.interval, eta: eta}
	default:
		s.interval = min(grow(s.interval, m.cfg.Backoff), m.cfg.MaxInterval)
		ob.o = outcome{snap: s, next: s.interval}
	}
	return ob
}

// settle stores the statuses of observations that changed, all in one transaction,
// tells each change, and returns the outcomes. A job whose status could not be
// stored keeps its old snapshot and is asked again soon.
func (m *Monitor) settle(ctx context.Context, obs []observation) []outcome {
	var updates []store.StatusUpdate
	for _, ob := range obs {
		if ob.write {
			updates = append(updates, store.StatusUpdate{JobID: ob.before.id, Status: ob.st, At: ob.at})
		}
	}
	var errs []error
	if len(updates) > 0 {
		_, errs = m.st.RecordStatuses(ctx, updates)
	}
	out := make([]outcome, len(obs))
	k := 0
	for i, ob := range obs {
		out[i] = ob.o
		if !ob.write {
			continue
		}
		err := errs[k]
		k++
		if err != nil {
			m.log.Error("jobs: store status", "job", ob.before.id, "err", err)
			out[i] = outcome{snap: ob.before, next: m.cfg.FastInterval}
			continue
		}
		m.emit(ob.o.snap, ob.at, func(c *Change) {})
	}
	return out
}

// predictEnd notes a progress reading and returns how long until the job should reach
// 100 % at the pace of its progress (0 when it cannot tell). A job past its predicted
// end is looked at again within ProgressInterval rather than drifting to MaxInterval.
func (s *snapshot) predictEnd(progress int, now time.Time, overdue time.Duration) time.Duration {
	if progress > s.progress && s.progress >= 0 && !s.progressAt.IsZero() {
		s.pace = now.Sub(s.progressAt) / time.Duration(progress-s.progress)
	}
	if progress != s.progress {
		s.progressAt = now
	}
	if s.pace <= 0 || progress < 0 {
		return 0
	}
	left := s.progressAt.Add(s.pace * time.Duration(100-progress)).Sub(now)
	if left <= 0 {
		return overdue
	}
	return left
}

func grow(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

// maxResultsTries bounds how often a results request that gets an unreadable or
// erroneous answer (not a network failure) is repeated before the job is closed
// with the reason.
const maxResultsTries = 6

// fetchResults stores the results of a successful job, the failure details of a
// failed one, or just closes a dismissed one. st is the terminal status when the
// caller has it (nil after a restart: the links are then asked for again).
func (m *Monitor) fetchResults(ctx context.Context, remote Remote, s snapshot, st *ogcapi.StatusInfo) outcome {
	var doc []byte
	var reason string
	var outputs *ogcapi.Results
	switch s.status {
	case ogcapi.StatusSuccessful:
		res, stop, err := m.results(ctx, remote, s.ref)
		switch {
		case stop:
			return outcome{snap: s, canceled: true}
		case err == nil:
			doc, outputs = encodeResults(res), res
		case ogcapi.CodeOf(err) == ogcapi.NoSuchJob:
			return m.lost(ctx, s, err)
		case networkCode(err):
			return m.unreachable(ctx, s, err.Error(), err)
		case retryableAnswer(err) && s.resultsTries+1 < maxResultsTries:
			return m.retryResults(s)
		default:
			// The results exist no more or cannot be read: keep the reason, stop asking.
			reason = "results could not be fetched: " + err.Error()
			doc, _ = encodeFailure(&ogcapi.StatusInfo{}, err)
		}
	case ogcapi.StatusFailed:
		if st == nil {
			rctx, cancel := context.WithTimeout(ctx, m.cfg.RequestTimeout)
			fresh, err := remote.Status(rctx, s.ref)
			cancel()
			switch {
			case err != nil && ogcapi.CodeOf(err) == ogcapi.Canceled:
				return outcome{snap: s, canceled: true}
			case err != nil && lostCode(err):
				return m.lost(context.WithoutCancel(ctx), s, err)
			case err != nil:
				return m.unreachable(ctx, s, err.Error(), err)
			}
			st = fresh
		}
		res, stop, err := m.results(ctx, remote, s.ref)
		switch {
		case stop:
			return outcome{snap: s, canceled: true}
		case err == nil:
			// A server that answers results for a failed job: keep them, they may explain.
			doc = encodeResults(res)
			reason = cmp.Or(st.Message, "the server reported the job as failed")
		case networkCode(err):
			return m.unreachable(ctx, s, err.Error(), err)
		default:
			// The answer should be the failure's exception. A 5xx may also be a passing
			// server error: accept it once the same exception came twice in a row.
			sig := failureSignature(err)
			unread := ogcapi.CodeOf(err) == ogcapi.BadResponse // not an exception at all
			if retryableAnswer(err) && (unread || sig != s.lastFailure) && s.resultsTries+1 < maxResultsTries {
				s.lastFailure = sig
				return m.retryResults(s)
			}
			doc, reason = encodeFailure(st, err)
		}
	default: // dismissed: nothing to fetch
		reason = cmp.Or(s.message, "dismissed on the server")
	}
	ctx = context.WithoutCancel(ctx)
	now := time.Now()
	if err := m.st.SetResults(ctx, s.id, doc, reason, now); err != nil {
		m.log.Error("jobs: store results", "job", s.id, "err", err)
		return outcome{snap: s, next: m.cfg.MaxInterval}
	}
	s.unreachable, s.signIn = false, ""
	m.emit(s, now, func(c *Change) { c.Results, c.Error, c.Outputs = true, reason, outputs })
	return outcome{snap: s, finished: true}
}

// results asks for a job's results; stop is true when the monitor is stopping.
func (m *Monitor) results(ctx context.Context, remote Remote, ref string) (res *ogcapi.Results, stop bool, err error) {
	rctx, cancel := context.WithTimeout(ctx, m.cfg.RequestTimeout)
	defer cancel()
	res, err = remote.Results(rctx, ref)
	return res, err != nil && ctx.Err() != nil, err
}

func (m *Monitor) retryResults(s snapshot) outcome {
	s.resultsTries++
	s.interval = min(grow(s.interval, m.cfg.Backoff), m.cfg.MaxInterval)
	return outcome{snap: s, next: s.interval}
}

// networkCode reports failures that say nothing about the job: no answer, or the
// server (or a gateway) saying it is unavailable. They are repeated without limit.
func networkCode(err error) bool {
	switch ogcapi.CodeOf(err) {
	case ogcapi.Unavailable, ogcapi.Timeout, ogcapi.Unauthorized, ogcapi.Forbidden:
		return true
	}
	return false
}

// retryableAnswer reports answers that may come out differently next time.
func retryableAnswer(err error) bool {
	switch ogcapi.CodeOf(err) {
	case ogcapi.BadResponse, ogcapi.Internal, ogcapi.ResultNotReady, ogcapi.Unknown:
		return true
	}
	return false
}

func failureSignature(err error) string {
	var ae *ogcapi.APIError
	if errors.As(err, &ae) {
		return fmt.Sprint(ae.Status, ae.Exception, ae.Body)
	}
	return err.Error()
}

// unreachable notes a failed request: the job keeps being tracked, less often, and is
// never marked failed for it.
func (m *Monitor) unreachable(ctx context.Context, s snapshot, reason string, err error) outcome {
	if ctx.Err() != nil {
		return outcome{snap: s, canceled: true}
	}
	ctx = context.WithoutCancel(ctx)
	now := time.Now()
	// A sign-in that ended is stored as such (not only in the reason's words): the
	// job waits for its person, who is offered to sign in, and it goes on after.
	signIn := keystore.SignInKey(err)
	first, serr := m.st.MarkUnreachable(ctx, s.id, now, reason, signIn)
	if serr != nil {
		m.log.Error("jobs: store unreachable", "job", s.id, "err", serr)
	}
	if first || signIn != s.signIn {
		if signIn != "" {
			m.log.Warn("jobs: job waits for a sign-in", "job", s.id, "endpoint", s.endpoint, "key", signIn)
		} else {
			m.log.Warn("jobs: server not answering for job", "job", s.id, "endpoint", s.endpoint, "err", reason)
		}
		s.unreachable, s.signIn = true, signIn
		m.emit(s, now, func(c *Change) { c.UnreachableSince, c.UnreachableReason, c.SignInKey = now, reason, signIn })
	}
	s.unreachable = true
	s.interval = min(grow(s.interval, m.cfg.Backoff), m.cfg.MaxInterval)
	next := s.interval
	if ra := retryAfter(err); ra > next {
		next = min(ra, 10*m.cfg.MaxInterval)
	}
	return outcome{snap: s, next: next}
}

// lost notes that the server no longer knows the job; tracking stops, history stays.
func (m *Monitor) lost(ctx context.Context, s snapshot, err error) outcome {
	ctx = context.WithoutCancel(ctx)
	now := time.Now()
	reason := "the server no longer knows this job: " + err.Error()
	if serr := m.st.MarkLost(ctx, s.id, now, reason); serr != nil {
		m.log.Error("jobs: store lost", "job", s.id, "err", serr)
		return outcome{snap: s, next: m.cfg.MaxInterval}
	}
	m.emit(s, now, func(c *Change) { c.Lost, c.Error = true, reason })
	return outcome{snap: s, finished: true}
}

func (m *Monitor) emit(s snapshot, at time.Time, f func(*Change)) {
	c := Change{JobID: s.id, EndpointID: s.endpoint, ProcessID: s.process, Status: s.status, Message: s.message,
		At: at, ServerUpdated: s.updated}
	if s.progress >= 0 {
		p := s.progress
		c.Progress = &p
	}
	f(&c)
	m.cfg.OnChange(c)
}
