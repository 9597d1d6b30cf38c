package localep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Reasons a job's context is cancelled; the runner acts on them.
var (
	errShutdown   = errors.New("geojobs is stopping")
	errDismissed  = errors.New("job dismissed")
	errClientGone = errors.New("the client of a synchronous execution went away")
)

// msgInterrupted is the message of a job that was running when geojobs stopped and
// cannot be resumed.
const msgInterrupted = "interrupted: geojobs stopped while the job was running"

// jobRecord is what is persisted of a job (jobs/{id}/job.json).
type jobRecord struct {
	Status    ogcapi.StatusInfo      `json:"status"` // links are not stored: they depend on the request
	Request   ogcapi.Execute         `json:"request"`
	Sync      bool                   `json:"sync,omitempty"`
	Results   map[string]outputValue `json:"results,omitempty"`
	Exception *ogcapi.Exception      `json:"exception,omitempty"`
	Files     map[string]fileInfo    `json:"files,omitempty"`
	HasLog    bool                   `json:"hasLog,omitempty"`
	State     json.RawMessage        `json:"state,omitempty"` // a process's checkpoint (see runContext.SetState)
}

// outputValue is one output of a finished job.
type outputValue struct {
	// Doc is the output's entry in a results document when sent by value: a literal, a
	// bbox, a qualified value {"value": …}, a link or an array of those.
	Doc json.RawMessage `json:"doc"`
	// MediaType is the media type of the raw encoding ("" picks text/plain for
	// literals and application/json otherwise).
	MediaType string `json:"mediaType,omitempty"`
	// Encoding "base64": the raw encoding is the decoded bytes of the string value.
	Encoding string `json:"encoding,omitempty"`
	// Rebase: Doc holds hrefs to this endpoint written with basePlaceholder, replaced
	// by the request's base URL when sent.
	Rebase bool `json:"rebase,omitempty"`
}

// basePlaceholder starts hrefs, stored in results, to files served by this endpoint.
// The endpoint's public URL depends on the request (host, mount prefix), so it is put
// in when a result is sent.
const basePlaceholder = "local-endpoint:/"

// fileInfo describes a file of a job served at /jobs/{id}/outputs/{name}.
type fileInfo struct {
	MediaType string `json:"mediaType"`
	Size      int64  `json:"size"`
	Checksum  string `json:"checksum,omitempty"` // multihash hex; also the ETag
}

// job is a job in memory. rec is guarded by mu; persisting also happens under mu so
// that writes of one job are never reordered.
type job struct {
	id     string
	mu     sync.Mutex
	rec    jobRecord
	cancel context.CancelCauseFunc // nil when the job is not running
	done   chan struct{}           // closed when the runner ends; nil when never started
	// shown is the record as last written by update, for readers: they need not wait
	// for a write in progress (a job list of a thousand jobs that each persist their
	// progress every second would wait behind a thousand disk writes). Nil until then.
	shown atomic.Pointer[jobRecord]
}

// snapshot returns a copy of the record safe to read without the lock: the state
// last persisted, without waiting for a write in progress.
func (j *job) snapshot() jobRecord {
	if r := j.shown.Load(); r != nil {
		return *r
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.rec
}

// update changes the record and persists it.
func (s *Server) update(j *job, f func(r *jobRecord)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(&j.rec)
	now := time.Now().UTC()
	j.rec.Status.Updated = &now
	if err := s.st.writeJSON(s.st.jobRecordPath(j.id), j.rec); err != nil {
		s.log.Error("local endpoint: cannot persist job", "job", j.id, "err", err)
	}
	shown := j.rec
	j.shown.Store(&shown)
	jobUpdated(j)
}

// jobUpdated is called after every update of a job's record, with the job's lock
// held: the tests wait on it, and hold a job's runner in it.
var jobUpdated = func(*job) {}

// launch starts the runner of j under parent. The job must be in status accepted.
func (s *Server) launch(parent context.Context, j *job, p *process) {
	ctx, cancel := context.WithCancelCause(parent)
	j.mu.Lock()
	j.cancel = cancel
	j.done = make(chan struct{})
	done := j.done
	j.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(done)
		defer cancel(nil)
		s.run(ctx, j, p)
	}()
}

func (s *Server) run(ctx context.Context, j *job, p *process) {
	// Deployed packages wait for a run slot of their own (CWLOptions.MaxRuns) while
	// running: holding a job slot too, packages waiting for theirs would hold up
	// every other process.
	if p.pkg == nil {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		case <-ctx.Done():
			s.finish(ctx, j, nil, context.Cause(ctx))
			return
		}
	}
	if ctx.Err() != nil { // cancelled while the slot was being taken
		s.finish(ctx, j, nil, context.Cause(ctx))
		return
	}
	s.update(j, func(r *jobRecord) {
		now := time.Now().UTC()
		if r.Status.Started == nil {
			r.Status.Started = &now
		}
		r.Status.Status = ogcapi.StatusRunning
		r.Status.Message = "running"
	})
	inputs := j.snapshot().Request.Inputs
	out, err := p.run(ctx, &runContext{s: s, j: j}, inputs)
	if ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	s.finish(ctx, j, out, err)
}

// finish records the outcome of a run.
func (s *Server) finish(ctx context.Context, j *job, out map[string]outputValue, err error) {
	switch {
	case errors.Is(err, errShutdown):
		// Leave the status as it is: New decides whether to resume or fail the job.
		s.update(j, func(r *jobRecord) {})
		return
	case errors.Is(err, errDismissed):
		return // Dismiss has already set the status
	}
	now := time.Now().UTC()
	s.update(j, func(r *jobRecord) {
		if r.Status.Status == ogcapi.StatusDismissed {
			return
		}
		r.Status.Finished = &now
		if err != nil {
			var p *problem
			if !errors.As(err, &p) {
				p = newProblem(http.StatusInternalServerError, excJobFailed, "Job failed", "%s", err.Error())
			}
			e := p.exception()
			r.Exception = &e
			r.Status.Status = ogcapi.StatusFailed
			r.Status.Message = p.Detail
			return
		}
		r.Results = out
		r.Status.Status = ogcapi.StatusSuccessful
		r.Status.Message = "finished"
		r.Status.Progress = intp(100)
	})
	_ = ctx
}

// failNow marks a job that will not run as failed.
func (s *Server) failNow(j *job, p *problem) {
	now := time.Now().UTC()
	e := p.exception()
	s.update(j, func(r *jobRecord) {
		r.Status.Status = ogcapi.StatusFailed
		r.Status.Message = p.Detail
		r.Status.Finished = &now
		r.Exception = &e
	})
}

// statusInfo is the job's status document for the request r.
func (s *Server) statusInfo(r *http.Request, rec jobRecord) ogcapi.StatusInfo {
	st := rec.Status
	base := s.baseURL(r)
	self := base + "/jobs/" + st.JobID
	st.Links = ogcapi.Links{
		{Href: self, Rel: "self", Type: "application/json", Title: "Job status"},
		{Href: base + "/jobs", Rel: "up", Type: "application/json", Title: "Job list"},
		{Href: base + "/processes/" + st.ProcessID, Rel: ogcapi.RelProcessDesc, Type: "application/json", Title: "Process description"},
	}
	switch st.Status {
	case ogcapi.StatusSuccessful:
		st.Links = append(st.Links, ogcapi.Link{Href: self + "/results", Rel: ogcapi.RelResults, Type: "application/json", Title: "Job results"})
	case ogcapi.StatusFailed:
		st.Links = append(st.Links, ogcapi.Link{Href: self + "/results", Rel: ogcapi.RelExceptions, Type: "application/problem+json", Title: "Reason of the failure"})
	}
	if rec.HasLog {
		st.Links = append(st.Links, ogcapi.Link{Href: self + "/log", Rel: "related", Type: "text/plain", Title: "Job log"})
	}
	return st
}

// runContext is what a running process uses to report on its job.
type runContext struct {
	s *Server
	j *job
}

// Progress sets the job's progress (0–100, kept below 100 until the job ends) and message.
func (rc *runContext) Progress(pct int, msg string) {
	pct = min(max(pct, 0), 99)
	rc.s.update(rc.j, func(r *jobRecord) {
		if r.Status.Status != ogcapi.StatusRunning {
			return
		}
		r.Status.Progress = &pct
		r.Status.Message = msg
	})
}

// Logf appends a time-stamped line to the job's log file.
func (rc *runContext) Logf(format string, args ...any) {
	line := time.Now().UTC().Format(time.RFC3339) + " " + fmt.Sprintf(format, args...) + "\n"
	st := rc.s.st
	f, err := st.fs.OpenFile(st.logPath(rc.j.id), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err == nil {
		_, err = f.Write([]byte(line))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		rc.s.log.Warn("local endpoint: cannot write job log", "job", rc.j.id, "err", err)
		return
	}
	rc.j.mu.Lock()
	has := rc.j.rec.HasLog
	rc.j.mu.Unlock()
	if !has {
		rc.s.update(rc.j, func(r *jobRecord) { r.HasLog = true })
	}
}

// State loads the checkpoint saved by SetState into v; false when there is none.
func (rc *runContext) State(v any) bool {
	st := rc.j.snapshot().State
	return len(st) > 0 && json.Unmarshal(st, v) == nil
}

// SetState saves a checkpoint from which a resumable process continues after a restart.
func (rc *runContext) SetState(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	rc.s.update(rc.j, func(r *jobRecord) { r.State = b })
}

// JobID is the id of the job being run.
func (rc *runContext) JobID() string { return rc.j.id }
