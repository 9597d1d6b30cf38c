package resultspage

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/web"
)

// Exports is what the page needs to export results to the user's storage
// (backend/application.Exports).
type Exports interface {
	// Keys lists the keystore's storage keys; locked reports a locked keystore.
	Keys(ctx context.Context) (keys []export.KeyOption, locked bool)
	// Start exports the assets refs (all when empty) of a job to the folder of key.
	// It returns how many files are queued; the error is for people.
	Start(ctx context.Context, jobID, key, folder string, refs []results.AssetRef) (int, error)
	View(jobID string) (export.Progress, bool)
	Cancel(jobID string) bool
}

func (h *Handler) exports() Exports { return h.d.Exports }

// DefaultExportFolder is the folder proposed for a job's export.
func DefaultExportFolder(jobID string) string { return "geojobs/" + safeFile(jobID) }

// exportModel is the export form and panel of a job.
func (h *Handler) exportModel(ctx context.Context, jobID string) *ExportModel {
	x := h.exports()
	if x == nil {
		return nil
	}
	m := &ExportModel{JobID: jobID, Folder: DefaultExportFolder(jobID)}
	m.Keys, m.Locked = x.Keys(ctx)
	m.Progress, m.Started = x.View(jobID)
	return m
}

// exportOf is the exports service and the job of r's path.
func (h *Handler) exportOf(r *http.Request) (Exports, store.Job, error) {
	x := h.exports()
	if x == nil {
		return nil, store.Job{}, web.NotFound("Exports are not available.")
	}
	j, err := h.d.Jobs.Job(r.Context(), r.PathValue("id"))
	return x, j, err
}

func (h *Handler) StartExport(w http.ResponseWriter, r *http.Request) error {
	x, j, err := h.exportOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.")
	}
	key, folder := r.PostForm.Get("export_key"), r.PostForm.Get("export_folder")
	refs := selectedAssets(r, "export_all")
	if refs != nil && len(refs) == 0 {
		return h.renderExports(w, r, j.ID, "", "Select the assets to export first, or use Export all.")
	}
	if key == "" {
		return h.renderExports(w, r, j.ID, "", "Choose the key of the bucket or share to export to.")
	}
	n, err := x.Start(r.Context(), j.ID, key, folder, refs)
	notice, problem := "", ""
	if n > 0 {
		notice = web.Count(n, "file is", "files are") + " being exported."
	}
	if err != nil {
		if errors.Is(err, results.ErrNotReady) || errors.Is(err, store.ErrNotFound) {
			return err
		}
		if n > 0 {
			problem = "Some assets are not exported: " + err.Error()
		} else {
			problem = err.Error()
		}
	}
	return h.renderExports(w, r, j.ID, notice, problem)
}

func (h *Handler) CancelExport(w http.ResponseWriter, r *http.Request) error {
	x, j, err := h.exportOf(r)
	if err != nil {
		return err
	}
	x.Cancel(j.ID)
	return h.renderExports(w, r, j.ID, "", "")
}

func (h *Handler) ExportPanel(w http.ResponseWriter, r *http.Request) error {
	j, err := h.d.Jobs.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	m := h.exportModel(r.Context(), j.ID)
	if m == nil {
		return web.NotFound("Exports are not available.")
	}
	return ExportPanel(*m).Render(r.Context(), w)
}

func (h *Handler) renderExports(w http.ResponseWriter, r *http.Request, jobID, notice, problem string) error {
	m := h.exportModel(r.Context(), jobID)
	m.Notice, m.Problem = notice, problem
	return h.panelOrPage(w, r, jobID, ExportPanel(*m))
}

// ExportProgress publishes a job's export progress to the pages showing it (from the
// application's ExportProgress events).
func (h *Handler) ExportProgress(ctx context.Context, p export.Progress) {
	h.publish(ctx, ExportsTopic(p.JobID), ExportBodyOOB(p))
}

// ExportModel is the export form and panel of a job.
type ExportModel struct {
	JobID  string
	Keys   []export.KeyOption
	Locked bool
	Folder string // proposed folder
	// Progress is the job's last export, when Started.
	Progress        export.Progress
	Started         bool
	Notice, Problem string
}

// HasAllowed reports whether a key may receive the export.
func (m ExportModel) HasAllowed() bool {
	for _, k := range m.Keys {
		if k.Allowed {
			return true
		}
	}
	return false
}

var exportStateTexts = map[export.State]string{
	export.Queued:   "Queued",
	export.Running:  "Uploading",
	export.Done:     "Exported",
	export.Failed:   "Failed",
	export.Canceled: "Canceled",
}

// ExportStateText names a file's export state for people.
func ExportStateText(s export.State) string { return cmp.Or(exportStateTexts[s], string(s)) }
