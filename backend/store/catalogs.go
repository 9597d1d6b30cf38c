package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Catalog kinds.
const (
	CatalogAPI    = "api"    // a STAC API (landing page with item search)
	CatalogStatic = "static" // a catalog.json or collection.json tree
)

// STACCatalog is a saved STAC API or static catalog, where "Find items" searches.
type STACCatalog struct {
	ID, Title, URL, Kind string
	// CredentialKey names a keystore key; never a secret.
	CredentialKey    string
	Created, Updated time.Time
}

func (c *STACCatalog) validate() error {
	c.Title, c.URL = strings.TrimSpace(c.Title), strings.TrimSpace(c.URL)
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && !(u.Scheme == "s3" && c.Kind == CatalogStatic)) {
		return fmt.Errorf("%w: the catalog URL must be an http(s) URL (or s3:// for a static catalog)", ErrInvalid)
	}
	if u.User != nil {
		return fmt.Errorf("%w: the catalog URL must not hold credentials; name a keystore key", ErrInvalid)
	}
	if c.Kind != CatalogAPI && c.Kind != CatalogStatic {
		return fmt.Errorf("%w: kind %q (api or static)", ErrInvalid, c.Kind)
	}
	if c.Title == "" {
		c.Title = u.Host
	}
	return nil
}

// CreateCatalog stores a catalog.
func (s *Store) CreateCatalog(ctx context.Context, c STACCatalog) (STACCatalog, error) {
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("store: create catalog: %w", err)
	}
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	now := ms2(time.Now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO stac_catalogs (id, title, url, kind, credential_key, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Title, c.URL, c.Kind, c.CredentialKey, now, now)
		return err
	})
	if err != nil {
		if isUnique(err) {
			return c, fmt.Errorf("store: create catalog: %w: %q exists", ErrConflict, c.ID)
		}
		return c, fmt.Errorf("store: create catalog: %w", err)
	}
	return s.Catalog(ctx, c.ID)
}

func scanCatalog(sc interface{ Scan(...any) error }) (STACCatalog, error) {
	var c STACCatalog
	var created, updated int64
	err := sc.Scan(&c.ID, &c.Title, &c.URL, &c.Kind, &c.CredentialKey, &created, &updated)
	c.Created, c.Updated = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return c, err
}

const catalogCols = "id, title, url, kind, credential_key, created_at, updated_at"

// Catalog returns a saved catalog; ErrNotFound if there is none.
func (s *Store) Catalog(ctx context.Context, id string) (STACCatalog, error) {
	c, err := scanCatalog(s.r.QueryRowContext(ctx, "SELECT "+catalogCols+" FROM stac_catalogs WHERE id = ?", id))
	if err == sql.ErrNoRows {
		return c, fmt.Errorf("store: catalog %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("store: catalog: %w", err)
	}
	return c, nil
}

// Catalogs lists the saved catalogs by title.
func (s *Store) Catalogs(ctx context.Context) ([]STACCatalog, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+catalogCols+" FROM stac_catalogs ORDER BY title COLLATE NOCASE, id")
	if err != nil {
		return nil, fmt.Errorf("store: catalogs: %w", err)
	}
	defer rows.Close()
	var out []STACCatalog
	for rows.Next() {
		c, err := scanCatalog(rows)
		if err != nil {
			return nil, fmt.Errorf("store: catalogs: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteCatalog removes a saved catalog.
func (s *Store) DeleteCatalog(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM stac_catalogs WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: catalog %q: %w", id, ErrNotFound)
		}
		return nil
	})
}
