package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SettingLocalBase records the built-in endpoint's base URL of the last run.
const SettingLocalBase = "local.base_url"

// RebaseLocal rewrites the built-in endpoint's URLs stored with jobs and downloads
// (job URLs, results and STAC documents, download sources) from oldBase to newBase.
// The built-in endpoint is served by the app on a loopback port that may change
// between runs; without this, a job tracked across a restart on another port would
// stay "unreachable" and its assets could not be fetched. It returns the number of
// rows changed. Both bases must be absolute http URLs ending in "/".
func (s *Store) RebaseLocal(ctx context.Context, oldBase, newBase string) (int64, error) {
	for _, b := range []string{oldBase, newBase} {
		if !strings.HasPrefix(b, "http://") || !strings.HasSuffix(b, "/") {
			return 0, fmt.Errorf("rebase: %w: %q is not an http base URL ending in /", ErrInvalid, b)
		}
	}
	if oldBase == newBase {
		return 0, nil
	}
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// instr() keeps the statements to the rows that hold the old base; replace() is
		// plain text substitution, so JSON documents keep their shape.
		for _, q := range []string{
			`UPDATE jobs SET job_url = replace(job_url, ?1, ?2), results = replace(results, ?1, ?2), items = replace(items, ?1, ?2)
			 WHERE endpoint_id = 'local' AND (instr(job_url, ?1) > 0 OR instr(results, ?1) > 0 OR instr(items, ?1) > 0)`,
			`UPDATE downloads SET url = replace(url, ?1, ?2) WHERE instr(url, ?1) = 1`,
		} {
			r, err := tx.ExecContext(ctx, q, oldBase, newBase)
			if err != nil {
				return err
			}
			c, _ := r.RowsAffected()
			n += c
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: rebase the built-in endpoint's URLs: %w", err)
	}
	return n, nil
}
