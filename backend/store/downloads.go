package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SetItems stores a job's results as a STAC ItemCollection (JSON).
func (s *Store) SetItems(ctx context.Context, id string, items json.RawMessage, at time.Time) error {
	if err := validJSON("items", items); err != nil {
		return fmt.Errorf("store: job %s: %w", id, err)
	}
	if err := s.updateOne(ctx, `UPDATE jobs SET items = ?, items_at = ? WHERE id = ?`, nullJSON(items), ms2(at), id); err != nil {
		return fmt.Errorf("store: job %s: set items: %w", id, err)
	}
	return nil
}

// Items returns a job's stored ItemCollection; nil when none is stored yet. The error
// wraps ErrNotFound for an unknown job.
func (s *Store) Items(ctx context.Context, id string) (json.RawMessage, time.Time, error) {
	var items sql.NullString
	var at sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT items, items_at FROM jobs WHERE id = ?`, id).Scan(&items, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: job %s: items: %w", id, err)
	}
	if !items.Valid {
		return nil, time.Time{}, nil
	}
	return json.RawMessage(items.String), fromMS(at), nil
}

// Download states.
const (
	DownloadActive    = "active"
	DownloadPaused    = "paused"
	DownloadCompleted = "completed"
	DownloadFailed    = "failed"
	DownloadCanceled  = "canceled"
)

// Download is one file the app downloads.
type Download struct {
	ID       int64
	JobID    string
	ItemID   string
	AssetKey string
	URL      string // never with credentials
	Dest     string
	Name     string
	Size     int64
	Checksum string
	State    string
	Error    string
	Created  time.Time
	Updated  time.Time
}

const downloadCols = "id, job_id, item_id, asset_key, url, dest, name, size, checksum, state, error, created_at, updated_at"

func scanDownload(sc interface{ Scan(...any) error }) (Download, error) {
	var d Download
	var created, updated int64
	err := sc.Scan(&d.ID, &d.JobID, &d.ItemID, &d.AssetKey, &d.URL, &d.Dest, &d.Name, &d.Size, &d.Checksum, &d.State, &d.Error, &created, &updated)
	d.Created, d.Updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return d, err
}

// PutDownload records a download as active, replacing the record of the same target
// (dest and name), and returns its id.
func (s *Store) PutDownload(ctx context.Context, d Download, at time.Time) (int64, error) {
	if d.URL == "" || d.Dest == "" || d.Name == "" {
		return 0, fmt.Errorf("download: %w: url, dest and name are required", ErrInvalid)
	}
	t := ms2(at)
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO downloads (job_id, item_id, asset_key, url, dest, name, size, checksum, state, error, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', '', ?, ?)
			ON CONFLICT (dest, name) DO UPDATE SET job_id = excluded.job_id, item_id = excluded.item_id, asset_key = excluded.asset_key,
				url = excluded.url, size = excluded.size, checksum = excluded.checksum, state = 'active', error = '', updated_at = excluded.updated_at
			RETURNING id`, d.JobID, d.ItemID, d.AssetKey, d.URL, d.Dest, d.Name, d.Size, d.Checksum, t, t).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: download %s: %w", d.Name, err)
	}
	return id, nil
}

// SetDownloadState records a download's state and, for failures, the reason.
func (s *Store) SetDownloadState(ctx context.Context, id int64, state, reason string, at time.Time) error {
	switch state {
	case DownloadActive, DownloadPaused, DownloadCompleted, DownloadFailed, DownloadCanceled:
	default:
		return fmt.Errorf("download %d: %w: state %q", id, ErrInvalid, state)
	}
	if err := s.updateOne(ctx, `UPDATE downloads SET state = ?, error = ?, updated_at = ? WHERE id = ?`, state, reason, ms2(at), id); err != nil {
		return fmt.Errorf("store: download %d: %w", id, err)
	}
	return nil
}

// Downloads lists the downloads of a job (all jobs for ""), oldest first.
func (s *Store) Downloads(ctx context.Context, jobID string) ([]Download, error) {
	q, args := "SELECT "+downloadCols+" FROM downloads ORDER BY id", []any{}
	if jobID != "" {
		q, args = "SELECT "+downloadCols+" FROM downloads WHERE job_id = ? ORDER BY id", []any{jobID}
	}
	return s.queryDownloads(ctx, q, args...)
}

// UnfinishedDownloads lists the active and paused downloads, oldest first: what to
// resume when the app starts.
func (s *Store) UnfinishedDownloads(ctx context.Context) ([]Download, error) {
	return s.queryDownloads(ctx, "SELECT "+downloadCols+" FROM downloads WHERE state IN ('active', 'paused') ORDER BY id")
}

func (s *Store) queryDownloads(ctx context.Context, q string, args ...any) ([]Download, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: downloads: %w", err)
	}
	defer rows.Close()
	var out []Download
	for rows.Next() {
		d, err := scanDownload(rows)
		if err != nil {
			return nil, fmt.Errorf("store: downloads: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: downloads: %w", err)
	}
	return out, nil
}
