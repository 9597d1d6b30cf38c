// Package jobs is a simple view of jobs: the status of one job (where the execution
// form leads after a submit) and the most recent jobs. The jobs pages proper replace it.
package jobs

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Store is what the page needs of backend/store.
type Store interface {
	Job(ctx context.Context, id string) (store.Job, error)
	ListJobs(ctx context.Context, f store.Filter) (store.Page, error)
}

// Handler serves the page.
type Handler struct {
	st  Store
	log *slog.Logger
}

// New returns the page's handler.
func New(st Store, log *slog.Logger) *Handler { return &Handler{st: st, log: log} }

// Register adds the page's routes.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /jobs", web.Handle(h.log, h.list))
	mux.Handle("GET /jobs/{id}", web.Handle(h.log, h.status))
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	p, err := h.st.ListJobs(r.Context(), store.Filter{Limit: 100})
	if err != nil {
		return err
	}
	return web.Render(w, r, web.Page{Title: "Jobs", Section: components.SectionJobs, Content: ListView(ListModel{Jobs: p.Jobs})})
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) error {
	j, err := h.st.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return web.Render(w, r, web.Page{Title: "Job " + j.ProcessID, Section: components.SectionJobs,
		Content: StatusView(StatusModel{Job: j}), Fragments: []string{"job-status"}})
}
