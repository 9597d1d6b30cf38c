// Package endpointspage is the Endpoints page: the list of OGC API – Processes servers,
// adding, editing and removing them, and testing a connection.
package endpointspage

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Endpoints is what the page needs of backend/endpoints.
type Endpoints interface {
	Endpoints(ctx context.Context) ([]store.Endpoint, error)
	Endpoint(ctx context.Context, id string) (store.Endpoint, error)
	CreateEndpoint(ctx context.Context, in endpoints.EndpointInput) (store.Endpoint, error)
	UpdateEndpoint(ctx context.Context, id string, in endpoints.EndpointInput) (store.Endpoint, error)
	DeleteEndpoint(ctx context.Context, id string) error
	Test(ctx context.Context, id string) (endpoints.Report, error)
	TestInput(ctx context.Context, in endpoints.EndpointInput) (endpoints.Report, error)
	Selected(ctx context.Context) string
	// Health is the outcome of the endpoint's last connection test; false: never tested.
	Health(ctx context.Context, id string) (endpoints.Health, bool)
}

// Handler serves the page.
type Handler struct {
	eps      Endpoints
	log      *slog.Logger
	keyNames func(ctx context.Context) []string
}

// New returns the page's handler. keyNames lists the keystore's key names for the
// credentials field; it may be nil.
func New(eps Endpoints, keyNames func(ctx context.Context) []string, log *slog.Logger) *Handler {
	if keyNames == nil {
		keyNames = func(context.Context) []string { return nil }
	}
	return &Handler{eps: eps, log: log, keyNames: keyNames}
}

func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	es, err := h.eps.Endpoints(r.Context())
	if err != nil {
		return err
	}
	m := ListModel{Endpoints: es, Selected: h.eps.Selected(r.Context()), Health: map[string]endpoints.Health{}}
	for _, e := range es {
		if hl, ok := h.eps.Health(r.Context(), e.ID); ok {
			m.Health[e.ID] = hl
		}
	}
	return web.Render(w, r, web.Page{Title: "Endpoints", Section: components.SectionEndpoints, Content: ListView(m)})
}

func (h *Handler) Detail(w http.ResponseWriter, r *http.Request) error {
	e, err := h.eps.Endpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return web.Render(w, r, web.Page{Title: e.Title, Section: components.SectionEndpoints,
		Content: DetailView(DetailModel{Endpoint: e}), Fragments: []string{"endpoint-test"}})
}

// test runs a connection test; a full load shows it on the endpoint's page.
func (h *Handler) Test(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	e, err := h.eps.Endpoint(r.Context(), id)
	if err != nil {
		return err
	}
	rep, err := h.eps.Test(r.Context(), id)
	if err != nil {
		return err
	}
	// Just saved and not working: say so where the test's answer is (F-25).
	saved := r.URL.Query().Get("saved") != ""
	return web.Render(w, r, web.Page{Title: e.Title, Section: components.SectionEndpoints,
		Content: DetailView(DetailModel{Endpoint: e, Report: &rep, SavedFailing: saved && !rep.OK}), Fragments: []string{"endpoint-test"}})
}

func input(r *http.Request) endpoints.EndpointInput {
	return endpoints.EndpointInput{Title: r.PostFormValue("title"), URL: r.PostFormValue("url"),
		CredentialKey: r.PostFormValue("credential_key"), Headers: r.PostFormValue("headers")}
}

func (h *Handler) NewForm(w http.ResponseWriter, r *http.Request) error {
	return h.renderForm(w, r, FormModel{}, 0)
}

func (h *Handler) EditForm(w http.ResponseWriter, r *http.Request) error {
	e, err := h.eps.Endpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.renderForm(w, r, FormModel{ID: e.ID, BuiltIn: e.BuiltIn, Input: endpoints.EndpointInput{
		Title: e.Title, URL: e.URL, CredentialKey: e.CredentialKey, Headers: endpoints.FormatHeaders(e.Headers)}}, 0)
}

func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, m FormModel, status int) error {
	m.KeyNames = h.keyNames(r.Context())
	return web.Render(w, r, web.Page{Title: m.title(), Section: components.SectionEndpoints,
		Content: FormView(m), Fragments: []string{"form-test"}, Status: status})
}

// saveFailed re-renders the form with the reason when the values were refused.
func (h *Handler) saveFailed(w http.ResponseWriter, r *http.Request, m FormModel, err error) error {
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrBuiltIn) {
		status, _, detail := web.Describe(err)
		m.Err = detail
		return h.renderForm(w, r, m, status)
	}
	return err
}

func (h *Handler) Create(w http.ResponseWriter, r *http.Request) error {
	in := input(r)
	e, err := h.eps.CreateEndpoint(r.Context(), in)
	if err != nil {
		return h.saveFailed(w, r, FormModel{Input: in}, err)
	}
	web.Redirect(w, r, path(e.ID, "test")+"?saved=1")
	return nil
}

func (h *Handler) Update(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	cur, err := h.eps.Endpoint(r.Context(), id)
	if err != nil {
		return err
	}
	in := input(r)
	if _, err := h.eps.UpdateEndpoint(r.Context(), id, in); err != nil {
		return h.saveFailed(w, r, FormModel{ID: id, BuiltIn: cur.BuiltIn, Input: in}, err)
	}
	web.Redirect(w, r, "/endpoints")
	return nil
}

func (h *Handler) TestInput(w http.ResponseWriter, r *http.Request) error {
	in := input(r)
	m := FormModel{ID: r.PostFormValue("id"), Input: in}
	if m.ID != "" {
		cur, err := h.eps.Endpoint(r.Context(), m.ID)
		if err != nil {
			return err
		}
		m.BuiltIn = cur.BuiltIn
	}
	rep, err := h.eps.TestInput(r.Context(), in)
	if errors.Is(err, store.ErrInvalid) {
		// Said where the test's answer goes (only that part of the page is replaced).
		status, _, detail := web.Describe(err)
		m.TestErr = detail
		return h.renderForm(w, r, m, status)
	}
	if err != nil {
		return h.saveFailed(w, r, m, err)
	}
	m.Report = &rep
	return h.renderForm(w, r, m, 0)
}

func (h *Handler) Remove(w http.ResponseWriter, r *http.Request) error {
	if err := h.eps.DeleteEndpoint(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	web.Redirect(w, r, "/endpoints")
	return nil
}
