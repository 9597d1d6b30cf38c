// Package resultspage is the results page of a job (/jobs/{id}/results): its STAC items
// and assets (with thumbnails, sizes, checksums and copyable hrefs), their footprints,
// GeoJSON and Cloud-Optimized GeoTIFF previews on a map, the export of the
// ItemCollection as JSON, and the download manager's panel with live progress. The
// backend (backend/results) does the work; this package renders and routes.
package resultspage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
)

// Topic prefixes of the live connection (backend/hub): a job's downloads and its
// export to the user's storage.
const (
	TopicDownloads = "downloads"
	TopicExports   = "exports"
)

// DownloadsTopic is the topic of one job's downloads.
func DownloadsTopic(jobID string) string { return TopicDownloads + ":" + jobID }

// ExportsTopic is the topic of one job's export.
func ExportsTopic(jobID string) string { return TopicExports + ":" + jobID }

// Results is what the page needs of backend/results.Service.
type Results interface {
	Items(ctx context.Context, jobID string) (*stac.ItemCollection, error)
	Size(ctx context.Context, jobID string, a stac.Asset) (int64, bool)
	// Fetchable is nil for an asset the app may fetch, else why not; an error that is
	// netpolicy.ErrRefused (a file: href from a server) is shown with the asset.
	Fetchable(href string) error
	ServeAsset(w http.ResponseWriter, r *http.Request, jobID, itemID, key string) error
	ReadAsset(ctx context.Context, jobID, itemID, key string, limit int64) ([]byte, error)
}

// Downloads is what the page needs of backend/results.Downloads.
type Downloads interface {
	Start(ctx context.Context, jobID, dest string, refs []results.AssetRef) (int, error)
	Pause(jobID, taskID string) int
	Resume(jobID, taskID string) int
	Cancel(jobID, taskID string) int
	View(jobID string) results.JobProgress
	CheckFolder(ctx context.Context, jobID, dest string) (string, error)
}

// Jobs reads stored jobs (*store.Store).
type Jobs interface {
	Job(ctx context.Context, id string) (store.Job, error)
}

// Publisher is the hub (*hub.Hub).
type Publisher interface {
	PublishBytes(topic, key string, data []byte)
}

// Deps are the page's dependencies. Publisher may be nil (no live progress).
type Deps struct {
	Jobs      Jobs
	Results   Results
	Downloads Downloads
	Publisher Publisher
	// Exports exports results to the user's storage; nil hides the form.
	Exports Exports
	// DefaultDir is the default download folder of a job (default:
	// backend/results.DefaultDir).
	DefaultDir func(ctx context.Context, jobID string) string
	Logger     *slog.Logger
	// Prefs gives the user's map preferences (the footprints map's tiles); nil: the defaults.
	Prefs func(ctx context.Context) prefs.Prefs
}

// Handler serves the page.
type Handler struct {
	d   Deps
	log *slog.Logger
}

// New returns the page's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.DefaultDir == nil {
		d.DefaultDir = func(_ context.Context, jobID string) string { return results.DefaultDir(jobID) }
	}
	return &Handler{d: d, log: d.Logger}
}

func (h *Handler) items(ctx context.Context, id string) (store.Job, *stac.ItemCollection, error) {
	j, err := h.d.Jobs.Job(ctx, id)
	if err != nil {
		return j, nil, err
	}
	ic, err := h.d.Results.Items(ctx, id)
	if errors.Is(err, results.ErrNotReady) {
		return j, nil, noResults(j)
	}
	return j, ic, err
}

// noResults says why a job has no results, and links back to it.
func noResults(j store.Job) error {
	e := &web.UserError{Status: http.StatusNotFound, Title: "No results yet",
		Detail: "This job has no results to show yet: it is " + j.Status + ".",
		Link:   "/jobs/" + j.ID, LinkText: "Back to the job"}
	switch j.Status {
	case ogcapi.StatusFailed:
		e.Title, e.Detail = "The job failed", "A failed job has no results. Its page shows what the server said."
	case ogcapi.StatusDismissed:
		e.Title, e.Detail = "The job was dismissed", "A dismissed job has no results."
	}
	return e
}

// outputs is the Outputs card alone, which the job page loads.
func (h *Handler) Outputs(w http.ResponseWriter, r *http.Request) error {
	j, ic, err := h.items(r.Context(), r.PathValue("id"))
	if err != nil {
		// In place, not as a page: the job page asked for a part of itself.
		_, title, detail := web.Describe(err)
		return OutputsError(title+": "+detail).Render(r.Context(), w)
	}
	return OutputsCard(j.ID, outputViews(j.ID, ic), true).Render(r.Context(), w)
}

func (h *Handler) Page(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	j, ic, err := h.items(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	m := Model{Job: j, Dest: h.d.DefaultDir(ctx, j.ID), Downloads: h.d.Downloads.View(j.ID), TotalItems: len(ic.Features),
		Export: h.exportModel(ctx, j.ID), Map: prefs.Defaults(), Outputs: outputViews(j.ID, ic)}
	if h.d.Prefs != nil {
		m.Map = h.d.Prefs(ctx)
	}
	if len(j.AOI) > 0 {
		m.AOI = string(j.AOI)
	}
	for _, it := range ic.Features {
		if it != nil {
			m.TotalAssets += len(it.Assets)
		}
	}
	q := r.URL.Query()
	if focus := q.Get("item"); focus != "" {
		m.Focus = focus
		for _, it := range ic.Features {
			if it != nil && it.ID == focus {
				keys := it.AssetKeys()
				m.AssetPages = max(1, (len(keys)+AssetsPerPage-1)/AssetsPerPage)
				m.AssetPage = clamp(atoi(q.Get("apage")), 1, m.AssetPages)
				keys = keys[(m.AssetPage-1)*AssetsPerPage : min(len(keys), m.AssetPage*AssetsPerPage)]
				m.Items = []ItemView{h.itemView(ctx, j.ID, it, keys, 0)}
			}
		}
		if m.Items == nil {
			return web.NotFound("The results have no item " + focus + ".")
		}
	} else {
		m.Pages = max(1, (len(ic.Features)+ItemsPerPage-1)/ItemsPerPage)
		m.Page = clamp(atoi(q.Get("page")), 1, m.Pages)
		for _, it := range ic.Features[(m.Page-1)*ItemsPerPage : min(len(ic.Features), m.Page*ItemsPerPage)] {
			if it == nil {
				continue
			}
			keys := it.AssetKeys()
			more := max(0, len(keys)-AssetsPerItem)
			m.Items = append(m.Items, h.itemView(ctx, j.ID, it, keys[:min(len(keys), AssetsPerItem)], more))
		}
	}
	h.sizes(ctx, j.ID, m.Items, ic)
	return web.Render(w, r, web.Page{Title: "Results of " + j.ProcessID, Section: components.SectionJobs,
		Content: View(m), Fragments: []string{"downloads", "exports"}})
}

func (h *Handler) itemView(ctx context.Context, jobID string, it *stac.Item, keys []string, more int) ItemView {
	v := ItemView{ID: it.ID, Title: title(it), More: more, Props: itemProps(it)}
	if t, ok := it.Datetime(); ok {
		v.Datetime = t.UTC().Format("2006-01-02 15:04 UTC")
	}
	for _, k := range keys {
		a := it.Assets[k]
		av := AssetView{Key: k, Title: cmp.Or(a.Title, k), Type: a.Type, Href: a.Href, Roles: a.Roles, Checksum: a.Checksum(),
			Proxy: AssetURL(jobID, it.ID, k), Ref: RefValue(it.ID, k), Alternates: alternates(a)}
		av.Image = isImage(a) && (hasRole(a, "thumbnail", "overview", "visual") || len(a.Roles) == 0)
		if err := h.d.Results.Fetchable(a.Href); errors.Is(err, netpolicy.ErrRefused) {
			av.NotFetched = sentence(err.Error())
			av.Image = false
		}
		v.Assets = append(v.Assets, av)
	}
	return v
}

// sizes fills in the sizes of the assets shown: file:size, else the source's answer
// (HEAD), asked for at most 8 at a time and for at most 3 s in all.
func (h *Handler) sizes(ctx context.Context, jobID string, items []ItemView, ic *stac.ItemCollection) {
	byID := map[string]*stac.Item{}
	for _, it := range ic.Features {
		if it != nil {
			byID[it.ID] = it
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range items {
		it := byID[items[i].ID]
		for k := range items[i].Assets {
			av := &items[i].Assets[k]
			a := it.Assets[av.Key]
			if av.NotFetched != "" {
				av.Size = "—" // never asked: the file is on no server
				continue
			}
			if n, ok := a.Size(); ok {
				av.Size = Bytes(n)
				continue
			}
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				if n, ok := h.d.Results.Size(ctx, jobID, a); ok {
					av.Size = Bytes(n)
				} else {
					av.Size = "unknown"
				}
			})
		}
	}
	wg.Wait()
}

func (h *Handler) ExportJSON(w http.ResponseWriter, r *http.Request) error {
	j, ic, err := h.items(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return web.Attachment(w, "application/geo+json", "results-"+safeFile(j.ID)+".json", ic)
}

// Limits of the map's data: GeoJSON assets drawn, and their size.
const (
	maxMapGeoJSON      = 5
	maxMapGeoJSONBytes = 8 << 20
)

// mapData is the map's FeatureCollection (the page cannot embed it: HTMX drops script
// blocks from swapped content): the items' footprints with COG preview URLs, then the
// features of the results' GeoJSON assets.
func (h *Handler) MapData(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	j, ic, err := h.items(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	fc, geo := footprintFeatures(j.ID, ic.Features)
	fc = append(fc, outputFeatures(ic)...)
	for i, g := range geo {
		if i == maxMapGeoJSON {
			break
		}
		b, err := h.d.Results.ReadAsset(ctx, j.ID, g.Item, g.Asset, maxMapGeoJSONBytes)
		if err != nil {
			h.log.Debug("results: GeoJSON asset for the map", "job", j.ID, "asset", g.Asset, "err", err)
			continue
		}
		fc = append(fc, geoJSONFeatures(b, g.Item+" / "+g.Asset)...)
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "private, max-age=60")
	return json.NewEncoder(w).Encode(map[string]any{"type": "FeatureCollection", "features": fc})
}

// asset is the proxy route; its errors are short texts (it serves <img> and range reads).
// A navigation the user started (the Open link: Sec-Fetch-User, which no page script
// can set) may reach a local or private address a public server named; thumbnails,
// previews and probes may not (results.UserOpened).
func (h *Handler) Asset(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Sec-Fetch-User") == "?1" && r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		r = r.WithContext(results.UserOpened(r.Context()))
	}
	err := h.d.Results.ServeAsset(w, r, r.PathValue("id"), r.PathValue("item"), r.PathValue("asset"))
	if err == nil {
		return
	}
	status, msg := results.Status(err)
	if errors.Is(err, store.ErrNotFound) {
		status, msg = http.StatusNotFound, "No such job."
	}
	if status >= 500 {
		h.log.Debug("asset proxy", "job", r.PathValue("id"), "status", status, "err", err)
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.Error(w, msg, status)
}

func (h *Handler) Panel(w http.ResponseWriter, r *http.Request) error {
	j, err := h.d.Jobs.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return DownloadsPanel(j.ID, h.d.Downloads.View(j.ID), "", "").Render(r.Context(), w)
}

func (h *Handler) Start(w http.ResponseWriter, r *http.Request) error {
	j, err := h.d.Jobs.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.")
	}
	dest := r.PostForm.Get("dest")
	if dest == "" {
		dest = h.d.DefaultDir(r.Context(), j.ID)
	}
	refs := selectedAssets(r, "all")
	if refs != nil && len(refs) == 0 {
		return h.renderPanel(w, r, j.ID, "", "Select the assets to download first, or use Download all.")
	}
	n, err := h.d.Downloads.Start(r.Context(), j.ID, dest, refs)
	notice, problem := "", ""
	if n > 0 {
		notice = web.Count(n, "file", "files") + " queued into " + dest + "."
	}
	if err != nil {
		if errors.Is(err, results.ErrNotReady) || errors.Is(err, store.ErrNotFound) {
			return err
		}
		if why, ok := folderProblem(err); ok {
			return h.renderPanel(w, r, j.ID, "", "Nothing was queued: "+why)
		}
		problem = "Some assets were not queued: " + err.Error()
	}
	return h.renderPanel(w, r, j.ID, notice, problem)
}

// checkFolder checks the folder typed, before anything is queued.
func (h *Handler) CheckFolder(w http.ResponseWriter, r *http.Request) error {
	j, err := h.d.Jobs.Job(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.BadRequest("The form could not be read.")
	}
	dest, err := h.d.Downloads.CheckFolder(r.Context(), j.ID, r.PostForm.Get("dest"))
	if why, ok := folderProblem(err); ok {
		return FolderCheck("", why).Render(r.Context(), w)
	}
	if err != nil {
		return err
	}
	return FolderCheck("Files will go to "+dest+".", "").Render(r.Context(), w)
}

// folderProblem is the reason a destination folder was refused, for people.
func folderProblem(err error) (string, bool) {
	if !errors.Is(err, results.ErrBadFolder) {
		return "", false
	}
	var te *transfer.Error
	if errors.As(err, &te) {
		return upperFirst(te.Error()) + ".", true
	}
	return "the folder cannot be used.", true
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (h *Handler) Control(w http.ResponseWriter, r *http.Request) error {
	id, task, op := r.PathValue("id"), r.PathValue("task"), r.PathValue("op")
	if _, err := h.d.Jobs.Job(r.Context(), id); err != nil {
		return err
	}
	var n int
	switch op {
	case "pause":
		n = h.d.Downloads.Pause(id, task)
	case "resume":
		n = h.d.Downloads.Resume(id, task)
	case "cancel":
		n = h.d.Downloads.Cancel(id, task)
	default:
		return web.NotFound("No such action: " + op + ".")
	}
	if n == 0 && task != "" {
		return web.NotFound("No such download.")
	}
	return h.renderPanel(w, r, id, "", "")
}

func (h *Handler) renderPanel(w http.ResponseWriter, r *http.Request, jobID, notice, problem string) error {
	return h.panelOrPage(w, r, jobID, DownloadsPanel(jobID, h.d.Downloads.View(jobID), notice, problem))
}

// selectedAssets are the assets ticked in the posted form: nil when the button named
// all was pressed (every asset), empty when none is ticked.
func selectedAssets(r *http.Request, all string) []results.AssetRef {
	if r.PostForm.Get(all) != "" {
		return nil
	}
	refs := []results.AssetRef{}
	for _, v := range r.PostForm["asset"] {
		if ref, ok := ParseRef(v); ok {
			refs = append(refs, ref)
		}
	}
	return refs
}

// panelOrPage answers a panel's action: the panel for an HTMX request, else (a form
// posted without script) the results page again.
func (h *Handler) panelOrPage(w http.ResponseWriter, r *http.Request, jobID string, panel templ.Component) error {
	if web.IsHTMX(r) {
		return panel.Render(r.Context(), w)
	}
	http.Redirect(w, r, "/jobs/"+jobID+"/results", http.StatusSeeOther)
	return nil
}

// publish pushes a panel's body to the pages subscribed to topic.
func (h *Handler) publish(ctx context.Context, topic string, body templ.Component) {
	pub := h.d.Publisher
	if pub == nil {
		return
	}
	var buf bytes.Buffer
	if err := body.Render(ctx, &buf); err != nil {
		h.log.Warn("results: render a live panel", "topic", topic, "err", err)
		return
	}
	pub.PublishBytes(topic, "panel", buf.Bytes())
}

// Progress publishes a job's download panel to the pages showing it (from the
// application's DownloadProgress events).
func (h *Handler) Progress(ctx context.Context, p results.JobProgress) {
	h.publish(ctx, DownloadsTopic(p.JobID), DownloadsPanelOOB(p.JobID, p))
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 1
	}
	return n
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func safeFile(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Snapshot is the current state of one of the page's live topics (the hub's Snapshot
// for DownloadsTopic and ExportsTopic): a job's download panel, nothing for a job that
// is not stored; its export panel, nothing before an export. ok is false for a topic
// that is not the page's.
func (h *Handler) Snapshot(ctx context.Context, topic string) (msgs []hub.Message, ok bool, err error) {
	if id, found := strings.CutPrefix(topic, TopicDownloads+":"); found {
		if _, err := h.d.Jobs.Job(ctx, id); errors.Is(err, store.ErrNotFound) {
			return nil, true, nil
		} else if err != nil {
			return nil, true, err
		}
		b, err := renderBytes(ctx, DownloadsPanelOOB(id, h.d.Downloads.View(id)))
		if err != nil {
			return nil, true, err
		}
		return []hub.Message{{Key: "panel", Data: b}}, true, nil
	}
	if id, found := strings.CutPrefix(topic, TopicExports+":"); found {
		x := h.exports()
		if x == nil {
			return nil, true, nil
		}
		p, started := x.View(id)
		if !started {
			return nil, true, nil
		}
		b, err := renderBytes(ctx, ExportBodyOOB(p))
		if err != nil {
			return nil, true, err
		}
		return []hub.Message{{Key: "panel", Data: b}}, true, nil
	}
	return nil, false, nil
}

func renderBytes(ctx context.Context, c templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
