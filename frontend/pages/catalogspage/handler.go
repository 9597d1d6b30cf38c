// Package catalogspage is the Catalogs page: the STAC APIs and static catalogs that
// "Find items" searches, saved like endpoints (URL, title, optional keystore key).
package catalogspage

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Store is what the page reads and changes.
type Store interface {
	Catalogs(ctx context.Context) ([]store.STACCatalog, error)
	CreateCatalog(ctx context.Context, c store.STACCatalog) (store.STACCatalog, error)
	DeleteCatalog(ctx context.Context, id string) error
}

// Deps are the page's dependencies.
type Deps struct {
	Store Store
	// KeyNames lists keystore key names for the key field; optional.
	KeyNames func(ctx context.Context) []string
	// Changed is told of a catalog that was removed (the finder forgets it); optional.
	Changed func(id string)
	Logger  *slog.Logger
}

// Handler serves the page.
type Handler struct{ d Deps }

// New returns the page's handler.
func New(d Deps) *Handler {
	if d.KeyNames == nil {
		d.KeyNames = func(context.Context) []string { return nil }
	}
	if d.Changed == nil {
		d.Changed = func(string) {}
	}
	return &Handler{d: d}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, m Model, status int) error {
	var err error
	if m.Catalogs, err = h.d.Store.Catalogs(r.Context()); err != nil {
		return err
	}
	m.Keys = h.d.KeyNames(r.Context())
	return web.Render(w, r, web.Page{Title: "Catalogs", Section: components.SectionCatalogs, Content: View(m), Status: status})
}

func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, Model{Notice: r.URL.Query().Get("notice")}, 0)
}

func (h *Handler) Create(w http.ResponseWriter, r *http.Request) error {
	in := store.STACCatalog{Title: r.FormValue("title"), URL: r.FormValue("url"), Kind: r.FormValue("kind"), CredentialKey: r.FormValue("key")}
	if _, err := h.d.Store.CreateCatalog(r.Context(), in); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return h.render(w, r, Model{Form: in, Err: web.Count(1, "problem", "problems") + ": " + errText(err)}, http.StatusUnprocessableEntity)
		}
		return err
	}
	web.Redirect(w, r, "/catalogs?notice=Saved.")
	return nil
}

func (h *Handler) Remove(w http.ResponseWriter, r *http.Request) error {
	if err := h.d.Store.DeleteCatalog(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	h.d.Changed(r.PathValue("id"))
	web.Redirect(w, r, "/catalogs?notice=Removed.")
	return nil
}

// errText is the user's part of a store validation error.
func errText(err error) string {
	s := err.Error()
	for _, p := range []string{"store: create catalog: ", "invalid argument: "} {
		if i := len(p); len(s) >= i && s[:i] == p {
			s = s[i:]
		}
	}
	return s
}
