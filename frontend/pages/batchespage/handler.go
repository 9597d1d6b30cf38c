// Package batchespage is the batch list (shown on the Jobs page) and a batch's own page:
// aggregate progress, the member jobs, retry failed, dismiss all, the submission limit
// of the endpoint, one merged ItemCollection and the members' areas on one map.
package batchespage

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/mapdata"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Store is what the pages read and change in the database.
type Store interface {
	Batches(ctx context.Context, withHidden bool) ([]store.Batch, error)
	Batch(ctx context.Context, id string) (store.Batch, error)
	BatchMembers(ctx context.Context, id string) ([]store.BatchMember, error)
	HideBatch(ctx context.Context, id string, at time.Time) error
	CancelWaitingMembers(ctx context.Context, id string) (int, error)
	Endpoint(ctx context.Context, id string) (store.Endpoint, error)
	// JobBatch names the batch a job was submitted for ("" for none).
	JobBatch(ctx context.Context, jobID string) (string, error)
}

// Publisher pushes a rendered fragment to the pages subscribed to a topic
// (backend/hub).
type Publisher interface {
	PublishBytes(topic, key string, data []byte)
}

// Engine is the batch engine (backend/batch).
type Engine interface {
	RetryFailed(ctx context.Context, batchID string) (int, error)
	Limit(ctx context.Context, endpointID string) int
	SetLimit(ctx context.Context, endpointID string, n int) error
}

// Deps are the pages' dependencies.
type Deps struct {
	Store  Store
	Engine Engine
	// Dismiss asks the server to dismiss a job (the monitor's Dismiss).
	Dismiss func(ctx context.Context, jobID string) error
	// Merged is the batch's merged ItemCollection (batch.Merged).
	Merged func(ctx context.Context, batchID string) (*stac.ItemCollection, int, error)
	// Downloads is the download orchestrator (*results.Downloads); nil hides Download all.
	Downloads batch.Downloader
	// DefaultDir is the default folder of a batch's downloads.
	DefaultDir func(ctx context.Context, batchID string) string
	// Publisher pushes the download progress to the batch pages; nil pushes nothing.
	Publisher Publisher
	Logger    *slog.Logger
}

// Handler serves the pages.
type Handler struct{ d Deps }

// New returns the pages' handler.
func New(d Deps) *Handler { return &Handler{d: d} }

// list renders the batch rows alone (the Jobs page loads them into its head).
func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get("HX-Request") == "" {
		// Typed in the address bar (or a bookmark): the rows alone would be a blank
		// page; the Jobs page shows them.
		http.Redirect(w, r, "/jobs", http.StatusSeeOther)
		return nil
	}
	bs, err := h.d.Store.Batches(r.Context(), false)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return Rows(bs).Render(r.Context(), w)
}

func (h *Handler) load(r *http.Request) (Model, error) {
	b, err := h.d.Store.Batch(r.Context(), r.PathValue("id"))
	if err != nil {
		return Model{}, err
	}
	m := Model{Batch: b, Limit: h.d.Engine.Limit(r.Context(), b.EndpointID), State: r.URL.Query().Get("state")}
	if e, err := h.d.Store.Endpoint(r.Context(), b.EndpointID); err == nil {
		m.Endpoint = e.Title
	}
	return m, nil
}

func (h *Handler) Show(w http.ResponseWriter, r *http.Request) error {
	m, err := h.load(r)
	if err != nil {
		return err
	}
	if m.Members, err = h.d.Store.BatchMembers(r.Context(), m.Batch.ID); err != nil {
		return err
	}
	m.Notice = r.URL.Query().Get("notice")
	if err := h.loadDownloads(r.Context(), &m); err != nil {
		return err
	}
	return web.Render(w, r, web.Page{Title: "Batch " + m.title(), Section: components.SectionJobs, Content: Page(m)})
}

// loadDownloads fills in the Download all card: the default folder and the progress.
func (h *Handler) loadDownloads(ctx context.Context, m *Model) error {
	if h.d.Downloads == nil {
		return nil
	}
	p, err := batch.Progress(ctx, h.d.Store, h.d.Downloads, m.Batch.ID)
	if err != nil {
		return err
	}
	m.Downloads = &DownloadsModel{BatchID: m.Batch.ID, Progress: p, Dest: h.defaultDir(ctx, m.Batch.ID),
		Ready: m.Batch.Counts.Succeeded > 0}
	return nil
}

func (h *Handler) defaultDir(ctx context.Context, id string) string {
	if h.d.DefaultDir == nil {
		return ""
	}
	return h.d.DefaultDir(ctx, id)
}

// downloads is the progress of the batch's downloads alone (the page has it pushed
// by the hub as files move: DownloadProgress).
func (h *Handler) Downloads(w http.ResponseWriter, r *http.Request) error {
	m, err := h.load(r)
	if err != nil {
		return err
	}
	if h.d.Downloads == nil {
		return web.NotFound("Downloads are not available here.")
	}
	if err := h.loadDownloads(r.Context(), &m); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return DownloadsProgress(*m.Downloads).Render(r.Context(), w)
}

// downloadAll queues the results of every succeeded member into the folder given,
// one sub-folder per member, through the download orchestrator.
func (h *Handler) DownloadAll(w http.ResponseWriter, r *http.Request) error {
	b, err := h.d.Store.Batch(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if h.d.Downloads == nil {
		return web.NotFound("Downloads are not available here.")
	}
	dest := strings.TrimSpace(r.FormValue("dest"))
	if dest == "" {
		dest = h.defaultDir(r.Context(), b.ID)
	}
	members, files, err := batch.DownloadAll(r.Context(), h.d.Store, h.d.Downloads, b.ID, dest)
	if errors.Is(err, results.ErrBadFolder) {
		why := "the folder cannot be used."
		if te := (*transfer.Error)(nil); errors.As(err, &te) {
			why = te.Error() + "."
		}
		h.back(w, r, "Nothing was queued: "+why)
		return nil
	}
	msg := web.Count(files, "file", "files") + " of " + web.Count(members, "job", "jobs") + " queued into " + dest + ", one folder per job."
	if files == 0 && err == nil {
		msg = "Nothing to download: no finished job of this batch has files (or they are all in " + dest + " already)."
	}
	if err != nil {
		if h.d.Logger != nil {
			h.d.Logger.Info("batch download: some results were not queued", "batch", b.ID, "err", err)
		}
		msg += " Some results could not be queued: see the jobs' own pages."
	}
	h.back(w, r, msg)
	return nil
}

// summary is the progress card alone, polled by the page while the batch runs.
func (h *Handler) ShowSummary(w http.ResponseWriter, r *http.Request) error {
	m, err := h.load(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	return Summary(m).Render(r.Context(), w)
}

func (h *Handler) Items(w http.ResponseWriter, r *http.Request) error {
	b, err := h.d.Store.Batch(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ic, _, err := h.d.Merged(r.Context(), b.ID)
	if err != nil {
		return err
	}
	return web.Attachment(w, "application/geo+json", "batch-"+b.ID[:8]+".items.json", ic)
}

// mapData is the members' areas as a FeatureCollection (title: label and state).
func (h *Handler) MapData(w http.ResponseWriter, r *http.Request) error {
	ms, err := h.d.Store.BatchMembers(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	fs := make([]mapdata.Footprint, len(ms))
	for i, m := range ms {
		fs[i] = mapdata.Footprint{ID: m.Line, Title: m.Label + " — " + m.State(), Geometry: m.AOI}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(mapdata.FeatureCollection(fs))
	return err
}

func (h *Handler) back(w http.ResponseWriter, r *http.Request, notice string) {
	web.Redirect(w, r, "/batches/"+r.PathValue("id")+"?notice="+urlQueryEscape(notice))
}

func (h *Handler) Retry(w http.ResponseWriter, r *http.Request) error {
	n, err := h.d.Engine.RetryFailed(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	h.back(w, r, web.Count(n, "failed job", "failed jobs")+" sent again.")
	return nil
}

// dismiss stops the batch: members not sent yet are canceled, running jobs dismissed.
func (h *Handler) Dismiss(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	canceled, err := h.d.Store.CancelWaitingMembers(r.Context(), id)
	if err != nil {
		return err
	}
	ms, err := h.d.Store.BatchMembers(r.Context(), id)
	if err != nil {
		return err
	}
	dismissed, failed := 0, 0
	for _, m := range ms {
		if m.JobID == "" || m.State() != "running" {
			continue
		}
		if err := h.d.Dismiss(r.Context(), m.JobID); err != nil {
			failed++
			continue
		}
		dismissed++
	}
	msg := web.Count(canceled, "job", "jobs") + " not sent; " + web.Count(dismissed, "running job", "running jobs") + " dismissed."
	if failed > 0 {
		msg += " " + web.Count(failed, "job", "jobs") + " could not be dismissed; see their pages."
	}
	h.back(w, r, msg)
	return nil
}

func (h *Handler) Hide(w http.ResponseWriter, r *http.Request) error {
	if _, err := h.d.Store.CancelWaitingMembers(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	if err := h.d.Store.HideBatch(r.Context(), r.PathValue("id"), time.Now()); err != nil {
		return err
	}
	web.Redirect(w, r, "/jobs")
	return nil
}

func (h *Handler) Limit(w http.ResponseWriter, r *http.Request) error {
	b, err := h.d.Store.Batch(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.FormValue("limit"))
	if err != nil || n < 1 || n > 1000 {
		return web.BadRequest("The limit must be a whole number from 1 to 1000.")
	}
	if err := h.d.Engine.SetLimit(r.Context(), b.EndpointID, n); err != nil {
		return err
	}
	h.back(w, r, "At most "+web.Count(n, "job", "jobs")+" of this endpoint's batches now run at a time.")
	return nil
}

// statusOf is the OGC status shown for a member.
func statusOf(m store.BatchMember) string {
	switch {
	case m.Status == "" && m.Canceled:
		return "not sent"
	case m.Status == "":
		return "waiting"
	case m.Status == ogcapi.StatusSuccessful:
		return "successful"
	}
	return m.Status
}
