package store

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Statements of the hot paths are prepared once on the writing connection: the
// driver does not cache them, and parsing SQL was a large share of a status write.
type preparedSet struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// prepareAll prepares the hot statements while the writing connection is free (a
// statement cannot be prepared on the DB while a transaction holds its only connection).
func (s *Store) prepareAll(ctx context.Context) error {
	s.prep.stmts = map[string]*sql.Stmt{}
	for _, q := range hotQueries {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s.prep.stmts[q] = st
	}
	return nil
}

// prepared returns the statement of query bound to tx: the prepared one for a hot
// query, else one prepared for this transaction only.
func (s *Store) prepared(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	s.prep.mu.Lock()
	st := s.prep.stmts[query]
	s.prep.mu.Unlock()
	if st == nil {
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, st), nil
}

func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.prepared(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := s.prepared(ctx, tx, query)
	if err != nil {
		return tx.QueryRowContext(ctx, query, args...) // reports the same error
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *preparedSet) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.stmts {
		st.Close()
	}
	p.stmts = nil
}

// statusReq is one RecordStatus call waiting for the status writer.
type statusReq struct {
	id      string
	st      ogcapi.StatusInfo
	at      time.Time
	changed bool
	err     error
	done    chan struct{}
}

// maxStatusBatch bounds how many status writes share one transaction.
const maxStatusBatch = 256

// statusWriter commits status writes in groups: it takes one, adds every other one
// already waiting, and commits them in one transaction. Alone, a write commits at
// once; under load, writes queue while a commit runs and share the next one, so a
// thousand jobs polled together cost a few commits instead of a thousand.
func (s *Store) statusWriter() {
	defer close(s.writerDone)
	for {
		var first *statusReq
		select {
		case first = <-s.statusCh:
		case <-s.stop:
			return
		}
		batch := []*statusReq{first}
	more:
		for len(batch) < maxStatusBatch {
			select {
			case r := <-s.statusCh:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.writeStatuses(batch)
		for _, r := range batch {
			close(r.done)
		}
	}
}

func (s *Store) writeStatuses(batch []*statusReq) {
	ctx := context.Background()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range batch {
			r.changed, r.err = s.recordStatus(ctx, tx, r.id, r.st, r.at)
			if r.err != nil && r.err != ErrNotFound {
				return r.err // a database failure: the transaction is unusable
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	if len(batch) == 1 {
		batch[0].changed, batch[0].err = false, err
		return
	}
	// One failed; the others must not fail with it.
	for _, r := range batch {
		s.writeStatuses([]*statusReq{r})
	}
}
