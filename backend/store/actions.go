package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Local actions on jobs.
const (
	ActionHidden           = "hidden"            // dismissed locally: left out of lists
	ActionUnhidden         = "unhidden"          // shown again
	ActionRerun            = "rerun"             // this job re-runs the job in Detail
	ActionImported         = "imported"          // found in the endpoint's job list (Detail: server id)
	ActionDismissRequested = "dismiss-requested" // the user asked the server to dismiss the job
)

// Action is one local action on a job.
type Action struct {
	ID     int64
	JobID  string
	At     time.Time
	Action string
	Detail string
}

func addAction(ctx context.Context, tx *sql.Tx, id string, at int64, action, detail string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO job_actions (job_id, at, action, detail) VALUES (?, ?, ?, ?)", id, at, action, detail)
	return err
}

// AddAction records a local action on a job. ActionHidden and ActionUnhidden also hide
// the job from, or show it again in, ListJobs.
func (s *Store) AddAction(ctx context.Context, id, action, detail string, at time.Time) error {
	if strings.TrimSpace(action) == "" {
		return fmt.Errorf("job %s: %w: empty action", id, ErrInvalid)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t := ms2(at)
		var res sql.Result
		var err error
		switch action {
		case ActionHidden:
			res, err = tx.ExecContext(ctx, "UPDATE jobs SET hidden_at = ? WHERE id = ?", t, id)
		case ActionUnhidden:
			res, err = tx.ExecContext(ctx, "UPDATE jobs SET hidden_at = NULL WHERE id = ?", id)
		default:
			res, err = tx.ExecContext(ctx, "UPDATE jobs SET updated_at = updated_at WHERE id = ?", id)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return addAction(ctx, tx, id, t, action, detail)
	})
	if err != nil {
		return fmt.Errorf("store: job %s: action %s: %w", id, action, err)
	}
	return nil
}

// Actions returns a job's local actions, oldest first.
func (s *Store) Actions(ctx context.Context, id string) ([]Action, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, job_id, at, action, detail FROM job_actions WHERE job_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("store: actions of %q: %w", id, err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var a Action
		var at int64
		if err := rows.Scan(&a.ID, &a.JobID, &at, &a.Action, &a.Detail); err != nil {
			return nil, fmt.Errorf("store: actions of %q: %w", id, err)
		}
		a.At = time.UnixMilli(at).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// Setting returns a setting's value and whether it is set.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, true, nil
}

// SetSetting sets a setting. Settings are not for secrets: those go to the keystore.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	if strings.TrimSpace(key) == "" {
		return fmt.Errorf("setting: %w: empty key", ErrInvalid)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, ms2(time.Now()))
	if err != nil {
		return fmt.Errorf("store: set setting %q: %w", key, err)
	}
	return nil
}

// DeleteSetting removes a setting; removing an absent one is not an error.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	if _, err := s.w.ExecContext(ctx, "DELETE FROM settings WHERE key = ?", key); err != nil {
		return fmt.Errorf("store: delete setting %q: %w", key, err)
	}
	return nil
}

// Settings returns every setting.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT key, value FROM settings")
	if err != nil {
		return nil, fmt.Errorf("store: settings: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: settings: %w", err)
		}
		out[k] = v
	}
	return out, rows.Err()
}
