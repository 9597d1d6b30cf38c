package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/google/uuid"
)

// Local statuses, besides the OGC ones (ogcapi.StatusAccepted …), that a job can have
// before the server has confirmed it.
const (
	// StatusSubmitting: the job is stored and its execute request is being sent.
	StatusSubmitting = "submitting"
	// StatusSubmitUnknown: the execute request may or may not have reached the server
	// (the connection failed after sending, or geojobs stopped while sending). The
	// server may be running the job; the endpoint's job list can tell.
	StatusSubmitUnknown = "submit-unknown"
)

// Origins of a job.
const (
	OriginSubmitted = "submitted" // sent by this geojobs
	OriginImported  = "imported"  // found in an endpoint's job list
	OriginRerun     = "rerun"     // a re-run of another job (RerunOf)
)

// Event kinds.
const (
	EventStatus      = "status"      // status, progress or message changed
	EventUnreachable = "unreachable" // the server stopped answering
	EventReachable   = "reachable"   // … and answers again
	EventLost        = "lost"        // the server no longer knows the job
	EventResults     = "results"     // results (or the failure's details) stored
)

// Job is a job as geojobs knows it. Zero times mean "not (yet) known".
type Job struct {
	ID                string // local id (UUID)
	Seq               int64  // insertion order
	EndpointID        string
	ProcessID         string
	DescriptionSHA256 string          // sha256 (hex) of the process description JSON at submission
	Request           json.RawMessage // the exact execute request; nil in ListJobs
	AOI               json.RawMessage // GeoJSON, if the job has an area of interest
	RemoteID          string          // the server's job id
	URL               string          // the server's job URL
	Status            string
	Progress          *int
	Message           string
	Origin            string
	RerunOf           string
	Created           time.Time
	Started           time.Time
	Finished          time.Time
	Updated           time.Time
	LastPolled        time.Time
	UnreachableSince  time.Time
	UnreachableReason string
	// SignInKey is set, with UnreachableSince, when the job waits for its person:
	// the endpoint's oidc key whose sign-in ended. The job is kept and asked about
	// again once that key is signed in. Empty otherwise.
	SignInKey string
	Lost      time.Time       // when the server was found to have forgotten the job
	Results   json.RawMessage // nil in ListJobs
	ResultsAt time.Time
	Error     string
	Hidden    time.Time // dismissed locally
	// Label and Note are the user's: a short name shown in the list, and a longer note.
	Label, Note string
	// DeletedOnServer is when the user deleted the finished job on its server: the job
	// keeps its final status and is no longer asked about.
	DeletedOnServer time.Time
	// RequestHead is the execute request in ListJobs when it is at most 16 KiB (for a
	// summary of the inputs); nil otherwise.
	RequestHead json.RawMessage
}

// Terminal reports whether the job will not change any more on the server.
func (j Job) Terminal() bool { return ogcapi.Terminal(j.Status) }

// Open reports whether the job still needs tracking: not lost, and not terminal
// with its results (or failure details) stored.
func (j Job) Open() bool {
	return j.Lost.IsZero() && j.DeletedOnServer.IsZero() && (!j.Terminal() || j.ResultsAt.IsZero())
}

// NewJob is what CreateJob stores.
type NewJob struct {
	ID          string // default: a new UUID
	EndpointID  string
	ProcessID   string
	Description []byte // the process description JSON; its sha256 is stored
	Request     json.RawMessage
	AOI         json.RawMessage
	Status      string // default StatusSubmitting
	Progress    *int
	Message     string
	RemoteID    string
	URL         string
	Origin      string // default OriginSubmitted (OriginRerun when RerunOf is set)
	RerunOf     string
	At          time.Time // creation time; default now
}

// Statements of the status path, prepared once (see prepareAll).
const (
	qStatusOf   = "SELECT status, progress, message, unreachable_since, started_at, finished_at FROM jobs WHERE id = ?"
	qPolledSame = `UPDATE jobs SET last_polled_at = ?, unreachable_since = NULL, unreachable_reason = '', sign_in_key = '',
			lost_at = NULL, started_at = ?, finished_at = ? WHERE id = ?`
	qStatusChanged = `UPDATE jobs SET status = ?, progress = ?, message = ?, updated_at = ?, last_polled_at = ?,
		unreachable_since = NULL, unreachable_reason = '', sign_in_key = '', lost_at = NULL, started_at = ?, finished_at = ? WHERE id = ?`
	qAddEvent = "INSERT INTO job_events (job_id, at, kind, status, progress, message) VALUES (?, ?, ?, ?, ?, ?)"
	// qStatusMoved is the status write of a reachable job whose status, progress or
	// message changed, in one statement: it changes no row when nothing changed or
	// the job was unreachable (an EventReachable is then due), and recordStatus takes
	// the general path. Parameters: status, progress, message, at, started, finished, id.
	qStatusMoved = `UPDATE jobs SET status = ?1, progress = ?2, message = ?3, updated_at = ?4, last_polled_at = ?4,
		unreachable_reason = '', sign_in_key = '', lost_at = NULL, started_at = coalesce(started_at, ?5), finished_at = coalesce(finished_at, ?6)
		WHERE id = ?7 AND unreachable_since IS NULL AND (status IS NOT ?1 OR progress IS NOT ?2 OR message IS NOT ?3)`
)

// Statements of SetResults. Parameters: results, at, error, id; at, kind, message, id.
const (
	qSetResults = `UPDATE jobs SET results = ?1, results_at = ?2, error = ?3, updated_at = ?2,
		unreachable_since = NULL, unreachable_reason = '', sign_in_key = '' WHERE id = ?4`
	qResultsEvent = `INSERT INTO job_events (job_id, at, kind, status, progress, message)
		SELECT id, ?1, ?2, status, NULL, ?3 FROM jobs WHERE id = ?4`
)

var hotQueries = []string{qStatusOf, qPolledSame, qStatusChanged, qAddEvent, qStatusMoved, qSetResults, qResultsEvent}

// DescriptionHash returns the hex sha256 of a process description.
func DescriptionHash(desc []byte) string {
	if len(desc) == 0 {
		return ""
	}
	h := sha256.Sum256(desc)
	return hex.EncodeToString(h[:])
}

func validJSON(what string, b json.RawMessage) error {
	if len(b) > 0 && !json.Valid(b) {
		return fmt.Errorf("%w: %s is not valid JSON", ErrInvalid, what)
	}
	return nil
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// CreateJob stores a new job together with its first event, durably (the commit is
// on disk when it returns). ErrConflict if the endpoint already has a job with that
// server id; ErrInvalid for missing fields or malformed JSON.
func (s *Store) CreateJob(ctx context.Context, n NewJob) (Job, error) {
	if n.ID == "" {
		n.ID = uuid.NewString()
	}
	if n.EndpointID == "" || strings.TrimSpace(n.ProcessID) == "" {
		return Job{}, fmt.Errorf("create job: %w: endpoint and process are required", ErrInvalid)
	}
	for what, b := range map[string]json.RawMessage{"request": n.Request, "AOI": n.AOI} {
		if err := validJSON(what, b); err != nil {
			return Job{}, fmt.Errorf("store: create job: %w", err)
		}
	}
	if n.Status == "" {
		n.Status = StatusSubmitting
	}
	if n.Origin == "" {
		n.Origin = OriginSubmitted
		if n.RerunOf != "" {
			n.Origin = OriginRerun
		}
	}
	if n.At.IsZero() {
		n.At = time.Now()
	}
	at := ms2(n.At)
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, endpoint_id, process_id, description_sha256, request, aoi,
			remote_id, job_url, status, progress, message, origin, rerun_of, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.EndpointID, n.ProcessID, DescriptionHash(n.Description), nullJSON(n.Request), nullJSON(n.AOI),
			n.RemoteID, n.URL, n.Status, n.Progress, n.Message, n.Origin, n.RerunOf, at, at)
		if err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, n.ID, at, EventStatus, n.Status, n.Progress, n.Message); err != nil {
			return err
		}
		switch n.Origin {
		case OriginImported:
			return addAction(ctx, tx, n.ID, at, ActionImported, n.RemoteID)
		case OriginRerun:
			return addAction(ctx, tx, n.ID, at, ActionRerun, n.RerunOf)
		}
		return nil
	})
	if err != nil {
		switch {
		case isUnique(err):
			return Job{}, fmt.Errorf("create job: %w: endpoint %s already has job %q", ErrConflict, n.EndpointID, n.RemoteID)
		case isConstraint(err):
			return Job{}, fmt.Errorf("create job: %w: no endpoint %q", ErrNotFound, n.EndpointID)
		}
		return Job{}, fmt.Errorf("store: create job: %w", err)
	}
	return s.Job(ctx, n.ID)
}

func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, id string, at int64, kind, status string, progress *int, msg string) error {
	_, err := s.txExec(ctx, tx, qAddEvent,
		id, at, kind, status, progress, msg)
	return err
}

// Submitted records the server's answer to the execute request: its job id, job URL
// and first status, durably. From then on the job can be found again on the server.
func (s *Store) Submitted(ctx context.Context, id, remoteID, jobURL string, st ogcapi.StatusInfo, at time.Time) error {
	if remoteID == "" && jobURL == "" {
		return fmt.Errorf("job %s submitted: %w: neither a job id nor a job URL", id, ErrInvalid)
	}
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE jobs SET remote_id = ?, job_url = ? WHERE id = ?", remoteID, jobURL, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if st.Status == "" {
			st.Status = ogcapi.StatusAccepted
		}
		_, err = s.recordStatus(ctx, tx, id, st, at)
		return err
	})
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("job %s submitted: %w: another job has server id %q", id, ErrConflict, remoteID)
		}
		return fmt.Errorf("store: job %s submitted: %w", id, err)
	}
	return nil
}

// SubmitFailed records that the execute request of a job in StatusSubmitting did not
// give a job: refused by the server (status failed, reason in Error) or, with unknown
// set, with an outcome nobody knows (StatusSubmitUnknown). ErrConflict if the job is
// no longer submitting.
func (s *Store) SubmitFailed(ctx context.Context, id string, unknown bool, reason string, at time.Time) error {
	status := ogcapi.StatusFailed
	if unknown {
		status = StatusSubmitUnknown
	}
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		t := ms2(at)
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET status = ?, message = ?, error = ?, updated_at = ?,
			finished_at = CASE WHEN ? THEN ? ELSE finished_at END WHERE id = ? AND status = ?`,
			status, reason, reason, t, !unknown, t, id, StatusSubmitting)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var cur string
			if err := tx.QueryRowContext(ctx, "SELECT status FROM jobs WHERE id = ?", id).Scan(&cur); err != nil {
				return ErrNotFound
			}
			return fmt.Errorf("%w: the job is %s, not %s", ErrConflict, cur, StatusSubmitting)
		}
		return s.addEvent(ctx, tx, id, t, EventStatus, status, nil, reason)
	})
	if err != nil {
		return fmt.Errorf("store: job %s: %w", id, err)
	}
	return nil
}

// RecordStatus stores a status the server reported at time at. It always notes the
// poll time and clears "unreachable" (recording an EventReachable); it updates the
// job and appends an EventStatus only when status, progress or message changed, and
// reports whether they did.
func (s *Store) RecordStatus(ctx context.Context, id string, st ogcapi.StatusInfo, at time.Time) (changed bool, err error) {
	ch, errs := s.RecordStatuses(ctx, []StatusUpdate{{JobID: id, Status: st, At: at}})
	return ch[0], errs[0]
}

// StatusUpdate is a status a server reported for a job at time At.
type StatusUpdate struct {
	JobID  string
	Status ogcapi.StatusInfo
	At     time.Time
}

// RecordStatuses is RecordStatus for many jobs at once (the statuses of one poll
// round): they commit in one transaction, which they may share with other writes.
// changed[i] and errs[i] are the outcome of updates[i]; an unknown job is
// ErrNotFound and does not keep the others from being stored.
func (s *Store) RecordStatuses(ctx context.Context, updates []StatusUpdate) (changed []bool, errs []error) {
	changed, errs = make([]bool, len(updates)), make([]error, len(updates))
	ops := make([]groupOp, 0, len(updates))
	idx := make([]int, 0, len(updates))
	for i, u := range updates {
		if strings.TrimSpace(u.Status.Status) == "" {
			errs[i] = fmt.Errorf("job %s: %w: empty status", u.JobID, ErrInvalid)
			continue
		}
		idx = append(idx, i)
		ops = append(ops, func(ctx context.Context, tx *sql.Tx) (err error) {
			changed[i], err = s.recordStatus(ctx, tx, u.JobID, u.Status, u.At)
			return err
		})
	}
	if len(ops) == 0 {
		return changed, errs
	}
	res, err := s.group(ctx, ops...)
	for k, i := range idx {
		e := err
		if e == nil {
			e = res[k]
		}
		if e != nil {
			changed[i], errs[i] = false, fmt.Errorf("store: job %s: record status: %w", updates[i].JobID, e)
		}
	}
	return changed, errs
}

func (s *Store) recordStatus(ctx context.Context, tx *sql.Tx, id string, st ogcapi.StatusInfo, at time.Time) (bool, error) {
	// The monitor records a status only when it saw it change, so try the one-statement
	// write first; reading the row first made every status write three statements, and
	// the driver parses each statement anew on every execution.
	t := ms2(at)
	progress := st.Progress
	if progress != nil {
		p := min(max(*progress, 0), 100)
		progress = &p
	}
	var started, finished sql.NullInt64 // used only where the row has none yet
	if st.Started != nil {
		started = nullMS(*st.Started)
	} else if st.Status == ogcapi.StatusRunning || ogcapi.Terminal(st.Status) && st.Status != ogcapi.StatusDismissed {
		started = sql.NullInt64{Int64: t, Valid: true}
	}
	if ogcapi.Terminal(st.Status) {
		finished = sql.NullInt64{Int64: t, Valid: true}
		if st.Finished != nil {
			finished = nullMS(*st.Finished)
		}
	}
	res, err := s.txExec(ctx, tx, qStatusMoved, st.Status, progress, st.Message, t, started, finished, id)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, s.addEvent(ctx, tx, id, t, EventStatus, st.Status, progress, st.Message)
	}
	return s.recordStatusSlow(ctx, tx, id, st, at)
}

// recordStatusSlow is recordStatus for a job that is unreachable, unknown, or whose
// status did not change.
func (s *Store) recordStatusSlow(ctx context.Context, tx *sql.Tx, id string, st ogcapi.StatusInfo, at time.Time) (bool, error) {
	var cur struct {
		status, message string
		progress        sql.NullInt64
		unreachable     sql.NullInt64
		started         sql.NullInt64
		finished        sql.NullInt64
	}
	err := s.txQueryRow(ctx, tx, qStatusOf, id).
		Scan(&cur.status, &cur.progress, &cur.message, &cur.unreachable, &cur.started, &cur.finished)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, err
	}
	t := ms2(at)
	if cur.unreachable.Valid {
		if err := s.addEvent(ctx, tx, id, t, EventReachable, cur.status, nullInt(cur.progress), ""); err != nil {
			return false, err
		}
	}
	progress := st.Progress
	if progress != nil {
		p := min(max(*progress, 0), 100)
		progress = &p
	}
	changed := st.Status != cur.status || st.Message != cur.message ||
		(progress == nil) != !cur.progress.Valid || (progress != nil && int64(*progress) != cur.progress.Int64)
	started, finished := cur.started, cur.finished
	if !started.Valid {
		if st.Started != nil {
			started = nullMS(*st.Started)
		} else if st.Status == ogcapi.StatusRunning || ogcapi.Terminal(st.Status) && st.Status != ogcapi.StatusDismissed {
			started = sql.NullInt64{Int64: t, Valid: true}
		}
	}
	if ogcapi.Terminal(st.Status) && !finished.Valid {
		if st.Finished != nil {
			finished = nullMS(*st.Finished)
		} else {
			finished = sql.NullInt64{Int64: t, Valid: true}
		}
	}
	if !changed {
		_, err = s.txExec(ctx, tx, qPolledSame, t, started, finished, id)
		return false, err
	}
	_, err = s.txExec(ctx, tx, qStatusChanged,
		st.Status, progress, st.Message, t, t, started, finished, id)
	if err != nil {
		return false, err
	}
	return true, s.addEvent(ctx, tx, id, t, EventStatus, st.Status, progress, st.Message)
}

func nullInt(v sql.NullInt64) *int {
	if !v.Valid {
		return nil
	}
	n := int(v.Int64)
	return &n
}

// SetResults stores the results document of a successful job, or the details of a
// failed one (exception body, log links) with the server's reason in errText.
func (s *Store) SetResults(ctx context.Context, id string, results json.RawMessage, errText string, at time.Time) error {
	if err := validJSON("results", results); err != nil {
		return fmt.Errorf("store: job %s: %w", id, err)
	}
	errs, err := s.group(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Two statements rather than one UPDATE … RETURNING, which the driver runs
		// through a temporary table each time.
		t := ms2(at)
		res, err := s.txExec(ctx, tx, qSetResults, nullJSON(results), t, errText, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = s.txExec(ctx, tx, qResultsEvent, t, EventResults, errText, id)
		return err
	})
	if err == nil {
		err = errs[0]
	}
	if err != nil {
		return fmt.Errorf("store: job %s: set results: %w", id, err)
	}
	return nil
}

// MarkUnreachable notes that the server did not answer for the job (network, 5xx),
// or could not be asked: signInKey, when not empty, is the oidc key whose sign-in
// ended (Job.SignInKey). The first call since the job was last reachable sets
// UnreachableSince and appends an EventUnreachable; later ones only update the
// reason and the key. It reports whether it was the first.
func (s *Store) MarkUnreachable(ctx context.Context, id string, since time.Time, reason, signInKey string) (first bool, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var status string
		var cur sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT status, unreachable_since FROM jobs WHERE id = ?", id).Scan(&status, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		t := ms2(since)
		if cur.Valid {
			_, err = tx.ExecContext(ctx, "UPDATE jobs SET unreachable_reason = ?, sign_in_key = ?, last_polled_at = ? WHERE id = ?",
				reason, signInKey, t, id)
			return err
		}
		first = true
		if _, err := tx.ExecContext(ctx, "UPDATE jobs SET unreachable_since = ?, unreachable_reason = ?, sign_in_key = ?, last_polled_at = ? WHERE id = ?",
			t, reason, signInKey, t, id); err != nil {
			return err
		}
		return s.addEvent(ctx, tx, id, t, EventUnreachable, status, nil, reason)
	})
	if err != nil {
		return false, fmt.Errorf("store: job %s: mark unreachable: %w", id, err)
	}
	return first, nil
}

// Limits of SetLabel.
const (
	MaxLabel = 120
	MaxNote  = 4000
)

// SetLabel sets the user's label and note of a job (trimmed; ErrInvalid when longer
// than MaxLabel or MaxNote characters).
func (s *Store) SetLabel(ctx context.Context, id, label, note string) error {
	label, note = strings.TrimSpace(label), strings.TrimSpace(note)
	if utf8.RuneCountInString(label) > MaxLabel || utf8.RuneCountInString(note) > MaxNote {
		return fmt.Errorf("store: job %s: %w: a label has at most %d characters, a note %d", id, ErrInvalid, MaxLabel, MaxNote)
	}
	res, err := s.w.ExecContext(ctx, "UPDATE jobs SET label = ?, note = ?, updated_at = max(updated_at + 1, ?) WHERE id = ?",
		label, note, ms2(time.Now()), id)
	if err != nil {
		return fmt.Errorf("store: job %s: set label: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: job %s: %w", id, ErrNotFound)
	}
	return nil
}

// MarkDeletedOnServer notes that the user deleted the finished job on its server. The
// job keeps its status, results and history.
func (s *Store) MarkDeletedOnServer(ctx context.Context, id string, at time.Time) error {
	t := ms2(at)
	res, err := s.w.ExecContext(ctx, "UPDATE jobs SET deleted_on_server_at = ?, updated_at = max(updated_at + 1, ?) WHERE id = ?", t, t, id)
	if err != nil {
		return fmt.Errorf("store: job %s: mark deleted on the server: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: job %s: %w", id, ErrNotFound)
	}
	return nil
}

// MarkLost notes that the server no longer knows the job (404 no-such-job). The job
// keeps its status and history; it is no longer tracked.
func (s *Store) MarkLost(ctx context.Context, id string, at time.Time, reason string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t := ms2(at)
		var status string
		err := tx.QueryRowContext(ctx, `UPDATE jobs SET lost_at = ?, unreachable_since = NULL, unreachable_reason = '', sign_in_key = '',
			last_polled_at = ?, updated_at = ? WHERE id = ? RETURNING status`, t, t, t, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return s.addEvent(ctx, tx, id, t, EventLost, status, nil, reason)
	})
	if err != nil {
		return fmt.Errorf("store: job %s: mark lost: %w", id, err)
	}
	return nil
}

// Polled notes when jobs were last polled without any change; the monitor calls it in
// batches so that an unchanged poll costs no write of its own.
func (s *Store) Polled(ctx context.Context, at map[string]time.Time) error {
	if len(at) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "UPDATE jobs SET last_polled_at = max(coalesce(last_polled_at, 0), ?) WHERE id = ?")
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, t := range at {
			if _, err := stmt.ExecContext(ctx, ms2(t), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: note polls: %w", err)
	}
	return nil
}
