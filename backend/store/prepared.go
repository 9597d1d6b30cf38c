package store

import (
	"context"
	"database/sql"
	"sync"
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
