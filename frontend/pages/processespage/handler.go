// Package processespage is the Processes page: the list of the selected endpoint's
// processes with search and paging, a process's description, and deploying,
// replacing and undeploying application packages (OGC API – Processes Part 2).
package processespage

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Endpoints is what the page needs of backend/endpoints.
type Endpoints interface {
	Endpoints(ctx context.Context) ([]store.Endpoint, error)
	Endpoint(ctx context.Context, id string) (store.Endpoint, error)
	Selected(ctx context.Context) string
	Select(ctx context.Context, id string) error
	Capabilities(ctx context.Context, endpointID string) (ogcapi.Capabilities, error)
}

// Processes is what the page needs of backend/processes.
type Processes interface {
	Processes(ctx context.Context, endpointID string, q processes.Query) (processes.ProcessPage, error)
	Process(ctx context.Context, endpointID, processID string) (*ogcapi.Process, error)
	Deploy(ctx context.Context, endpointID string, pkg ogcapi.Package, workflow string) (*ogcapi.ProcessSummary, error)
	Replace(ctx context.Context, endpointID, processID string, pkg ogcapi.Package, workflow string) error
	Undeploy(ctx context.Context, endpointID, processID string) error
	FetchPackage(ctx context.Context, href string) ([]byte, error)
}

// Handler serves the page.
type Handler struct {
	eps   Endpoints
	procs Processes
	log   *slog.Logger
}

// New returns the page's handler.
func New(eps Endpoints, procs Processes, log *slog.Logger) *Handler {
	return &Handler{eps: eps, procs: procs, log: log}
}

func (h *Handler) ListOf(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, listURL(r.PathValue("eid"), "", 0), http.StatusSeeOther)
	return nil
}

func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	id := q.Get("endpoint")
	if id == "" {
		id = h.eps.Selected(ctx)
	}
	e, err := h.eps.Endpoint(ctx, id)
	if err != nil {
		return err
	}
	es, err := h.eps.Endpoints(ctx)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(q.Get("page"))
	m := ListModel{Endpoints: es, Endpoint: e, Search: strings.TrimSpace(q.Get("q"))}
	m.Page, err = h.procs.Processes(ctx, e.ID, processes.Query{Search: m.Search, Page: page, Refresh: q.Get("refresh") != ""})
	// The endpoint shown becomes the selected one, unless it is no OGC API server at
	// all (F-25: a misconfigured URL must not take the place of a working endpoint); one
	// that is down for now stays selected.
	if err == nil || !notOGC(err) {
		if err := h.eps.Select(ctx, e.ID); err != nil {
			h.log.Warn("remembering the selected endpoint", "err", err)
		}
	}
	if err != nil {
		// The page renders with the reason: the endpoint selector stays usable.
		_, m.ErrTitle, m.ErrDetail = web.Describe(err)
	} else if caps, err := h.eps.Capabilities(ctx, e.ID); err == nil {
		m.CanDeploy = caps.Deploy
	}
	return web.Render(w, r, web.Page{Title: "Processes · " + e.Title, Section: components.SectionProcesses,
		Content: ListView(m), Fragments: []string{"process-results"}})
}

// process is the endpoint and the process of r's path.
func (h *Handler) process(r *http.Request) (store.Endpoint, *ogcapi.Process, error) {
	e, err := h.eps.Endpoint(r.Context(), r.PathValue("eid"))
	if err != nil {
		return e, nil, err
	}
	p, err := h.procs.Process(r.Context(), e.ID, r.PathValue("pid"))
	return e, p, err
}

func (h *Handler) Detail(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	e, p, err := h.process(r)
	if err != nil {
		return err
	}
	m := DetailModel{Endpoint: e, Process: p}
	m.Inputs, m.Outputs = Docs(p)
	if caps, err := h.eps.Capabilities(ctx, e.ID); err == nil {
		m.CanDeploy = caps.Deploy
	}
	title := p.Title
	if title == "" {
		title = p.ID
	}
	return web.Render(w, r, web.Page{Title: title, Section: components.SectionProcesses, Content: DetailView(m)})
}

// undeployConfirm asks before undeploying: it removes the process from the server
// for everyone, and cannot be undone from here.
func (h *Handler) UndeployConfirm(w http.ResponseWriter, r *http.Request) error {
	e, p, err := h.process(r)
	if err != nil {
		return err
	}
	return web.Render(w, r, web.Page{Title: "Undeploy " + p.ID, Section: components.SectionProcesses,
		Content: UndeployView(UndeployModel{Endpoint: e, Process: p})})
}

// undeploy undeploys a process once the confirmation page's button said so; any other
// request (an old form, a page without it) gets the confirmation page.
func (h *Handler) Undeploy(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != "yes" {
		return h.UndeployConfirm(w, r)
	}
	eid := r.PathValue("eid")
	if err := h.procs.Undeploy(r.Context(), eid, r.PathValue("pid")); err != nil {
		return err
	}
	web.Redirect(w, r, listURL(eid, "", 0))
	return nil
}

func (h *Handler) deployModel(r *http.Request) (DeployModel, error) {
	e, err := h.eps.Endpoint(r.Context(), r.PathValue("eid"))
	if err != nil {
		return DeployModel{}, err
	}
	m := DeployModel{Endpoint: e, Replace: strings.TrimSpace(r.URL.Query().Get("replace"))}
	m.Caps, err = h.eps.Capabilities(r.Context(), e.ID)
	if err != nil {
		_, t, d := web.Describe(err)
		m.CapsErr = t + ": " + d
	}
	return m, nil
}

func (h *Handler) renderDeploy(w http.ResponseWriter, r *http.Request, m DeployModel, status int) error {
	return web.Render(w, r, web.Page{Title: m.title(), Section: components.SectionProcesses, Content: DeployView(m), Status: status})
}

func (h *Handler) DeployPage(w http.ResponseWriter, r *http.Request) error {
	m, err := h.deployModel(r)
	if err != nil {
		return err
	}
	return h.renderDeploy(w, r, m, 0)
}

// deploy previews or deploys the package given as a file, as text or by URL.
func (h *Handler) Deploy(w http.ResponseWriter, r *http.Request) error {
	m, err := h.deployModel(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, processes.MaxPackage+1<<20)
	if err := r.ParseMultipartForm(processes.MaxPackage + 1<<20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return web.BadRequest("The package could not be read: it may be larger than 4 MiB.")
	}
	m.Source, m.Text, m.URL = r.FormValue("source"), r.FormValue("text"), strings.TrimSpace(r.FormValue("url"))
	m.Workflow = strings.TrimSpace(r.FormValue("w"))
	var body []byte
	switch m.Source {
	case "url":
		if m.URL == "" {
			return h.deployFailed(w, r, m, web.BadRequest("Enter the URL of the CWL document."))
		}
	case "text":
		body = []byte(m.Text)
	default:
		m.Source = "file"
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return h.deployFailed(w, r, m, web.BadRequest("Choose a CWL file to upload."))
		}
		defer f.Close()
		body, err = io.ReadAll(io.LimitReader(f, processes.MaxPackage+1))
		if err != nil || len(body) > processes.MaxPackage {
			return h.deployFailed(w, r, m, web.BadRequest("The file could not be read or is larger than 4 MiB."))
		}
		m.FileName = hdr.Filename
		// A browser cannot refill a file control: the page keeps the file's text under
		// "Paste CWL", so Deploy after a preview (or a fix) needs no second choice.
		if utf8.Valid(body) {
			m.Source, m.Text = "text", string(body)
		}
	}
	if m.Source != "url" && len(strings.TrimSpace(string(body))) == 0 {
		return h.deployFailed(w, r, m, web.BadRequest("The package is empty."))
	}
	ctx := r.Context()
	if r.FormValue("op") == "preview" {
		if m.Source == "url" {
			if body, err = h.procs.FetchPackage(ctx, m.URL); err != nil {
				return h.deployFailed(w, r, m, err)
			}
		}
		p, err := processes.Preview(body, m.Workflow)
		if err != nil {
			return h.deployFailed(w, r, m, err)
		}
		m.Preview = p
		m.PreviewInputs, m.PreviewOuts = Docs(p)
		return h.renderDeploy(w, r, m, 0)
	}
	pkg := processes.PackageFor(body)
	if m.Source == "url" {
		pkg = ogcapi.AppPkgRef(m.URL)
	}
	if m.Replace != "" {
		if err := h.procs.Replace(ctx, m.Endpoint.ID, m.Replace, pkg, m.Workflow); err != nil {
			return h.deployFailed(w, r, m, err)
		}
		m.Deployed, m.Replaced = &ogcapi.ProcessSummary{ID: m.Replace}, true
		return h.renderDeploy(w, r, m, 0)
	}
	ps, err := h.procs.Deploy(ctx, m.Endpoint.ID, pkg, m.Workflow)
	if err != nil {
		return h.deployFailed(w, r, m, err)
	}
	m.Deployed = ps
	return h.renderDeploy(w, r, m, http.StatusCreated)
}

// deployFailed shows the error on the deploy page, keeping what was entered.
func (h *Handler) deployFailed(w http.ResponseWriter, r *http.Request, m DeployModel, err error) error {
	status, title, detail := web.Describe(err)
	if status >= 500 && status != http.StatusBadGateway && status != http.StatusGatewayTimeout {
		return err // internal: the error mapper logs it and says so
	}
	m.ErrTitle, m.ErrDetail = title, detail
	return h.renderDeploy(w, r, m, status)
}

// notOGC reports a failure that says the endpoint is no OGC API server (not one that is
// down for now).
func notOGC(err error) bool {
	p, _ := endpoints.Explain(err)
	return p == endpoints.ProblemNotOGC
}
