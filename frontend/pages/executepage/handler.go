// Package executepage is the execution form of a process: generated from the process
// description (backend/forms), validated server-side against the description's
// schemas before anything is sent, imported from and exported to execute requests,
// and submitted as a job.
package executepage

import (
	"context"
	"errors"
	"github.com/geojobs/geojobs/backend/prefs"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Endpoints is what the page needs of backend/endpoints.
type Endpoints interface {
	Endpoint(ctx context.Context, id string) (store.Endpoint, error)
}

// Processes is what the page needs of backend/processes.
type Processes interface {
	Process(ctx context.Context, endpointID, processID string) (*ogcapi.Process, error)
}

// Submitter creates a job (*jobs.Monitor). It returns the stored job; when the server
// refused the job it may return both the (failed) job record and the error.
type Submitter interface {
	Submit(ctx context.Context, s jobs.Submission) (store.Job, error)
}

// Deps are the page's dependencies. Endpoints, Processes and Submit are required.
type Deps struct {
	Endpoints Endpoints
	Processes Processes
	Submit    Submitter
	// Prefs gives the user's map preferences (tiles, AOI warning); nil: the defaults.
	Prefs func(ctx context.Context) prefs.Prefs
	// Batches, when set, offers "Run as a batch" (batch.go).
	Batches BatchCreator
	// Finder, when set, offers "Find items" next to inputs that take STAC item URLs
	// (finder.go).
	Finder Finder
	Logger *slog.Logger
}

// Handler serves the page.
type Handler struct {
	eps     Endpoints
	procs   Processes
	submit  Submitter
	log     *slog.Logger
	prefs   func(ctx context.Context) prefs.Prefs
	batches BatchCreator
	finder  Finder
}

func (h *Handler) mapPrefs(ctx context.Context) prefs.Prefs {
	if h.prefs == nil {
		return prefs.Defaults()
	}
	return h.prefs(ctx)
}

// New returns the page's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	return &Handler{eps: d.Endpoints, procs: d.Processes, submit: d.Submit, log: d.Logger, prefs: d.Prefs,
		batches: d.Batches, finder: d.Finder}
}

// maxForm bounds a submitted form (binary inputs arrive in it, base64 or as files).
const maxForm = 64 << 20

func (h *Handler) load(r *http.Request) (Model, error) {
	e, err := h.eps.Endpoint(r.Context(), r.PathValue("eid"))
	if err != nil {
		return Model{}, err
	}
	p, err := h.procs.Process(r.Context(), e.ID, r.PathValue("pid"))
	if err != nil {
		return Model{}, err
	}
	return Model{Endpoint: e, Process: p, Form: forms.New(p), Map: h.mapPrefs(r.Context()), Batch: BatchState{Enabled: h.batches != nil}, FindItems: h.finder != nil}, nil
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, m Model, status int) error {
	return web.Render(w, r, web.Page{Title: "Execute " + m.title(), Section: components.SectionProcesses,
		Content: View(m), Fragments: []string{"exec-form"}, Status: status})
}

func (h *Handler) Show(w http.ResponseWriter, r *http.Request) error {
	m, err := h.load(r)
	if err != nil {
		return err
	}
	m.Values = m.Form.Defaults()
	return h.render(w, r, m, 0)
}

func (h *Handler) Post(w http.ResponseWriter, r *http.Request) error {
	m, err := h.load(r)
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseMultipartForm(maxForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return web.BadRequest("The form could not be read: it may be larger than 64 MiB.")
	}
	files, err := uploads(r)
	if err != nil {
		return err
	}
	m.Values = m.Form.Parse(r.Form, files)
	m.Batch = readBatch(r)
	m.Batch.Enabled = h.batches != nil
	op := r.FormValue("op")
	switch {
	case strings.HasPrefix(op, "add:"):
		if fl, ok := m.field(op[len("add:"):]); ok {
			m.Form.AddRow(m.Values, fl.ID)
		}
		return h.render(w, r, m, 0)
	case strings.HasPrefix(op, "remove:"):
		idx, row, _ := strings.Cut(op[len("remove:"):], ":")
		n, err := strconv.Atoi(row)
		if fl, ok := m.field(idx); ok && err == nil {
			m.Form.RemoveRow(m.Values, fl.ID, n)
		}
		return h.render(w, r, m, 0)
	case op == "import":
		return h.importRequest(w, r, m)
	case strings.HasPrefix(op, "fill:"):
		if n := m.fill(r, op[len("fill:"):]); n > 0 {
			m.Notice = web.Count(n, "item", "items") + " filled in. Check the other values, then submit."
		}
		return h.render(w, r, m, 0)
	}
	req, probs := m.build()
	m.Problems = probs
	if len(probs) > 0 {
		return h.render(w, r, m, http.StatusUnprocessableEntity)
	}
	m.Warnings = append(m.Warnings, req.Notes...)
	switch op {
	case "batch-preview", "batch-run":
		return h.batch(w, r, m, req)
	case "validate":
		m.Notice = "The request is valid: every value matches the process description."
		return h.render(w, r, m, 0)
	case "export":
		needsAuth := m.Endpoint.BuiltIn || m.Endpoint.CredentialKey != "" // the built-in endpoint wants the run's token
		m.Export = &Export{JSON: string(req.JSON()), Curl: req.Curl(m.Endpoint.URL, m.Process.ID, needsAuth), Token: needsAuth,
			Run: req.RunCommand(m.Endpoint.URL, m.Process.ID), FileName: safeFile(m.Process.ID) + ".execute.json"}
		return h.render(w, r, m, 0)
	}
	j, err := h.submit.Submit(r.Context(), jobs.Submission{EndpointID: m.Endpoint.ID, ProcessID: m.Process.ID,
		Process: m.Process, Request: req.Execute, Mode: execMode(req.Mode), AOI: req.AOI})
	id := j.ID
	if err != nil {
		status, title, detail := web.Describe(err)
		if status >= 500 && status != http.StatusBadGateway && status != http.StatusGatewayTimeout {
			h.log.Error("submitting a job", "endpoint", m.Endpoint.ID, "process", m.Process.ID, "err", err)
			title, detail = "The job could not be submitted", "geojobs could not record or send the job. The details are in the log."
		}
		m.SubmitErr, m.SubmitDetail, m.JobID = title, detail, id
		return h.render(w, r, m, status)
	}
	web.Redirect(w, r, "/jobs/"+id)
	return nil
}

// build makes the execute request and validates it against the description.
func (m Model) build() (*forms.Request, forms.Problems) {
	req, probs := m.Form.Build(m.Values)
	if len(probs) > 0 {
		return req, probs
	}
	return req, forms.Validate(m.Process, req.Execute)
}

func (m Model) field(index string) (forms.Field, bool) {
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(m.Form.Fields) {
		return forms.Field{}, false
	}
	return m.Form.Fields[i], true
}

func (h *Handler) importRequest(w http.ResponseWriter, r *http.Request, m Model) error {
	body := []byte(r.FormValue("import_text"))
	if r.MultipartForm != nil {
		if fhs := r.MultipartForm.File["import_file"]; len(fhs) > 0 && fhs[0].Size > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return err
			}
			defer f.Close()
			if body, err = io.ReadAll(io.LimitReader(f, 8<<20)); err != nil {
				return err
			}
		}
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		m.ImportErr = "Choose a file or paste an execute request to import."
		return h.render(w, r, m, http.StatusUnprocessableEntity)
	}
	v, warnings, err := m.Form.ImportContext(r.Context(), body)
	if err != nil {
		m.ImportErr = "The request could not be imported: " + err.Error()
		return h.render(w, r, m, http.StatusUnprocessableEntity)
	}
	if m.Values.Mode != "" {
		v.Mode = m.Values.Mode
	}
	m.Values, m.Warnings = v, warnings
	m.Notice = "Imported. Check the values, then submit."
	return h.render(w, r, m, 0)
}

// uploads reads the binary inputs' files (controls named "….file").
func uploads(r *http.Request) (map[string][]byte, error) {
	out := map[string][]byte{}
	if r.MultipartForm == nil {
		return out, nil
	}
	for name, fhs := range r.MultipartForm.File {
		if !strings.HasSuffix(name, ".file") || len(fhs) == 0 || fhs[0].Size == 0 {
			continue
		}
		f, err := fhs[0].Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

func safeFile(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
