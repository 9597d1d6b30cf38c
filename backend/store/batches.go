package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Batch is one process run over many inputs: its member jobs are ordinary jobs.
type Batch struct {
	ID, EndpointID, ProcessID string
	Title                     string
	Kind                      string          // items, features, dates, sweep
	Request                   json.RawMessage // the base execute request
	Created, Updated, Hidden  time.Time
	Counts                    BatchCounts
}

// BatchCounts aggregate a batch's members by the state of their jobs.
type BatchCounts struct {
	Total     int
	Waiting   int // not submitted yet
	Running   int // submitted, not finished
	Succeeded int
	Failed    int // failed, dismissed, lost, or not known to have started
	Canceled  int // never to be submitted
}

// Done reports whether no member will change any more.
func (c BatchCounts) Done() bool { return c.Waiting == 0 && c.Running == 0 }

// NewBatch is what CreateBatch stores.
type NewBatch struct {
	ID                           string // default: a new UUID
	EndpointID, ProcessID, Title string
	Kind                         string
	Request                      json.RawMessage
	Description                  []byte
	Members                      []NewBatchMember
	At                           time.Time
}

// NewBatchMember is one member of a NewBatch.
type NewBatchMember struct {
	Line   int
	Label  string
	Inputs json.RawMessage // JSON object of input overrides
	AOI    json.RawMessage // GeoJSON, optional
}

// BatchMember is a member with its job's state.
type BatchMember struct {
	BatchID   string
	Line      int
	Label     string
	Inputs    json.RawMessage
	AOI       json.RawMessage
	JobID     string // "" before submission
	Attempts  int
	NotBefore time.Time
	Canceled  bool
	// The job's state; Status is "" while the member waits.
	Status   string
	Progress *int
	Message  string
	Items    bool // the job's results are stored as STAC
}

// State is the member's place in BatchCounts: waiting, running, succeeded, failed, canceled.
func (m BatchMember) State() string {
	switch {
	case m.Status == "" && m.Canceled:
		return "canceled"
	case m.Status == "":
		return "waiting"
	}
	return memberState(m.Status)
}

func memberState(status string) string {
	switch status {
	case "successful":
		return "succeeded"
	case "failed", "dismissed", StatusSubmitUnknown, "lost":
		return "failed"
	}
	return "running"
}

// memberStatus is the SQL of a member's job status ("" while waiting, "lost" for a lost job).
const memberStatus = `CASE WHEN j.id IS NULL THEN '' WHEN j.lost_at IS NOT NULL THEN 'lost' ELSE j.status END`

// CreateBatch stores a batch and its members in one durable transaction.
func (s *Store) CreateBatch(ctx context.Context, n NewBatch) (Batch, error) {
	if n.ID == "" {
		n.ID = uuid.NewString()
	}
	if n.EndpointID == "" || strings.TrimSpace(n.ProcessID) == "" || len(n.Members) == 0 {
		return Batch{}, fmt.Errorf("store: create batch: %w: endpoint, process and members are required", ErrInvalid)
	}
	if err := validJSON("request", n.Request); err != nil || n.Request == nil {
		return Batch{}, fmt.Errorf("store: create batch: %w: the base request must be JSON", ErrInvalid)
	}
	if n.Kind == "" {
		n.Kind = "sweep"
	}
	if n.At.IsZero() {
		n.At = time.Now()
	}
	at := ms2(n.At)
	err := s.durableTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO batches (id, endpoint_id, process_id, title, kind, request,
			description_sha256, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			n.ID, n.EndpointID, n.ProcessID, n.Title, n.Kind, string(n.Request), DescriptionHash(n.Description), at, at); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO batch_members (batch_id, line, label, inputs, aoi) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, m := range n.Members {
			if err := validJSON("member inputs", m.Inputs); err != nil || m.Inputs == nil {
				return fmt.Errorf("%w: member %d: inputs must be a JSON object", ErrInvalid, m.Line)
			}
			if _, err := stmt.ExecContext(ctx, n.ID, m.Line, m.Label, string(m.Inputs), nullJSON(m.AOI)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if isConstraint(err) && !isUnique(err) {
			return Batch{}, fmt.Errorf("store: create batch: %w: no endpoint %q", ErrNotFound, n.EndpointID)
		}
		return Batch{}, fmt.Errorf("store: create batch: %w", err)
	}
	return s.Batch(ctx, n.ID)
}

const batchCols = `b.id, b.endpoint_id, b.process_id, b.title, b.kind, b.request, b.created_at, b.updated_at, b.hidden_at`

func scanBatch(sc interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var req string
	var created, updated int64
	var hidden sql.NullInt64
	if err := sc.Scan(&b.ID, &b.EndpointID, &b.ProcessID, &b.Title, &b.Kind, &req, &created, &updated, &hidden); err != nil {
		return b, err
	}
	b.Request = json.RawMessage(req)
	b.Created, b.Updated, b.Hidden = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC(), fromMS(hidden)
	return b, nil
}

// Batch returns one batch with its counts; ErrNotFound if there is none.
func (s *Store) Batch(ctx context.Context, id string) (Batch, error) {
	b, err := scanBatch(s.r.QueryRowContext(ctx, "SELECT "+batchCols+" FROM batches b WHERE b.id = ?", id))
	if err == sql.ErrNoRows {
		return b, fmt.Errorf("store: batch %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("store: batch: %w", err)
	}
	counts, err := s.batchCounts(ctx, []string{id})
	if err != nil {
		return b, err
	}
	b.Counts = counts[id]
	return b, nil
}

// Batches lists batches, newest first (hidden ones only with withHidden).
func (s *Store) Batches(ctx context.Context, withHidden bool) ([]Batch, error) {
	q := "SELECT " + batchCols + " FROM batches b"
	if !withHidden {
		q += " WHERE b.hidden_at IS NULL"
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY b.created_at DESC")
	if err != nil {
		return nil, fmt.Errorf("store: batches: %w", err)
	}
	defer rows.Close()
	var out []Batch
	var ids []string
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("store: batches: %w", err)
		}
		out = append(out, b)
		ids = append(ids, b.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: batches: %w", err)
	}
	counts, err := s.batchCounts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Counts = counts[out[i].ID]
	}
	return out, nil
}

func (s *Store) batchCounts(ctx context.Context, ids []string) (map[string]BatchCounts, error) {
	out := map[string]BatchCounts{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT m.batch_id, `+memberStatus+`, m.canceled, count(*)
		FROM batch_members m LEFT JOIN jobs j ON j.id = m.job_id AND m.job_id <> ''
		WHERE m.batch_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) GROUP BY 1, 2, 3`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: batch counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		var canceled, n int
		if err := rows.Scan(&id, &status, &canceled, &n); err != nil {
			return nil, fmt.Errorf("store: batch counts: %w", err)
		}
		c := out[id]
		c.Total += n
		switch (BatchMember{Status: status, Canceled: canceled == 1}).State() {
		case "waiting":
			c.Waiting += n
		case "canceled":
			c.Canceled += n
		case "succeeded":
			c.Succeeded += n
		case "failed":
			c.Failed += n
		default:
			c.Running += n
		}
		out[id] = c
	}
	return out, rows.Err()
}

// BatchMembers returns a batch's members in line order with their jobs' state.
func (s *Store) BatchMembers(ctx context.Context, batchID string) ([]BatchMember, error) {
	return s.queryMembers(ctx, "WHERE m.batch_id = ? ORDER BY m.line", batchID)
}

// JobBatch returns the id of the batch a job was submitted for; "" for a job of no
// batch.
func (s *Store) JobBatch(ctx context.Context, jobID string) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, "SELECT batch_id FROM batch_members WHERE job_id = ? AND job_id <> '' LIMIT 1", jobID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: batch of job %s: %w", jobID, err)
	}
	return id, nil
}

func (s *Store) queryMembers(ctx context.Context, where string, args ...any) ([]BatchMember, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.batch_id, m.line, m.label, m.inputs, m.aoi, m.job_id, m.attempts,
		m.not_before, m.canceled, `+memberStatus+`, j.progress, coalesce(j.message, ''), j.items IS NOT NULL
		FROM batch_members m LEFT JOIN jobs j ON j.id = m.job_id AND m.job_id <> '' `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: batch members: %w", err)
	}
	defer rows.Close()
	var out []BatchMember
	for rows.Next() {
		var m BatchMember
		var inputs string
		var aoi sql.NullString
		var notBefore, progress sql.NullInt64
		var canceled int
		var items sql.NullBool
		if err := rows.Scan(&m.BatchID, &m.Line, &m.Label, &inputs, &aoi, &m.JobID, &m.Attempts, &notBefore, &canceled,
			&m.Status, &progress, &m.Message, &items); err != nil {
			return nil, fmt.Errorf("store: batch members: %w", err)
		}
		m.Inputs = json.RawMessage(inputs)
		if aoi.Valid {
			m.AOI = json.RawMessage(aoi.String)
		}
		m.NotBefore, m.Canceled, m.Progress, m.Items = fromMS(notBefore), canceled == 1, nullInt(progress), items.Valid && items.Bool
		out = append(out, m)
	}
	return out, rows.Err()
}

// WaitingMembers returns up to limit members of endpoint's visible batches that are
// due for submission at now (not submitted, or whose submission never started), oldest
// batch first.
func (s *Store) WaitingMembers(ctx context.Context, endpointID string, now time.Time, limit int) ([]BatchMember, error) {
	return s.queryMembers(ctx, `JOIN batches b ON b.id = m.batch_id
		WHERE b.endpoint_id = ? AND b.hidden_at IS NULL AND m.canceled = 0 AND j.id IS NULL
		  AND coalesce(m.not_before, 0) <= ? ORDER BY b.created_at, m.batch_id, m.line LIMIT ?`, endpointID, ms2(now), limit)
}

// NextWaiting returns when the earliest deferred waiting member of endpoint becomes
// due, and whether any member waits at all.
func (s *Store) NextWaiting(ctx context.Context, endpointID string) (time.Time, bool, error) {
	var next sql.NullInt64
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*), min(coalesce(m.not_before, 0)) FROM batch_members m
		JOIN batches b ON b.id = m.batch_id LEFT JOIN jobs j ON j.id = m.job_id AND m.job_id <> ''
		WHERE b.endpoint_id = ? AND b.hidden_at IS NULL AND m.canceled = 0 AND j.id IS NULL`, endpointID).Scan(&n, &next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next waiting: %w", err)
	}
	return fromMS(next), n > 0, nil
}

// BatchEndpoints are the endpoints of visible batches that have waiting members.
func (s *Store) BatchEndpoints(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT b.endpoint_id FROM batch_members m JOIN batches b ON b.id = m.batch_id
		LEFT JOIN jobs j ON j.id = m.job_id AND m.job_id <> ''
		WHERE b.hidden_at IS NULL AND m.canceled = 0 AND j.id IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store: batch endpoints: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// InFlight counts endpoint's batch member jobs that are submitted and not finished.
func (s *Store) InFlight(ctx context.Context, endpointID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM batch_members m JOIN batches b ON b.id = m.batch_id
		JOIN jobs j ON j.id = m.job_id AND m.job_id <> ''
		WHERE b.endpoint_id = ? AND j.lost_at IS NULL AND j.status NOT IN ('successful', 'failed', 'dismissed', ?)`,
		endpointID, StatusSubmitUnknown).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: in flight: %w", err)
	}
	return n, nil
}

// AttachMember records, durably, the job id a member is about to be submitted as.
func (s *Store) AttachMember(ctx context.Context, batchID string, line int, jobID string) error {
	return s.durableTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE batch_members SET job_id = ?, attempts = attempts + 1, not_before = NULL
			WHERE batch_id = ? AND line = ?`, jobID, batchID, line)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("store: attach member: %w: batch %q line %d", ErrNotFound, batchID, line)
		}
		return touchBatch(ctx, tx, batchID)
	})
}

// DeferMember puts a member back to waiting until until (the server refused the
// submission for now); its refused job, if stored, is deleted.
func (s *Store) DeferMember(ctx context.Context, batchID string, line int, until time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id = (SELECT job_id FROM batch_members
			WHERE batch_id = ? AND line = ? AND job_id <> '')`, batchID, line); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE batch_members SET job_id = '', not_before = ? WHERE batch_id = ? AND line = ?`,
			ms2(until), batchID, line)
		return err
	})
}

// RetryFailedMembers puts the failed members of a batch back to waiting; their old jobs
// stay in the store, hidden. It returns how many.
func (s *Store) RetryFailedMembers(ctx context.Context, batchID string, at time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		failed := `SELECT m.job_id FROM batch_members m JOIN jobs j ON j.id = m.job_id AND m.job_id <> ''
			WHERE m.batch_id = ? AND (j.lost_at IS NOT NULL OR j.status IN ('failed', 'dismissed', ?))`
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET hidden_at = ? WHERE id IN (`+failed+`)`, ms2(at), batchID, StatusSubmitUnknown); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE batch_members SET job_id = '', not_before = NULL, canceled = 0
			WHERE batch_id = ? AND job_id IN (`+failed+`)`, batchID, batchID, StatusSubmitUnknown)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return touchBatch(ctx, tx, batchID)
	})
	if err != nil {
		return 0, fmt.Errorf("store: retry failed members: %w", err)
	}
	return int(n), nil
}

// CancelWaitingMembers marks the members not submitted yet as never to be. It returns how many.
func (s *Store) CancelWaitingMembers(ctx context.Context, batchID string) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE batch_members SET canceled = 1 WHERE batch_id = ? AND canceled = 0
			AND (job_id = '' OR NOT EXISTS (SELECT 1 FROM jobs WHERE id = batch_members.job_id))`, batchID)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return touchBatch(ctx, tx, batchID)
	})
	if err != nil {
		return 0, fmt.Errorf("store: cancel members: %w", err)
	}
	return int(n), nil
}

// HideBatch hides a batch (and stops its waiting members) from the list.
func (s *Store) HideBatch(ctx context.Context, batchID string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE batches SET hidden_at = ?, updated_at = ? WHERE id = ?`, ms2(at), ms2(at), batchID)
		return err
	})
}

func touchBatch(ctx context.Context, tx *sql.Tx, batchID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE batches SET updated_at = ? WHERE id = ?`, ms2(time.Now()), batchID)
	return err
}
