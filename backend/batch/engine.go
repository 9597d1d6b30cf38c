// Package batch runs batches: one process over many items, areas or date windows.
// A batch's members are stored (backend/store) before anything is sent; the Engine
// submits them through the job monitor, never more at a time per endpoint than the
// endpoint's limit, waits as long as a server's 429/503 Retry-After says, and picks
// up where it was after a restart. Following the submitted jobs is the monitor's work.
package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/sweep"
)

// Submitter submits one job (*jobs.Monitor).
type Submitter interface {
	Submit(ctx context.Context, sub jobs.Submission) (store.Job, error)
}

// DefaultLimit is the jobs in flight per endpoint when the user set none.
const DefaultLimit = 4

// LimitSetting is the settings key of an endpoint's limit: LimitSetting + endpoint id.
const LimitSetting = "batch.max_in_flight."

// submitTimeout bounds one execute request.
const submitTimeout = 2 * time.Minute

// idlePoll is how often the engine looks again while members wait for jobs to end
// and no change has woken it.
const idlePoll = time.Second

// Engine submits the waiting members of every batch.
type Engine struct {
	st  *store.Store
	sub Submitter
	log *slog.Logger
	// OnChange, when set, is told of each batch whose members moved (submitted,
	// deferred); it must not block.
	OnChange func(batchID string)

	wake chan struct{}
	now  func() time.Time
}

// New returns an Engine; call Run to start it.
func New(st *store.Store, sub Submitter, log *slog.Logger) *Engine {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{st: st, sub: sub, log: log, wake: make(chan struct{}, 1), now: time.Now}
}

// Notify wakes the engine (a member job changed, a batch was created). It never blocks.
func (e *Engine) Notify() {
	if e == nil {
		return
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Limit is the endpoint's jobs-in-flight limit.
func (e *Engine) Limit(ctx context.Context, endpointID string) int {
	v, ok, err := e.st.Setting(ctx, LimitSetting+endpointID)
	if err != nil || !ok {
		return DefaultLimit
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return DefaultLimit
	}
	return n
}

// SetLimit stores the endpoint's limit (at least 1).
func (e *Engine) SetLimit(ctx context.Context, endpointID string, n int) error {
	if n < 1 || n > 1000 {
		return fmt.Errorf("batch: the limit must be between 1 and 1000, not %d", n)
	}
	err := e.st.SetSetting(ctx, LimitSetting+endpointID, strconv.Itoa(n))
	e.Notify()
	return err
}

// Create stores a batch: the base request and one member per set of overrides. Nothing
// is sent until Run submits them.
func (e *Engine) Create(ctx context.Context, endpointID, processID, title, kind string, base *ogcapi.Execute, members []store.NewBatchMember) (store.Batch, error) {
	req, err := json.Marshal(base)
	if err != nil {
		return store.Batch{}, fmt.Errorf("batch: %w", err)
	}
	b, err := e.st.CreateBatch(ctx, store.NewBatch{EndpointID: endpointID, ProcessID: processID, Title: title, Kind: kind,
		Request: req, Members: members})
	if err != nil {
		return b, err
	}
	e.Notify()
	return b, nil
}

// RetryFailed puts a batch's failed members back in line.
func (e *Engine) RetryFailed(ctx context.Context, batchID string) (int, error) {
	n, err := e.st.RetryFailedMembers(ctx, batchID, e.now())
	e.Notify()
	return n, err
}

// Run submits waiting members until ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		next := e.pump(ctx)
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-e.wake:
		case <-t.C:
		}
		t.Stop()
	}
	return ctx.Err()
}

// pump submits what the limits allow and returns how long to sleep at most.
func (e *Engine) pump(ctx context.Context) time.Duration {
	endpoints, err := e.st.BatchEndpoints(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Warn("batch: waiting members", "err", err)
		}
		return idlePoll
	}
	sleep := time.Hour
	for _, ep := range endpoints {
		sleep = min(sleep, e.pumpEndpoint(ctx, ep))
	}
	return sleep
}

func (e *Engine) pumpEndpoint(ctx context.Context, endpointID string) time.Duration {
	inFlight, err := e.st.InFlight(ctx, endpointID)
	if err != nil {
		return idlePoll
	}
	free := e.Limit(ctx, endpointID) - inFlight
	if free <= 0 {
		return idlePoll // woken by job changes; polled as a fallback
	}
	now := e.now()
	members, err := e.st.WaitingMembers(ctx, endpointID, now, free)
	if err != nil {
		return idlePoll
	}
	if len(members) == 0 {
		next, any, err := e.st.NextWaiting(ctx, endpointID)
		if err != nil || !any {
			return time.Hour
		}
		return max(next.Sub(now), 10*time.Millisecond)
	}
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() { e.submit(ctx, endpointID, m) })
	}
	wg.Wait()
	return 0 // look again at once: the limit may allow more
}

// submit sends one member: its job id is stored first, so that a restart in between
// finds either no job (and submits it then) or the job.
func (e *Engine) submit(ctx context.Context, endpointID string, m store.BatchMember) {
	b, err := e.st.Batch(ctx, m.BatchID)
	if err != nil {
		return
	}
	var base ogcapi.Execute
	if err := json.Unmarshal(b.Request, &base); err != nil {
		e.log.Error("batch: base request", "batch", b.ID, "err", err)
		return
	}
	var over map[string]json.RawMessage
	_ = json.Unmarshal(m.Inputs, &over)
	base.Inputs = sweep.Apply(base.Inputs, sweep.Member{Line: m.Line, Inputs: over})
	id := m.JobID // a job id with no job: the last attempt never stored its job
	if id == "" {
		id = uuid.NewString()
	}
	if err := e.st.AttachMember(ctx, m.BatchID, m.Line, id); err != nil {
		e.log.Error("batch: attach", "batch", b.ID, "line", m.Line, "err", err)
		return
	}
	// A submission that started finishes even when the app stops meanwhile: cut off
	// mid-request, the server might have started a job nobody follows.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), submitTimeout)
	defer cancel()
	_, err = e.sub.Submit(sctx, jobs.Submission{ID: id, EndpointID: endpointID, ProcessID: b.ProcessID, Request: &base, AOI: m.AOI})
	if wait, busy := busyServer(err, m.Attempts); busy {
		if err := e.st.DeferMember(context.WithoutCancel(ctx), m.BatchID, m.Line, e.now().Add(wait)); err != nil {
			e.log.Error("batch: defer", "batch", b.ID, "line", m.Line, "err", err)
		}
		e.log.Info("batch: the server is busy; submitting again later", "batch", b.ID, "line", m.Line, "wait", wait)
	}
	if e.OnChange != nil {
		e.OnChange(m.BatchID)
	}
}

// busyPolicy spaces the resubmissions of a member the server refused for now.
var busyPolicy = retry.Policy{Base: time.Second, Max: 5 * time.Minute, MaxRetryAfter: time.Hour}

// busyServer tells whether the server refused the execute request for now (429 or
// 503 to the POST: no job was created) and how long to wait: its Retry-After, else
// the shared backoff (backend/retry) growing with the attempts.
func busyServer(err error, attempts int) (time.Duration, bool) {
	var ae *ogcapi.APIError
	if err == nil || !errors.As(err, &ae) || ae.Method != http.MethodPost ||
		(ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusServiceUnavailable) {
		return 0, false
	}
	return busyPolicy.Delay(max(attempts, 1), ae.Wait), true
}
