package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Endpoint is an OGC API – Processes server the user works with.
type Endpoint struct {
	ID    string
	Title string
	// URL is the landing page; empty for the built-in endpoint, which the application
	// serves itself.
	URL string
	// CredentialKey names the credentials in the keystore; empty for none.
	CredentialKey string
	// Headers are extra, non-secret request headers (e.g. a tenant name).
	Headers map[string]string
	BuiltIn bool
	Created time.Time
	Updated time.Time
}

var endpointIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// secretHeader reports whether a header name is one that carries credentials: such
// values belong in the keystore, never in the database.
func secretHeader(name string) bool {
	n := strings.ToLower(name)
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie":
		return true
	}
	for _, w := range []string{"token", "secret", "password", "passwd", "api-key", "apikey", "api_key", "auth", "session", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// InvalidInput is a value a person typed that the store refuses: its message is
// written for them and said as it is (no "store:" or code prefix), and errors.Is
// reports it as ErrInvalid.
type InvalidInput struct{ Msg string }

func (e *InvalidInput) Error() string        { return e.Msg }
func (e *InvalidInput) Is(target error) bool { return target == ErrInvalid }

// ErrorCode implements errs.Coder.
func (e *InvalidInput) ErrorCode() errs.Code { return errs.InvalidArgument }

func invalidInput(format string, a ...any) error {
	return &InvalidInput{Msg: fmt.Sprintf(format, a...)}
}

// CheckEndpointURL refuses a landing page URL geojobs cannot use, in words for the
// person who typed it; it returns the URL as it will be stored.
func CheckEndpointURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", invalidInput("The URL is empty: enter the landing page's address, starting with http:// or https://.")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", invalidInput("%q is not an http or https address: enter the landing page's full URL, e.g. https://example.com/ogc-api/.", raw)
	}
	if u.User != nil {
		return "", invalidInput("The URL carries a user name or password: remove it and keep the credentials in the keystore (pick its key for this endpoint).")
	}
	return u.String(), nil
}

func (e *Endpoint) validate() error {
	if !endpointIDRe.MatchString(e.ID) {
		return invalidInput("The endpoint id %q cannot be used: use 1-64 lower-case letters, digits, '.', '_' or '-'.", e.ID)
	}
	e.Title = strings.TrimSpace(e.Title)
	if e.Title == "" {
		return invalidInput("The title is empty: give the endpoint a name.")
	}
	u, err := CheckEndpointURL(e.URL)
	if err != nil {
		return err
	}
	e.URL = u
	for k, v := range e.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") || strings.ContainsAny(v, "\r\n") {
			return invalidInput("The extra header %q is malformed: write one \"Name: value\" per line.", k)
		}
		if secretHeader(k) {
			return invalidInput("The extra header %q looks like a credential: keep it in the keystore (an HTTP key) and pick that key for this endpoint.", k)
		}
	}
	return nil
}

const endpointCols = "id, title, url, credential_key, headers, builtin, created_at, updated_at"

func scanEndpoint(sc interface{ Scan(...any) error }) (Endpoint, error) {
	var e Endpoint
	var headers string
	var created, updated int64
	if err := sc.Scan(&e.ID, &e.Title, &e.URL, &e.CredentialKey, &headers, &e.BuiltIn, &created, &updated); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(headers), &e.Headers); err != nil {
		return e, fmt.Errorf("endpoint %s: stored headers: %w", e.ID, err)
	}
	e.Created, e.Updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return e, nil
}

// Endpoints returns every endpoint, the built-in one first, then by title.
func (s *Store) Endpoints(ctx context.Context) ([]Endpoint, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+endpointCols+" FROM endpoints ORDER BY builtin DESC, title COLLATE NOCASE, id")
	if err != nil {
		return nil, fmt.Errorf("store: endpoints: %w", err)
	}
	defer rows.Close()
	var out []Endpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("store: endpoints: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: endpoints: %w", err)
	}
	return out, nil
}

// Endpoint returns one endpoint; ErrNotFound if there is none with that id.
func (s *Store) Endpoint(ctx context.Context, id string) (Endpoint, error) {
	e, err := scanEndpoint(s.r.QueryRowContext(ctx, "SELECT "+endpointCols+" FROM endpoints WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("endpoint %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("store: endpoint %q: %w", id, err)
	}
	return e, nil
}

// CreateEndpoint adds an endpoint; ErrConflict if the id is taken, ErrInvalid for a
// bad id, title, URL or a header that looks like a credential.
func (s *Store) CreateEndpoint(ctx context.Context, e Endpoint) (Endpoint, error) {
	if err := e.validate(); err != nil {
		return e, err // words for the person who typed the values
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	e.Created, e.Updated, e.BuiltIn = now, now, false
	h, _ := json.Marshal(nonNil(e.Headers))
	_, err := s.w.ExecContext(ctx, "INSERT INTO endpoints ("+endpointCols+") VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
		e.ID, e.Title, e.URL, e.CredentialKey, string(h), ms2(now), ms2(now))
	if err != nil {
		if isUnique(err) {
			return e, fmt.Errorf("endpoint %q: %w: id already in use", e.ID, ErrConflict)
		}
		return e, fmt.Errorf("store: create endpoint %q: %w", e.ID, err)
	}
	return e, nil
}

// UpdateEndpoint replaces an endpoint's title, URL, credential key and headers.
// Of the built-in endpoint only the title may change.
func (s *Store) UpdateEndpoint(ctx context.Context, e Endpoint) (Endpoint, error) {
	var out Endpoint
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanEndpoint(tx.QueryRowContext(ctx, "SELECT "+endpointCols+" FROM endpoints WHERE id = ?", e.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("endpoint %q: %w", e.ID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if cur.BuiltIn {
			if e.URL != cur.URL || e.CredentialKey != cur.CredentialKey || len(e.Headers) > 0 {
				return fmt.Errorf("endpoint %q: %w: only its title can change", e.ID, ErrBuiltIn)
			}
			if e.Title = strings.TrimSpace(e.Title); e.Title == "" {
				return invalidInput("The title is empty: give the endpoint a name.")
			}
		} else if err := e.validate(); err != nil {
			return err
		}
		e.BuiltIn, e.Created = cur.BuiltIn, cur.Created
		e.Updated = time.Now().UTC().Truncate(time.Millisecond)
		h, _ := json.Marshal(nonNil(e.Headers))
		_, err = tx.ExecContext(ctx, "UPDATE endpoints SET title = ?, url = ?, credential_key = ?, headers = ?, updated_at = ? WHERE id = ?",
			e.Title, e.URL, e.CredentialKey, string(h), ms2(e.Updated), e.ID)
		out = e
		return err
	})
	if err != nil {
		return out, fmt.Errorf("store: update endpoint: %w", err)
	}
	return out, nil
}

// DeleteEndpoint removes an endpoint. The built-in one cannot be removed (ErrBuiltIn),
// nor one that still has jobs (ErrConflict: delete them first).
func (s *Store) DeleteEndpoint(ctx context.Context, id string) error {
	if id == LocalEndpoint {
		return fmt.Errorf("delete endpoint %q: %w", id, ErrBuiltIn)
	}
	res, err := s.w.ExecContext(ctx, "DELETE FROM endpoints WHERE id = ?", id)
	if err != nil {
		if isConstraint(err) {
			return fmt.Errorf("delete endpoint %q: %w: it still has jobs", id, ErrConflict)
		}
		return fmt.Errorf("store: delete endpoint %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete endpoint %q: %w", id, ErrNotFound)
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// isUnique reports a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isConstraint reports any constraint violation, including a trigger's RAISE(ABORT).
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT
}
