// Package jobspage is the job list and the job page: every job across endpoints with
// filters and keyset paging, one job's status, timeline, inputs, log and actions, and
// the live updates (Live) that the hub pushes to both over a WebSocket.
package jobspage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/joblog"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Store is what the pages need of backend/store.
type Store interface {
	LiveStore
	Actions(ctx context.Context, id string) ([]store.Action, error)
	AddAction(ctx context.Context, id, action, detail string, at time.Time) error
	SetSetting(ctx context.Context, key, value string) error
	ProcessIDs(ctx context.Context) ([]string, error)
	SetLabel(ctx context.Context, id, label, note string) error
}

// Monitor acts on jobs (backend/jobs' Monitor, with Rerun from the application).
type Monitor interface {
	Dismiss(ctx context.Context, jobID string) error
	Import(ctx context.Context, endpointID string) (int, error)
	PollNow(ctx context.Context, jobID string) error
	// Rerun submits a new job with the request of j; it returns the new job's id.
	Rerun(ctx context.Context, j store.Job) (string, error)
}

// Endpoints is what the pages need of backend/endpoints.
type Endpoints interface {
	Endpoints(ctx context.Context) ([]store.Endpoint, error)
	Endpoint(ctx context.Context, id string) (store.Endpoint, error)
	Capabilities(ctx context.Context, id string) (ogcapi.Capabilities, error)
}

// Logs reads a job's logs from its server (backend/joblog).
type Logs interface {
	Log(ctx context.Context, j store.Job) (joblog.Log, error)
}

// Deps are the pages' dependencies; Logs may be nil (no log shown).
type Deps struct {
	Store     Store
	Monitor   Monitor
	Endpoints Endpoints
	Logs      Logs
	// Prefs gives the user's map preferences (the AOI map's tiles); nil: the defaults.
	Prefs  func(ctx context.Context) prefs.Prefs
	Logger *slog.Logger
}

// Handler serves the pages.
type Handler struct {
	Deps
	log *slog.Logger
}

// New returns the pages' handler.
func New(d Deps) *Handler {
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Handler{Deps: d, log: log}
}

// pageSize is the list's page.
const pageSize = 50

func (h *Handler) notifyModel(ctx context.Context, back string) NotifyModel {
	return NotifyModel{On: prefs.JobNotifications(ctx, h.Store), Back: back}
}

func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := ParseFilters(q)
	if err != nil {
		return web.BadRequest(err.Error())
	}
	cursor := q.Get("cursor")
	readAt := time.Now()
	p, err := h.Store.ListJobs(r.Context(), f.storeFilter(pageSize, cursor))
	if errors.Is(err, store.ErrInvalid) {
		return web.BadRequest("This page link is not valid any more. Start again from the first page.")
	}
	if err != nil {
		return err
	}
	eps, err := h.Endpoints.Endpoints(r.Context())
	if err != nil {
		return err
	}
	m := ListModel{Filters: f, Jobs: p.Jobs, Next: p.Next, Endpoints: eps, Paged: cursor != "", RenderedAt: readAt,
		Now: readAt, Notice: noticeText(q.Get("done")), Notify: h.notifyModel(r.Context(), listURL(f, ""))}
	m.Append = web.IsHTMX(r) && r.Header.Get("HX-Target") == "job-rows"
	if !m.Append {
		if m.Processes, err = h.Store.ProcessIDs(r.Context()); err != nil {
			return err
		}
	}
	return web.Render(w, r, web.Page{Title: "Jobs", Section: components.SectionJobs, Content: ListView(m),
		Fragments: []string{"job-rows"}})
}

// noticeText turns a short code of the last action into a sentence (codes, not text,
// travel in the URL so that a link cannot make the page say anything).
func noticeText(code string) string {
	kind, count, _ := strings.Cut(code, ":")
	n, _ := strconv.Atoi(count)
	switch kind {
	case "removed":
		return web.Count(n, "job", "jobs") + " removed from the list. Tick “Removed jobs” to see them again."
	case "restored":
		return web.Count(n, "job", "jobs") + " shown in the list again."
	case "dismissed":
		return "Asked the servers to dismiss " + web.Count(n, "job", "jobs") + "."
	case "imported":
		return "Imported " + web.Count(n, "new job", "new jobs") + "."
	case "notify-on":
		return "You will be notified when a job ends."
	case "notify-off":
		return "Notifications are off."
	}
	return ""
}

// safeBack keeps a return URL on this application's job pages.
func safeBack(s, def string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/jobs") || strings.HasPrefix(s, "//") {
		return def
	}
	return u.RequestURI()
}

func withDone(back, code string) string {
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("done", code)
	q.Del("cursor")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// maxBulk bounds one bulk action.
const maxBulk = 500

func (h *Handler) Bulk(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.")
	}
	ids := r.PostForm["id"]
	back := safeBack(r.PostForm.Get("back"), "/jobs")
	if len(ids) == 0 {
		return web.BadRequest("Select one or more jobs first.")
	}
	if len(ids) > maxBulk {
		return web.BadRequest(fmt.Sprintf("Select at most %d jobs at a time.", maxBulk))
	}
	ctx := r.Context()
	now := time.Now()
	switch op := r.PostForm.Get("op"); op {
	case "remove", "restore":
		action := store.ActionHidden
		if op == "restore" {
			action = store.ActionUnhidden
		}
		n := 0
		for _, id := range ids {
			if err := h.Store.AddAction(ctx, id, action, "", now); errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			n++
		}
		code := "removed"
		if op == "restore" {
			code = "restored"
		}
		web.Redirect(w, r, withDone(back, fmt.Sprintf("%s:%d", code, n)))
		return nil
	case "dismiss":
		var failed []string
		n := 0
		for _, id := range ids {
			j, err := h.Store.Job(ctx, id)
			if err != nil || !Changing(j) {
				continue // ended jobs need no dismissing
			}
			if err := h.Monitor.Dismiss(ctx, id); err != nil {
				_, title, detail := web.Describe(err)
				failed = append(failed, j.ProcessID+" ("+id+"): "+title+": "+detail)
				continue
			}
			n++
		}
		if len(failed) > 0 {
			return &web.UserError{Status: http.StatusBadGateway, Title: web.Count(len(failed), "job", "jobs") + " could not be dismissed",
				Detail: strings.Join(failed, "\n")}
		}
		web.Redirect(w, r, withDone(back, fmt.Sprintf("dismissed:%d", n)))
		return nil
	}
	return web.BadRequest("Unknown action.")
}

func (h *Handler) ImportJobs(w http.ResponseWriter, r *http.Request) error {
	id := r.FormValue("endpoint")
	e, err := h.Endpoints.Endpoint(r.Context(), id)
	if err != nil {
		return err
	}
	caps, err := h.Endpoints.Capabilities(r.Context(), e.ID)
	if err != nil {
		return err
	}
	if !caps.JobList {
		return &web.UserError{Status: http.StatusConflict, Title: "This endpoint has no job list",
			Detail: e.Title + " does not declare the job-list conformance class, so its jobs cannot be listed."}
	}
	n, err := h.Monitor.Import(r.Context(), e.ID)
	if err != nil {
		return err
	}
	web.Redirect(w, r, withDone("/jobs", fmt.Sprintf("imported:%d", n)))
	return nil
}

func (h *Handler) Notifications(w http.ResponseWriter, r *http.Request) error {
	on := r.FormValue("on") == "1"
	code := "notify-off"
	if on {
		code = "notify-on"
	}
	if err := prefs.SetJobNotifications(r.Context(), h.Store, on); err != nil {
		return err
	}
	web.Redirect(w, r, withDone(safeBack(r.FormValue("back"), "/jobs"), code))
	return nil
}

func (h *Handler) jobModel(ctx context.Context, id string) (JobModel, error) {
	j, err := h.Store.Job(ctx, id)
	if err != nil {
		return JobModel{}, err
	}
	events, err := h.Store.Events(ctx, id)
	if err != nil {
		return JobModel{}, err
	}
	actions, err := h.Store.Actions(ctx, id)
	if err != nil {
		return JobModel{}, err
	}
	m := JobModel{Job: j, Events: events, Actions: actions, Now: time.Now(), Notify: h.notifyModel(ctx, JobURL(id)), Map: prefs.Defaults()}
	if h.Prefs != nil {
		m.Map = h.Prefs(ctx)
	}
	if e, err := h.Endpoints.Endpoint(ctx, j.EndpointID); err == nil {
		m.Endpoint = e
	}
	return m, nil
}

func (h *Handler) Job(w http.ResponseWriter, r *http.Request) error {
	m, err := h.jobModel(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "dismissed":
		m.Notice = "Asked the server to dismiss the job."
		if !m.Job.DeletedOnServer.IsZero() {
			m.Notice = "Deleted the job and its results on the server. Its record stays here."
		}
	case "labelled":
		m.Notice = "Saved the label and note."
	case "refreshed":
		m.Notice = "Asked the server for the job's status."
	default:
		m.Notice = noticeText(r.URL.Query().Get("done"))
	}
	return web.Render(w, r, web.Page{Title: "Job " + m.Job.ProcessID, Section: components.SectionJobs, Content: JobView(m),
		Fragments: []string{"job-status"}})
}

// logTimeout bounds reading a job's log from its server.
const logTimeout = 20 * time.Second

func (h *Handler) JobLog(w http.ResponseWriter, r *http.Request) error {
	j, err := h.Store.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	m := LogModel{JobID: j.ID, Live: Changing(j)}
	if m.Live && j.DeletedOnServer.IsZero() && h.Monitor != nil {
		// The page reads the log every few seconds while the job runs; its status is
		// asked for at the same moment, so that the status shown above the log is not
		// seconds behind it (F-23). The answer reaches the page as a live update.
		if err := h.Monitor.PollNow(r.Context(), j.ID); err != nil {
			h.log.Debug("status with the log", "job", j.ID, "err", err)
		}
	}
	switch {
	case !j.DeletedOnServer.IsZero():
		m.Err = "The job was deleted on the server: its log is no longer there."
	case h.Logs == nil:
		m.Err, m.Live = "Logs are not available here.", false
	default:
		ctx, cancel := context.WithTimeout(r.Context(), logTimeout)
		m.Log, err = h.Logs.Log(ctx, j)
		cancel()
		switch {
		case errors.Is(err, joblog.ErrNoLog):
			m.Err = "The server gives no log for this job."
			if m.Live {
				m.Err += " (It may once the job writes one.)"
			}
		case err != nil:
			_, title, detail := web.Describe(err)
			m.Err = "The log could not be read: " + title + ". " + detail
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return LogView(m).Render(r.Context(), w)
}

func (h *Handler) Dismiss(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.Monitor.Dismiss(r.Context(), id); err != nil {
		return err
	}
	web.Redirect(w, r, JobURL(id)+"?done=dismissed")
	return nil
}

func (h *Handler) Rerun(w http.ResponseWriter, r *http.Request) error {
	j, err := h.Store.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if len(j.Request) == 0 {
		return web.BadRequest("This job has no stored request (it was imported): it cannot be re-run as is.")
	}
	id, err := h.Monitor.Rerun(r.Context(), j)
	if err != nil && id == "" {
		return err
	}
	// A refused job is stored too (failed, with the server's reason): its page says why.
	web.Redirect(w, r, JobURL(id))
	return nil
}

// label saves the user's label and note of a job.
func (h *Handler) Label(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.")
	}
	id := r.PathValue("id")
	err := h.Store.SetLabel(r.Context(), id, r.PostForm.Get("label"), r.PostForm.Get("note"))
	if errors.Is(err, store.ErrInvalid) {
		return web.BadRequest(fmt.Sprintf("A label has at most %d characters and a note at most %d.", store.MaxLabel, store.MaxNote))
	}
	if err != nil {
		return err
	}
	web.Redirect(w, r, JobURL(id)+"?done=labelled")
	return nil
}

func (h *Handler) Refresh(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := h.Monitor.PollNow(r.Context(), id); err != nil {
		return err
	}
	web.Redirect(w, r, JobURL(id)+"?done=refreshed")
	return nil
}

// inputsGeoJSON is the job page map's data: the request's bounding boxes and geometries.
func (h *Handler) InputsGeoJSON(w http.ResponseWriter, r *http.Request) error {
	j, err := h.Store.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/geo+json")
	return json.NewEncoder(w).Encode(map[string]any{"type": "FeatureCollection", "features": inputFeatures(j.Request)})
}
