package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Column lists: ListJobs leaves out the potentially large request and results.
const (
	jobColsLight = `id, seq, endpoint_id, process_id, description_sha256, aoi, remote_id, job_url, status, progress,
		message, origin, rerun_of, created_at, started_at, finished_at, updated_at, last_polled_at, unreachable_since,
		unreachable_reason, lost_at, results_at, error, hidden_at, label, note, deleted_on_server_at, sign_in_key`
	jobColsFull = jobColsLight + ", request, results"
	// jobColsList adds the request when it is small, for the list's summary of inputs.
	jobColsList    = jobColsLight + ", CASE WHEN length(request) <= " + maxRequestHead + " THEN request END"
	maxRequestHead = "16384"
)

// Column sets of scanJob.
const (
	colsLight = iota
	colsFull
	colsList
)

func scanJob(sc interface{ Scan(...any) error }, cols int) (Job, error) {
	var j Job
	var aoi, request, results, head sql.NullString
	var progress, started, finished, polled, unreachable, lost, resultsAt, hidden, deleted sql.NullInt64
	var created, updated int64
	dest := []any{&j.ID, &j.Seq, &j.EndpointID, &j.ProcessID, &j.DescriptionSHA256, &aoi, &j.RemoteID, &j.URL,
		&j.Status, &progress, &j.Message, &j.Origin, &j.RerunOf, &created, &started, &finished, &updated, &polled,
		&unreachable, &j.UnreachableReason, &lost, &resultsAt, &j.Error, &hidden, &j.Label, &j.Note, &deleted, &j.SignInKey}
	switch cols {
	case colsFull:
		dest = append(dest, &request, &results)
	case colsList:
		dest = append(dest, &head)
	}
	if err := sc.Scan(dest...); err != nil {
		return j, err
	}
	if aoi.Valid {
		j.AOI = []byte(aoi.String)
	}
	if request.Valid {
		j.Request = []byte(request.String)
	}
	if results.Valid {
		j.Results = []byte(results.String)
	}
	if head.Valid {
		j.RequestHead = []byte(head.String)
	}
	j.DeletedOnServer = fromMS(deleted)
	j.Progress = nullInt(progress)
	j.Created, j.Updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	j.Started, j.Finished, j.LastPolled = fromMS(started), fromMS(finished), fromMS(polled)
	j.UnreachableSince, j.Lost, j.ResultsAt, j.Hidden = fromMS(unreachable), fromMS(lost), fromMS(resultsAt), fromMS(hidden)
	return j, nil
}

// Job returns one job with its request and results; ErrNotFound if there is none.
func (s *Store) Job(ctx context.Context, id string) (Job, error) {
	j, err := scanJob(s.r.QueryRowContext(ctx, "SELECT "+jobColsFull+" FROM jobs WHERE id = ?", id), colsFull)
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return j, fmt.Errorf("store: job %q: %w", id, err)
	}
	return j, nil
}

// JobIDByPrefix returns the id of the one job whose id starts with prefix (as a short
// id typed on the command line); ErrNotFound if none, ErrConflict when several do.
func (s *Store) JobIDByPrefix(ctx context.Context, prefix string) (string, error) {
	if prefix == "" {
		return "", fmt.Errorf("store: job id prefix: %w", ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM jobs WHERE id LIKE ? ESCAPE '\' LIMIT 2`, escapeLike(prefix)+"%")
	if err != nil {
		return "", fmt.Errorf("store: job id prefix %q: %w", prefix, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("store: no job id starts with %q: %w", prefix, ErrNotFound)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("store: several job ids start with %q (give more of it): %w", prefix, ErrConflict)
}

// JobByRemote returns the job an endpoint knows by remoteID; ErrNotFound if none.
func (s *Store) JobByRemote(ctx context.Context, endpointID, remoteID string) (Job, error) {
	j, err := scanJob(s.r.QueryRowContext(ctx, "SELECT "+jobColsFull+" FROM jobs WHERE endpoint_id = ? AND remote_id = ? AND remote_id <> ''",
		endpointID, remoteID), colsFull)
	if errors.Is(err, sql.ErrNoRows) {
		return j, fmt.Errorf("job %q of endpoint %q: %w", remoteID, endpointID, ErrNotFound)
	}
	if err != nil {
		return j, fmt.Errorf("store: job %q of endpoint %q: %w", remoteID, endpointID, err)
	}
	return j, nil
}

// Filter selects jobs for ListJobs. Zero fields do not filter.
type Filter struct {
	Endpoint string
	// Process matches a part of the process id, case-insensitively.
	Process  string
	Status   []string  // any of these
	From, To time.Time // creation time, From inclusive, To exclusive
	// Text matches (case-insensitively) a part of the process id, the server's job id,
	// the local id, the message, the label or the note.
	Text string
	// Limit is the page size: default 50, at most 500.
	Limit int
	// Cursor continues after the page that returned it (Page.Next).
	Cursor string
	// WithHidden includes the jobs dismissed locally.
	WithHidden bool
	// WithBatchMembers includes the jobs of batches, which the list otherwise shows as
	// one row per batch (Batches).
	WithBatchMembers bool
	// UpdatedSince selects the jobs changed or polled after this time (what a page
	// that read the list then may have missed).
	UpdatedSince time.Time
}

// Page is a page of jobs, newest first.
type Page struct {
	Jobs []Job
	// Next is the cursor of the following page; empty on the last page.
	Next string
}

const (
	defaultLimit = 50
	maxLimit     = 500
)

// ListJobs returns jobs matching f, newest first, a page at a time (keyset paging on
// creation time and insertion order, so pages stay stable while jobs are added).
// Request and Results are not filled in; use Job for them.
func (s *Store) ListJobs(ctx context.Context, f Filter) (Page, error) {
	var where []string
	var args []any
	if f.Endpoint != "" {
		where, args = append(where, "endpoint_id = ?"), append(args, f.Endpoint)
	}
	if p := strings.TrimSpace(f.Process); p != "" {
		where, args = append(where, `process_id LIKE ? ESCAPE '\'`), append(args, "%"+escapeLike(p)+"%")
	}
	if len(f.Status) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Status)-1)+")")
		for _, st := range f.Status {
			args = append(args, st)
		}
	}
	if !f.From.IsZero() {
		where, args = append(where, "created_at >= ?"), append(args, ms2(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "created_at < ?"), append(args, ms2(f.To))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		like := "%" + escapeLike(t) + "%"
		where = append(where, `(process_id LIKE ? ESCAPE '\' OR remote_id LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\' OR message LIKE ? ESCAPE '\'
			OR label LIKE ? ESCAPE '\' OR note LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like, like, like, like)
	}
	if !f.WithHidden {
		where = append(where, "hidden_at IS NULL")
	}
	if !f.WithBatchMembers {
		where = append(where, "NOT EXISTS (SELECT 1 FROM batch_members bm WHERE bm.job_id = jobs.id)")
	}
	if !f.UpdatedSince.IsZero() {
		t := ms2(f.UpdatedSince)
		where, args = append(where, "(updated_at > ? OR coalesce(last_polled_at, 0) > ?)"), append(args, t, t)
	}
	if f.Cursor != "" {
		created, seq, err := decodeCursor(f.Cursor)
		if err != nil {
			return Page{}, fmt.Errorf("store: list jobs: %w", err)
		}
		where, args = append(where, "(created_at, seq) < (?, ?)"), append(args, created, seq)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	q := "SELECT " + jobColsList + " FROM jobs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, seq DESC LIMIT ?"
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("store: list jobs: %w", err)
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		j, err := scanJob(rows, colsList)
		if err != nil {
			return Page{}, fmt.Errorf("store: list jobs: %w", err)
		}
		p.Jobs = append(p.Jobs, j)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("store: list jobs: %w", err)
	}
	if len(p.Jobs) > limit {
		p.Jobs = p.Jobs[:limit]
		last := p.Jobs[limit-1]
		p.Next = encodeCursor(ms2(last.Created), last.Seq)
	}
	return p, nil
}

// ProcessIDs returns the process ids of the stored jobs, sorted.
func (s *Store) ProcessIDs(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT DISTINCT process_id FROM jobs ORDER BY process_id LIMIT 500")
	if err != nil {
		return nil, fmt.Errorf("store: process ids: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: process ids: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func encodeCursor(created, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(created, 10) + "." + strconv.FormatInt(seq, 10)))
}

func decodeCursor(c string) (int64, int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		a, bs, ok := strings.Cut(string(b), ".")
		created, err1 := strconv.ParseInt(a, 10, 64)
		seq, err2 := strconv.ParseInt(bs, 10, 64)
		if ok && err1 == nil && err2 == nil {
			return created, seq, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: malformed cursor", ErrInvalid)
}

// Unfinished returns the jobs that still need tracking (see Job.Open), oldest first.
func (s *Store) Unfinished(ctx context.Context) ([]Job, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+jobColsLight+` FROM jobs
		WHERE lost_at IS NULL AND deleted_on_server_at IS NULL
			AND (status <> 'successful' AND status <> 'failed' AND status <> 'dismissed' OR results_at IS NULL)
		ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("store: unfinished jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows, colsLight)
		if err != nil {
			return nil, fmt.Errorf("store: unfinished jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unfinished jobs: %w", err)
	}
	return out, nil
}

// Event is one entry of a job's history.
type Event struct {
	ID       int64
	JobID    string
	At       time.Time
	Kind     string // EventStatus, EventUnreachable, …
	Status   string
	Progress *int
	Message  string
}

// Events returns a job's history, oldest first; ErrNotFound if the job does not exist.
func (s *Store) Events(ctx context.Context, id string) ([]Event, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, job_id, at, kind, status, progress, message FROM job_events WHERE job_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("store: events of %q: %w", id, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		var progress sql.NullInt64
		if err := rows.Scan(&e.ID, &e.JobID, &at, &e.Kind, &e.Status, &progress, &e.Message); err != nil {
			return nil, fmt.Errorf("store: events of %q: %w", id, err)
		}
		e.At, e.Progress = time.UnixMilli(at).UTC(), nullInt(progress)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: events of %q: %w", id, err)
	}
	if len(out) == 0 {
		if _, err := s.Job(ctx, id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteJobs removes jobs with their events and actions; it returns how many existed.
func (s *Store) DeleteJobs(ctx context.Context, ids []string) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, "DELETE FROM jobs WHERE id = ?")
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, id := range ids {
			res, err := stmt.ExecContext(ctx, id)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete jobs: %w", err)
	}
	return int(n), nil
}
