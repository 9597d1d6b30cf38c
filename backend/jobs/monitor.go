package jobs

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Change tells a subscriber that a job changed. It carries the job's state after the
// change; the subscriber renders it (or reloads the job from the store).
type Change struct {
	JobID      string
	EndpointID string
	ProcessID  string
	Status     string
	Progress   *int
	Message    string
	// UnreachableSince is set while the server does not answer for the job.
	UnreachableSince  time.Time
	UnreachableReason string
	// SignInKey is set while the job waits for its person to sign in again with
	// that oidc key (store.Job.SignInKey).
	SignInKey string
	Lost      bool // the server no longer knows the job
	Results   bool // results (or the failure's details) are stored
	Error     string
	At        time.Time // when the monitor saw the change
	// ServerUpdated is when the server says the job last changed, if it says.
	ServerUpdated time.Time
	// Outputs are a successful job's results as the server sent them, set on the change
	// that stored them, so that a consumer (the STAC of backend/results) need not ask
	// the server again; nil on every other change. Consumers must not modify them.
	Outputs *ogcapi.Results
}

// Config configures a Monitor. Store and ClientFor are required.
type Config struct {
	Store     *store.Store
	ClientFor ClientFor
	// OnChange is called for every change, from the monitor's goroutines, after the
	// change is stored. It must not block (the hub's Publish does not).
	OnChange func(Change)
	Logger   *slog.Logger

	// FastInterval is the poll interval of a job that just changed status (default 1 s).
	FastInterval time.Duration
	// MaxInterval caps the interval of a job that does not change (default 30 s).
	MaxInterval time.Duration
	// ProgressInterval caps the interval while progress or message keep changing but
	// the status does not (default 5 s): a moving progress bar need not be polled every second.
	ProgressInterval time.Duration
	// Backoff multiplies the interval after each poll without a status change (default 1.5).
	Backoff float64
	// PerEndpoint is the number of requests in flight to one endpoint (default 4).
	PerEndpoint int
	// RequestTimeout bounds one status or results request (default 30 s).
	RequestTimeout time.Duration
	// ListFrom is the number of tracked jobs of one endpoint from which the monitor
	// learns their statuses from the server's job list (GET /jobs, a page of many jobs
	// per request) instead of asking for each job (default 8). Jobs the list does not
	// show, and servers without a usable list, are asked about one by one.
	ListFrom int
	// ListInterval is the shortest time between two reads of one endpoint's job list
	// (default FastInterval).
	ListInterval time.Duration
	// MaxRate is the request rate (per second, all endpoints) that polls of jobs whose
	// status did not just change are spread to stay under (default 25): with many jobs
	// tracked, their progress is polled less often, while a status change still brings
	// a job back to FastInterval.
	MaxRate float64
}

func (c *Config) defaults() error {
	if c.Store == nil || c.ClientFor == nil {
		return errors.New("jobs: Config.Store and Config.ClientFor are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.OnChange == nil {
		c.OnChange = func(Change) {}
	}
	if c.FastInterval <= 0 {
		c.FastInterval = time.Second
	}
	if c.MaxInterval <= 0 {
		c.MaxInterval = 30 * time.Second
	}
	c.MaxInterval = max(c.MaxInterval, c.FastInterval)
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = 5 * time.Second
	}
	c.ProgressInterval = min(max(c.ProgressInterval, c.FastInterval), c.MaxInterval)
	if c.Backoff < 1 {
		c.Backoff = 1.5
	}
	if c.PerEndpoint <= 0 {
		c.PerEndpoint = 4
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxRate <= 0 {
		c.MaxRate = 25
	}
	if c.ListFrom <= 0 {
		c.ListFrom = 8
	}
	if c.ListInterval <= 0 {
		c.ListInterval = c.FastInterval
	}
	return nil
}

// Monitor tracks every unfinished job. One goroutine owns the schedule (a heap ordered
// by due time) and hands due jobs to short-lived request goroutines, at most
// PerEndpoint at a time per endpoint, so a thousand idle jobs cost one timer. Where
// an endpoint has many jobs tracked, one read of its job list (a sweep) stands for
// the status requests of all of them; see sweep.go.
type Monitor struct {
	cfg Config
	st  *store.Store
	log *slog.Logger

	mu      sync.Mutex
	pending []func(*loop) // commands for the loop goroutine
	wake    chan struct{}
	running bool
	// submitting holds the jobs whose execute request this monitor is sending: Run
	// must not take them for submissions interrupted by a crash.
	submitting map[string]bool
}

// New returns a monitor; it tracks nothing until Run.
func New(cfg Config) (*Monitor, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Monitor{cfg: cfg, st: cfg.Store, log: cfg.Logger, wake: make(chan struct{}, 1),
		submitting: map[string]bool{}}, nil
}

// tracked is the schedule's record of one job. Only the loop goroutine touches it.
type tracked struct {
	snap     snapshot
	due      time.Time
	index    int  // in the heap; -1 when not scheduled
	queued   bool // due, in its endpoint's ready queue or waiting for a sweep
	inflight bool // in a request (or a sweep)
	pollNow  bool // PollNow while in flight: poll again at once
	direct   bool // next time due, ask for the job itself, not through the job list
	fresh    bool // just submitted, or its status just changed: it may well change again soon
	// soon: a transition is likely within ProgressInterval (the job is fresh, or its
	// progress says it ends by then): a sweep for it is not put off.
	soon     bool
	unlisted bool // the job list does not show the job: always ask for it directly
	misses   int  // complete sweeps in a row that did not show the job
}

// snapshot is what a poll needs to know of a job and what it learns.
type snapshot struct {
	id, endpoint, process string
	ref                   string // the job URL, or the server's job id
	remoteID              string // the server's job id (as its job list shows it)
	status, message       string
	progress              int // -1: unknown
	unreachable           bool
	signIn                string             // the oidc key whose sign-in the job waits for
	needResults           bool               // terminal: fetch results (or failure details) next
	final                 *ogcapi.StatusInfo // the terminal status, when seen by this monitor
	resultsTries          int                // results requests answered with an error so far
	lastFailure           string             // signature of the last failed job's results answer
	updated               time.Time          // the server's "updated" of the last status
	progressAt            time.Time          // when progress was last seen to change
	pace                  time.Duration      // time per percent of progress at the last change (0: unknown)
	interval              time.Duration
}

// outcome is what a request goroutine reports back to the loop.
type outcome struct {
	snap     snapshot
	finished bool          // stop tracking
	next     time.Duration // wait before the next poll
	fast     bool          // the status just changed: next is not stretched by MaxRate
	eta      time.Duration // when progress predicts the job ends (0: no prediction)
	polledAt time.Time     // an unchanged poll, to note in the store
	canceled bool
	// Of a sweep: keepDue when the list showed the job unchanged before it was due
	// (its schedule stands); missing when the list did not show it, complete when the
	// whole list was read.
	keepDue, missing, complete, listed bool
}

// report is what a request goroutine sends back to the loop: the outcome of one
// poll, or of every job of a sweep.
type report struct {
	endpoint string
	sweep    bool
	noList   time.Duration // of a sweep: do not read the endpoint's job list for this long
	outcomes []outcome
}

type jobHeap []*tracked

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *jobHeap) Push(x any)        { t := x.(*tracked); t.index = len(*h); *h = append(*h, t) }
func (h *jobHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// endpointQueue holds the due jobs of one endpoint waiting for a request slot, and
// the state of its job list. A sweep goes first when a slot frees, then status
// polls, then results: a transition that is due is not held up behind the results
// of the jobs that ended before it.
type endpointQueue struct {
	inflight    int
	status      []*tracked // due for a status request
	results     []*tracked // due for a results request
	waiting     []*tracked // due, waiting for the next sweep
	soon        int        // of waiting, jobs whose transition is likely soon
	tracked     int        // jobs of this endpoint being tracked
	sweeping    bool
	lastSweep   time.Time
	noListUntil time.Time // the job list is not read before then
}

// loop is the state owned by Run's goroutine.
type loop struct {
	m         *Monitor
	ctx       context.Context
	jobs      map[string]*tracked
	heap      jobHeap
	endpoints map[string]*endpointQueue
	done      chan report
	inflight  int
	polled    map[string]time.Time
	flushing  bool
	flushed   chan struct{}
	lastFlush time.Time
}

// shortList is the number of an endpoint's jobs up to which its list is read every
// ListInterval whenever a job is due: reading it costs little.
const shortList = 100

// polledFlushEvery is how often unchanged polls are written to the store, in one transaction.
const polledFlushEvery = 10 * time.Second

// do queues a command for the loop goroutine.
func (m *Monitor) do(f func(*loop)) {
	m.mu.Lock()
	m.pending = append(m.pending, f)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run resumes tracking every unfinished job in the store and tracks jobs until ctx
// is done; then it waits for requests in flight and returns ctx's error. A job whose
// submission was interrupted (status "submitting") is marked submit-unknown: its
// execute request may or may not have reached the server.
func (m *Monitor) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return errors.New("jobs: monitor already running")
	}
	m.running = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.running = false
		m.mu.Unlock()
	}()

	open, err := m.st.Unfinished(ctx)
	if err != nil {
		return fmt.Errorf("jobs: resume: %w", err)
	}
	l := &loop{m: m, ctx: ctx, jobs: map[string]*tracked{}, endpoints: map[string]*endpointQueue{},
		done: make(chan report, 64), polled: map[string]time.Time{}, flushed: make(chan struct{}, 1), lastFlush: time.Now()}
	now := time.Now()
	resumed := 0
	for _, j := range open {
		if j.Status == store.StatusSubmitting {
			m.interrupted(ctx, j)
			continue
		}
		if j.RemoteID == "" && j.URL == "" {
			continue // nothing to ask the server about (submit-unknown)
		}
		// Spread the first polls over a second so that a restart does not burst.
		l.track(j, now.Add(time.Duration(rand.Int64N(int64(m.cfg.FastInterval)))))
		resumed++
	}
	m.log.Info("jobs: monitor started", "resumed", resumed)
	return l.run()
}

func (m *Monitor) interrupted(ctx context.Context, j store.Job) {
	const reason = "geojobs stopped while sending this job; the server may or may not have started it (import the endpoint's jobs to find it)"
	m.mu.Lock()
	busy := m.submitting[j.ID]
	m.mu.Unlock()
	if busy {
		return // being sent right now; Submit tracks it
	}
	now := time.Now()
	if err := m.st.SubmitFailed(ctx, j.ID, true, reason, now); errors.Is(err, store.ErrConflict) {
		return // submitted meanwhile (by a Submit that started before Run)
	} else if err != nil {
		m.log.Error("jobs: mark interrupted submission", "job", j.ID, "err", err)
		return
	}
	m.cfg.OnChange(Change{JobID: j.ID, EndpointID: j.EndpointID, ProcessID: j.ProcessID,
		Status: store.StatusSubmitUnknown, Message: reason, Error: reason, At: now})
}

func snapshotOf(j store.Job, interval time.Duration) snapshot {
	s := snapshot{id: j.ID, endpoint: j.EndpointID, process: j.ProcessID, ref: j.URL, remoteID: j.RemoteID, status: j.Status,
		message: j.Message, progress: -1, unreachable: !j.UnreachableSince.IsZero(), interval: interval,
		needResults: j.Terminal() && j.ResultsAt.IsZero()}
	if s.ref == "" {
		s.ref = j.RemoteID
	}
	if j.Progress != nil {
		s.progress = *j.Progress
	}
	return s
}

// track adds a job to the schedule (or reschedules it) to be polled at due.
func (l *loop) track(j store.Job, due time.Time) {
	if t, ok := l.jobs[j.ID]; ok {
		l.reschedule(t, due)
		return
	}
	t := &tracked{snap: snapshotOf(j, l.m.cfg.FastInterval), index: -1, fresh: true, soon: true}
	t.unlisted = t.snap.remoteID == "" // a job list names jobs by id
	l.jobs[j.ID] = t
	l.queue(t.snap.endpoint).tracked++
	l.reschedule(t, due)
}

func (l *loop) reschedule(t *tracked, due time.Time) {
	if t.inflight {
		if !due.After(time.Now()) {
			t.pollNow = true
		}
		return
	}
	if t.queued {
		return // due already
	}
	t.due = due
	if t.index >= 0 {
		heap.Fix(&l.heap, t.index)
	} else {
		heap.Push(&l.heap, t)
	}
}

func (l *loop) run() error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.applyPending()
		now := time.Now()
		for len(l.heap) > 0 && !l.heap[0].due.After(now) {
			l.enqueue(heap.Pop(&l.heap).(*tracked), now)
		}
		wake := l.dispatch(now)
		l.maybeFlush(now, false)
		wait := time.Hour
		if len(l.heap) > 0 {
			wait = max(l.heap[0].due.Sub(now), 0)
		}
		if !wake.IsZero() {
			wait = min(wait, max(wake.Sub(now), 0))
		}
		timer.Reset(wait)
		select {
		case <-l.ctx.Done():
			for l.inflight > 0 {
				l.finish(<-l.done)
			}
			if l.flushing {
				<-l.flushed
			}
			l.maybeFlush(time.Now(), true)
			if l.flushing {
				<-l.flushed
			}
			return l.ctx.Err()
		case r := <-l.done:
			l.finish(r)
		case <-l.m.wake:
		case <-l.flushed:
			l.flushing = false
		case <-timer.C:
		}
	}
}

func (l *loop) applyPending() {
	l.m.mu.Lock()
	cmds := l.m.pending
	l.m.pending = nil
	l.m.mu.Unlock()
	for _, f := range cmds {
		f(l)
	}
}

func (l *loop) queue(endpoint string) *endpointQueue {
	q := l.endpoints[endpoint]
	if q == nil {
		q = &endpointQueue{}
		l.endpoints[endpoint] = q
	}
	return q
}

// enqueue puts a job that is due in its endpoint's queue for its kind of request.
// A fresh job (just submitted, or whose status just changed) is asked about directly
// while few others wait for a slot: its next transition is likely near, and it
// need not wait for the next sweep (nor for the sweep to read a long list); the
// many others are left to the sweeps.
func (l *loop) enqueue(t *tracked, now time.Time) {
	q := l.queue(t.snap.endpoint)
	t.queued = true
	fresh := t.fresh && len(q.status) < 2*l.m.cfg.PerEndpoint
	switch {
	case t.snap.needResults:
		q.results = append(q.results, t)
	case !t.direct && !fresh && !t.unlisted && q.tracked >= l.m.cfg.ListFrom && !now.Before(q.noListUntil):
		q.waiting = append(q.waiting, t)
		if t.soon {
			q.soon++
		}
	default:
		q.status = append(q.status, t)
	}
	t.direct = false
}

// dispatch starts requests for due jobs while their endpoints have free slots: a
// sweep first, then status requests, then results requests. It returns when a sweep
// held back by ListInterval may start (zero if none is).
func (l *loop) dispatch(now time.Time) (wake time.Time) {
	for ep, q := range l.endpoints {
		if len(q.waiting) > 0 && !q.sweeping && q.inflight < l.m.cfg.PerEndpoint {
			// Sweep every ListInterval while a transition is likely soon, or while the
			// list is short (jobs too short for their progress to predict their end
			// are not looked at late); else the jobs that are due only for their
			// progress wait up to ProgressInterval: a thousand jobs each due every half
			// minute would otherwise read the whole list every second.
			gap := l.m.cfg.ProgressInterval
			if q.soon > 0 || q.tracked <= shortList {
				gap = l.m.cfg.ListInterval
			}
			if at := q.lastSweep.Add(gap); now.Before(at) {
				if wake.IsZero() || at.Before(wake) {
					wake = at
				}
			} else {
				l.startSweep(ep, q, now)
			}
		}
		for q.inflight < l.m.cfg.PerEndpoint {
			t := pop(&q.status)
			if t == nil {
				t = pop(&q.results)
			}
			if t == nil {
				break
			}
			t.queued = false
			if l.jobs[t.snap.id] != t {
				continue // untracked while waiting
			}
			q.inflight++
			l.inflight++
			t.inflight = true
			snap := t.snap
			go func() { l.done <- report{endpoint: ep, outcomes: []outcome{l.m.poll(l.ctx, snap)}} }()
		}
	}
	return wake
}

func pop(ts *[]*tracked) *tracked {
	if len(*ts) == 0 {
		return nil
	}
	t := (*ts)[0]
	(*ts)[0] = nil
	*ts = (*ts)[1:]
	return t
}

// startSweep reads the endpoint's job list for every job of the endpoint that can
// be found there and is not in a request already: for the jobs that are due, it is
// their poll; for the others, it catches a transition before they are due.
func (l *loop) startSweep(ep string, q *endpointQueue, now time.Time) {
	for _, t := range q.waiting {
		t.queued = false
	}
	q.waiting, q.soon = q.waiting[:0], 0
	items := make([]sweepItem, 0, q.tracked)
	for _, t := range l.jobs {
		if t.snap.endpoint != ep || t.inflight || t.queued || t.unlisted || t.snap.needResults {
			continue
		}
		due := !t.due.After(now)
		if t.index >= 0 {
			heap.Remove(&l.heap, t.index)
		} else {
			due = true // taken from the waiting list
		}
		t.inflight = true
		items = append(items, sweepItem{snap: t.snap, due: due})
	}
	if len(items) == 0 {
		return
	}
	q.inflight++
	l.inflight++
	q.sweeping, q.lastSweep = true, now
	go func() { l.done <- l.m.sweep(l.ctx, ep, items) }()
}

// finish applies a request's report: reschedule or drop its jobs.
func (l *loop) finish(r report) {
	l.inflight--
	q := l.queue(r.endpoint)
	q.inflight--
	if r.sweep {
		q.sweeping = false
		if r.noList > 0 {
			q.noListUntil = time.Now().Add(r.noList)
			q.status = append(q.status, q.waiting...)
			q.waiting, q.soon = q.waiting[:0], 0
		}
	}
	for _, o := range r.outcomes {
		l.apply(o)
	}
}

// apply applies the outcome of one job's request.
func (l *loop) apply(o outcome) {
	t := l.jobs[o.snap.id]
	if t == nil {
		return
	}
	t.inflight = false
	if !o.polledAt.IsZero() {
		l.polled[o.snap.id] = o.polledAt
	}
	if o.canceled {
		return
	}
	if o.finished {
		l.untrack(o.snap.id)
		return
	}
	if o.listed {
		t.misses = 0
	}
	if o.missing || o.keepDue {
		due := t.due
		if o.missing {
			if o.complete {
				t.misses++
				t.unlisted = t.misses >= 2
			}
			if !due.After(time.Now()) {
				t.direct = true // due now: ask for it directly rather than wait for the next sweep
			}
		}
		if t.pollNow {
			t.pollNow, due = false, time.Now()
		}
		l.reschedule(t, due)
		return
	}
	t.snap = o.snap
	t.fresh = o.fast
	next, atEnd := o.next, false
	if !o.fast {
		// Spread the slow polls of many jobs so that together they stay under MaxRate,
		// but never past MaxInterval; and look again when progress says the job ends.
		spread := time.Duration(float64(len(l.jobs)) / l.m.cfg.MaxRate * float64(time.Second))
		next = max(next, min(spread, l.m.cfg.MaxInterval))
		if o.eta > 0 && o.eta <= next {
			next, atEnd = max(o.eta, l.m.cfg.FastInterval), true
		}
	}
	// A job due at its predicted end is due for its transition: the sweeps that look
	// for it run every ListInterval.
	t.soon = o.fast || atEnd || o.eta > 0 && o.eta <= l.m.cfg.ProgressInterval
	from := time.Now()
	due := from.Add(jitter(next))
	if atEnd {
		// Never after the predicted end (a little before, so that jobs predicted to
		// end together are not due in lockstep).
		due = from.Add(next - time.Duration(rand.Int64N(int64(min(next/10, l.m.cfg.FastInterval))+1)))
	}
	if t.pollNow {
		t.pollNow, due = false, time.Now()
	}
	l.reschedule(t, due)
}

// jitter spreads polls by ±10 % so that jobs started together do not stay in lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// maybeFlush writes the times of unchanged polls, in the background, every polledFlushEvery.
func (l *loop) maybeFlush(now time.Time, force bool) {
	if l.flushing || len(l.polled) == 0 || !force && now.Sub(l.lastFlush) < polledFlushEvery {
		return
	}
	batch := l.polled
	l.polled, l.lastFlush, l.flushing = map[string]time.Time{}, now, true
	go func() {
		if err := l.m.st.Polled(context.WithoutCancel(l.ctx), batch); err != nil {
			l.m.log.Warn("jobs: note poll times", "err", err)
		}
		l.flushed <- struct{}{}
	}()
}

// Tracked returns the number of jobs being tracked (for status displays and tests).
func (m *Monitor) Tracked(ctx context.Context) (int, error) {
	ch := make(chan int, 1)
	m.do(func(l *loop) { ch <- len(l.jobs) })
	select {
	case n := <-ch:
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// PollNow asks for the job's status at once (a user's "refresh"), and starts tracking
// it again if it was lost or unreachable for long.
func (m *Monitor) PollNow(ctx context.Context, jobID string) error {
	j, err := m.st.Job(ctx, jobID)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if j.RemoteID == "" && j.URL == "" {
		return fmt.Errorf("jobs: job %s has no server job to ask about (status %s)", jobID, j.Status)
	}
	m.do(func(l *loop) {
		if t, ok := l.jobs[j.ID]; ok {
			t.snap.interval = m.cfg.FastInterval
			t.direct = true
		}
		l.track(j, time.Now())
	})
	return nil
}

// PollUnreachable asks at once about every tracked job whose server stopped
// answering or refused the credentials, instead of at the end of its back-off:
// after a sign-in, say, waiting jobs go on without delay.
func (m *Monitor) PollUnreachable(ctx context.Context) error {
	ch := make(chan []string, 1)
	m.do(func(l *loop) {
		var ids []string
		for id, t := range l.jobs {
			if t.snap.unreachable {
				ids = append(ids, id)
			}
		}
		ch <- ids
	})
	var ids []string
	select {
	case ids = <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, id := range ids {
		if err := m.PollNow(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// untrack stops tracking a job; a request in flight for it is let finish and ignored,
// a queue entry is dropped when it comes up.
func (l *loop) untrack(id string) {
	t, ok := l.jobs[id]
	if !ok {
		return
	}
	delete(l.jobs, id)
	l.queue(t.snap.endpoint).tracked--
	if t.index >= 0 {
		heap.Remove(&l.heap, t.index)
	}
}

// trackNew starts tracking a job that was just stored.
func (m *Monitor) trackNew(j store.Job) {
	m.do(func(l *loop) { l.track(j, time.Now().Add(m.cfg.FastInterval)) })
}
