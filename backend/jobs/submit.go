package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/google/uuid"
)

// Submission is a job to run.
type Submission struct {
	// ID is the local job id to store the job under; default a new UUID. A batch
	// records it before submitting, so a restart knows whether the job was stored.
	ID         string
	EndpointID string
	ProcessID  string
	// Process is the process description the request was built from; it saves the
	// client a request and its hash is stored with the job. Optional.
	Process *ogcapi.Process
	// Description is the description JSON as the server sent it, for the stored hash;
	// default: Process marshalled.
	Description []byte
	Request     *ogcapi.Execute
	// Mode is how the job is to run. Auto (the zero value) and Async ask for async
	// execution (Prefer: respond-async) when the process description allows it; Sync
	// sends no preference, and a server that can runs the job while the request waits.
	Mode    ogcapi.Mode
	AOI     json.RawMessage // GeoJSON of the area of interest, if any
	RerunOf string          // local id of the job this one re-runs
}

// Submit runs a process as a job that survives a crash at any moment: the job is
// stored (durably) as "submitting" before the execute request leaves, and the server's
// job id is stored (durably) as soon as it answers. If the request fails without an
// answer from the server, the job is kept as submit-unknown (the server may have
// started it); if the server refuses it, the job is kept as failed with the reason.
// Submit returns the stored job; its error is the execute request's when the job did
// not start.
func (m *Monitor) Submit(ctx context.Context, sub Submission) (store.Job, error) {
	if sub.Request == nil {
		return store.Job{}, errors.New("jobs: submit: no execute request")
	}
	reqJSON, err := json.Marshal(sub.Request)
	if err != nil {
		return store.Job{}, fmt.Errorf("jobs: submit: %w", err)
	}
	desc := sub.Description
	if desc == nil && sub.Process != nil {
		desc, _ = json.Marshal(sub.Process)
	}
	id := sub.ID
	if id == "" {
		id = uuid.NewString()
	}
	m.mu.Lock()
	m.submitting[id] = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.submitting, id)
		m.mu.Unlock()
	}()
	j, err := m.st.CreateJob(ctx, store.NewJob{ID: id, EndpointID: sub.EndpointID, ProcessID: sub.ProcessID,
		Description: desc, Request: reqJSON, AOI: sub.AOI, RerunOf: sub.RerunOf})
	if err != nil {
		return store.Job{}, fmt.Errorf("jobs: submit: %w", err)
	}
	m.emitJob(j)
	remote, err := m.cfg.ClientFor(ctx, sub.EndpointID)
	if err != nil {
		return m.refused(ctx, j, false, fmt.Errorf("jobs: submit: endpoint %s: %w", sub.EndpointID, err))
	}
	ex, err := remote.Execute(ctx, sub.ProcessID, sub.Request, ogcapi.ExecOptions{Mode: sub.Mode, Process: sub.Process})
	if err != nil {
		return m.refused(ctx, j, outcomeUnknown(err), err)
	}
	// The job exists on the server: record it even if the caller has given up meanwhile.
	sctx := context.WithoutCancel(ctx)
	now := time.Now()
	switch {
	case ex.Async():
		remoteID := ex.Job.JobID
		if err := m.st.Submitted(sctx, j.ID, remoteID, ex.JobURL, *ex.Job, now); errors.Is(err, store.ErrConflict) {
			// A server that hands out a job id twice: following it would mix two jobs.
			return m.refused(sctx, j, false, fmt.Errorf("jobs: submit: the server answered job id %q, which another job of this endpoint already has; "+
				"this job cannot be followed (the server reuses job ids)", remoteID))
		} else if err != nil {
			return j, fmt.Errorf("jobs: submit: the server started job %q but it could not be recorded: %w", remoteID, err)
		}
	default: // the server ran it synchronously
		st := ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful, Progress: intp(100)}
		if ex.JobURL != "" {
			err = m.st.Submitted(sctx, j.ID, "", ex.JobURL, st, now)
		} else {
			_, err = m.st.RecordStatus(sctx, j.ID, st, now)
		}
		if err == nil && ex.Results != nil {
			err = m.st.SetResults(sctx, j.ID, encodeResults(ex.Results), "", now)
		}
		if err != nil {
			return j, fmt.Errorf("jobs: submit: %w", err)
		}
	}
	j, err = m.st.Job(sctx, j.ID)
	if err != nil {
		return j, fmt.Errorf("jobs: submit: %w", err)
	}
	c := changeOf(j)
	if !ex.Async() {
		c.Outputs = ex.Results // a synchronous answer: stored above
	}
	m.cfg.OnChange(c)
	if j.Open() {
		m.trackNew(j)
	}
	return j, nil
}

// outcomeUnknown reports whether a failed execute request may nevertheless have
// created a job: no answer came back after the request may have been sent, or a
// gateway answered in the server's place.
func outcomeUnknown(err error) bool {
	var ae *ogcapi.APIError
	if !errors.As(err, &ae) {
		return true
	}
	if ae.Method != http.MethodPost {
		return false // failed while reading the description: nothing was sent
	}
	switch {
	case ae.Code == ogcapi.InvalidInput && ae.Status == 0:
		return false // refused by the client before sending
	case errors.Is(err, netpolicy.ErrRefused):
		return false // the server answered, with a redirect geojobs does not follow
	case ae.Status == 0:
		return true
	case ae.Status == http.StatusBadGateway, ae.Status == http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (m *Monitor) refused(ctx context.Context, j store.Job, unknown bool, cause error) (store.Job, error) {
	reason := cause.Error()
	if unknown {
		reason = "no answer from the server; it may or may not have started the job (import the endpoint's jobs to find it): " + reason
	}
	sctx := context.WithoutCancel(ctx)
	if err := m.st.SubmitFailed(sctx, j.ID, unknown, reason, time.Now()); err != nil {
		return j, errors.Join(cause, err)
	}
	if fresh, err := m.st.Job(sctx, j.ID); err == nil {
		j = fresh
		m.emitJob(j)
	}
	return j, cause
}

func (m *Monitor) emitJob(j store.Job) { m.cfg.OnChange(changeOf(j)) }

// changeOf is the change that j, as stored, is.
func changeOf(j store.Job) Change {
	return Change{JobID: j.ID, EndpointID: j.EndpointID, ProcessID: j.ProcessID, Status: j.Status, Progress: j.Progress,
		Message: j.Message, UnreachableSince: j.UnreachableSince, UnreachableReason: j.UnreachableReason, SignInKey: j.SignInKey,
		Lost: !j.Lost.IsZero(), Results: !j.ResultsAt.IsZero(), Error: j.Error, At: time.Now()}
}

func intp(n int) *int { return &n }

// maxImportPages bounds how many pages of a job list Import follows.
const maxImportPages = 200

// Import adds the jobs an endpoint lists (GET /jobs) that the store does not have yet
// and tracks them; it returns how many it added.
func (m *Monitor) Import(ctx context.Context, endpointID string) (int, error) {
	remote, err := m.cfg.ClientFor(ctx, endpointID)
	if err != nil {
		return 0, fmt.Errorf("jobs: import: endpoint %s: %w", endpointID, err)
	}
	list, err := remote.Jobs(ctx, ogcapi.JobFilter{})
	if err != nil {
		return 0, fmt.Errorf("jobs: import from %s: %w", endpointID, err)
	}
	added := 0
	seen := map[string]bool{}
	for page := 0; ; page++ {
		for _, st := range list.Jobs {
			ok, err := m.importOne(ctx, endpointID, st)
			if err != nil {
				return added, err
			}
			if ok {
				added++
			}
		}
		next, ok := list.Links.Find("next", "")
		if !ok || seen[next.Href] || page+1 >= maxImportPages {
			break
		}
		seen[next.Href] = true
		if list, err = remote.JobsPage(ctx, next.Href); err != nil {
			return added, fmt.Errorf("jobs: import from %s: %w", endpointID, err)
		}
	}
	return added, nil
}

func (m *Monitor) importOne(ctx context.Context, endpointID string, st ogcapi.StatusInfo) (bool, error) {
	if st.JobID == "" || st.Status == "" {
		return false, nil // nothing to track it by
	}
	if _, err := m.st.JobByRemote(ctx, endpointID, st.JobID); err == nil {
		return false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("jobs: import: %w", err)
	}
	jobURL := ""
	for _, rel := range []string{"self", "status", "monitor"} {
		if l, ok := st.Links.Find(rel, "application/json"); ok {
			jobURL = l.Href
			break
		}
	}
	created := time.Now()
	if st.Created != nil {
		created = *st.Created
	}
	j, err := m.st.CreateJob(ctx, store.NewJob{EndpointID: endpointID, ProcessID: cmp.Or(st.ProcessID, "unknown"),
		Status: st.Status, Progress: st.Progress, Message: st.Message, RemoteID: st.JobID, URL: jobURL,
		Origin: store.OriginImported, At: created})
	if errors.Is(err, store.ErrConflict) {
		return false, nil // imported meanwhile
	}
	if err != nil {
		return false, fmt.Errorf("jobs: import: %w", err)
	}
	m.emitJob(j)
	m.trackNew(j)
	return true, nil
}

// Dismiss asks the server to dismiss (cancel or remove) a job and records the answer.
func (m *Monitor) Dismiss(ctx context.Context, jobID string) error {
	j, err := m.st.Job(ctx, jobID)
	if err != nil {
		return fmt.Errorf("jobs: dismiss: %w", err)
	}
	ref := cmp.Or(j.URL, j.RemoteID)
	if ref == "" {
		return fmt.Errorf("jobs: dismiss: job %s has no server job (status %s)", jobID, j.Status)
	}
	remote, err := m.cfg.ClientFor(ctx, j.EndpointID)
	if err != nil {
		return fmt.Errorf("jobs: dismiss: endpoint %s: %w", j.EndpointID, err)
	}
	now := time.Now()
	if err := m.st.AddAction(ctx, jobID, store.ActionDismissRequested, "", now); err != nil {
		return fmt.Errorf("jobs: dismiss: %w", err)
	}
	finished := j.Terminal() && j.Status != ogcapi.StatusDismissed
	st, err := remote.Dismiss(ctx, ref)
	if err != nil {
		if finished && ogcapi.CodeOf(err) == ogcapi.NoSuchJob {
			err = nil // deleted already: what was asked
		} else {
			return fmt.Errorf("jobs: dismiss: %w", err)
		}
	}
	now = time.Now()
	if finished {
		// Dismissing a finished job deletes it and its results on the server. The job
		// ended as it did: it keeps its status, results and history, marked deleted
		// on the server and no longer asked about.
		m.do(func(l *loop) { l.untrack(jobID) })
		if err := m.st.MarkDeletedOnServer(ctx, jobID, now); err != nil {
			return fmt.Errorf("jobs: delete on the server: %w", err)
		}
		if j, err = m.st.Job(ctx, jobID); err == nil {
			m.emitJob(j)
		}
		return nil
	}
	if st.Status == "" {
		st.Status = ogcapi.StatusDismissed
	}
	if _, err := m.st.RecordStatus(ctx, jobID, *st, now); err != nil {
		return fmt.Errorf("jobs: dismiss: %w", err)
	}
	if ogcapi.Terminal(st.Status) {
		// A dismissed job is often removed from the server: stop asking about it.
		m.do(func(l *loop) { l.untrack(jobID) })
		if err := m.st.SetResults(ctx, jobID, nil, "dismissed at the user's request", now); err != nil {
			return fmt.Errorf("jobs: dismiss: %w", err)
		}
	}
	if j, err = m.st.Job(ctx, jobID); err == nil {
		m.emitJob(j)
	}
	return nil
}
