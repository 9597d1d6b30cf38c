// Package store is geojobs' database: one SQLite file (geojobs.db in the data dir)
// shared by the whole application, holding endpoints, jobs with their history and
// local actions, and settings. It is the durable half of job tracking; polling
// servers is the job monitor's work (backend/jobs), not this package's.
//
// The store never holds secrets: an endpoint names its credentials by keystore key,
// and headers that look like credentials are refused.
//
// Durability: the database runs in WAL mode with synchronous=NORMAL, which survives
// a killed process at any moment (a commit is in the OS before it returns). Writes
// that must also survive a power cut — creating a job and recording its server id —
// run with synchronous=FULL, so their commit is on disk before it returns.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Errors, to be tested with errors.Is.
var (
	ErrNotFound = errs.New(errs.NotFound, "not found")
	ErrInvalid  = errs.New(errs.InvalidArgument, "invalid argument")
	ErrBuiltIn  = errs.New(errs.Conflict, "the built-in endpoint cannot be changed this way")
	ErrConflict = errs.New(errs.Conflict, "conflict")
)

// LocalEndpoint is the id of the built-in endpoint; it is always present.
const LocalEndpoint = "local"

// busyTimeout is how long a connection waits for another's write lock.
const busyTimeout = 10 * time.Second

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is the database. It is safe for concurrent use.
type Store struct {
	path string
	// w is the only writing connection: SQLite has one writer at a time, and
	// serialising writes in the pool avoids busy waits between our own connections.
	w *sql.DB
	// r serves reads; WAL lets them run beside the writer.
	r *sql.DB

	prep       preparedSet
	groupCh    chan *groupReq // writes for the group writer (RecordStatus, SetResults)
	stop       chan struct{}  // closed by Close
	writerDone chan struct{}
	closeOnce  sync.Once
}

// ErrClosed is returned by calls on a closed Store.
var ErrClosed = errs.New(errs.Unavailable, "store closed")

// Open opens (creating if needed) the database at path and brings its schema up to date.
func Open(path string) (*Store, error) {
	if strings.TrimSpace(path) == "" {
		return nil, fmt.Errorf("%w: empty database path", ErrInvalid)
	}
	w, err := sql.Open("sqlite", dsn(path, "_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	s := &Store{path: path, w: w}
	if err := s.migrate(context.Background()); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.prepareAll(context.Background()); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn(path, "_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = r
	s.groupCh, s.stop, s.writerDone = make(chan *groupReq), make(chan struct{}), make(chan struct{})
	go s.groupWriter()
	return s, nil
}

func dsn(p string, extra ...string) string {
	q := []string{
		"_pragma=" + url.QueryEscape("busy_timeout("+strconv.Itoa(int(busyTimeout/time.Millisecond))+")"),
		"_pragma=" + url.QueryEscape("journal_mode(WAL)"),
		"_pragma=" + url.QueryEscape("synchronous(NORMAL)"),
		"_pragma=" + url.QueryEscape("foreign_keys(1)"),
	}
	q = append(q, extra...)
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + strings.Join(q, "&")
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database. Pending writes have committed when their calls returned.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.close() })
	return err
}

func (s *Store) close() error {
	close(s.stop)
	<-s.writerDone
	s.prep.close()
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	// A checkpoint folds the WAL back into the main file so that a copied geojobs.db is complete.
	_, _ = s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity_check and returns an error unless it says "ok".
func (s *Store) IntegrityCheck(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return fmt.Errorf("store: integrity check: %w", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("store: integrity check failed: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || path.Ext(name) != ".sql" {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: strings.TrimSuffix(name, ".sql"), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

// migrate applies the migrations not yet recorded in schema_migrations, each in its
// own transaction together with its record, so a crash leaves either all or none of one.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("store: open %s: %w", s.path, err)
	}
	for _, m := range ms {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, ms2(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	var newest int
	if err := s.w.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if len(ms) > 0 && newest > ms[len(ms)-1].version {
		return fmt.Errorf("store: %s has schema version %d, newer than this geojobs knows (%d): update geojobs",
			s.path, newest, ms[len(ms)-1].version)
	}
	return nil
}

// SchemaVersion returns the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

// tx runs f in a write transaction (BEGIN IMMEDIATE) and commits it when f returns nil.
func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	return inTx(ctx, s.w, f)
}

// updateOne runs one write statement in a write transaction; the error wraps
// ErrNotFound when it changed no row.
func (s *Store) updateOne(ctx context.Context, query string, args ...any) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// inTx runs f in a transaction begun on db (a *sql.DB or *sql.Conn), rolls it back
// when f fails and commits it otherwise.
func inTx(ctx context.Context, db interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, f func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// durableTx is tx with synchronous=FULL: the commit is on disk (WAL fsynced) when it
// returns, so it survives a power cut and not only a killed process.
func (s *Store) durableTx(ctx context.Context, f func(*sql.Tx) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=FULL"); err != nil {
		return err
	}
	// Restore NORMAL even when ctx is done, or later writes would pay for FULL.
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=NORMAL") //nolint:errcheck
	return inTx(ctx, conn, f)
}

// ms2 converts a time to the stored Unix milliseconds.
func ms2(t time.Time) int64 { return t.UnixMilli() }

// nullMS is ms2 for optional times: the zero time is NULL.
func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMS reads a stored optional time; NULL is the zero time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}
