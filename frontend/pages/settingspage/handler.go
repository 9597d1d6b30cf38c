// Package settingspage is the Settings page: preferences (map tiles, AOI warning, downloads
// folder, notifications), how the built-in endpoint runs application packages, where
// geojobs keeps its files, and the version.
package settingspage

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
	"github.com/geojobs/geojobs/frontend/web"
)

// Deps are what the page needs.
type Deps struct {
	Settings prefs.Settings
	Paths    Paths
	Version  string
	// KeystoreState describes the keystore (e.g. "locked, protected by a passphrase").
	KeystoreState func() string
	// Packages is the built-in endpoint's runner of CWL packages; nil hides its settings.
	Packages PackageRuns
	Logger   *slog.Logger
}

// PackageRuns is how the built-in endpoint runs deployed CWL application packages
// (localep.Server).
type PackageRuns interface {
	// ExplainContainers says how a package that asks for containers runs with the
	// containers setting (auto, podman, none), and why; the error says why it cannot.
	ExplainContainers(setting string) (string, error)
	// ApplyPackageRuns makes the settings apply to the next run.
	ApplyPackageRuns(prefs.PackageRuns) error
}

// Handler serves the page.
type Handler struct{ d Deps }

// New returns the page's handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.KeystoreState == nil {
		d.KeystoreState = func() string { return "unknown" }
	}
	return &Handler{d: d}
}

func (h *Handler) model(ctx context.Context) Model {
	m := Model{
		Version: h.d.Version, Paths: h.d.Paths, KeystoreState: h.d.KeystoreState(),
		Prefs:  prefs.Load(ctx, h.d.Settings),
		Notify: jobspage.NotifyModel{On: prefs.JobNotifications(ctx, h.d.Settings), Back: "/settings"},
	}
	if h.d.Packages != nil {
		m.Packages = h.packagesModel(prefs.LoadPackageRuns(ctx, h.d.Settings))
	}
	return m
}

// packagesModel explains each containers choice, and the one in force.
func (h *Handler) packagesModel(p prefs.PackageRuns) *PackagesModel {
	pm := &PackagesModel{Runs: p}
	for _, c := range []struct{ value, label string }{
		{prefs.ContainersAuto, "Automatic"}, {prefs.ContainersPodman, "Podman"}, {prefs.ContainersNone, "No containers"},
	} {
		how, err := h.d.Packages.ExplainContainers(c.value)
		o := ContainerOption{Value: c.value, Label: c.label, How: how}
		if err != nil {
			o.Problem = err.Error()
		}
		pm.Options = append(pm.Options, o)
	}
	return pm
}

// savePackages stores the package-run settings and applies them to the next run.
func (h *Handler) SavePackages(w http.ResponseWriter, r *http.Request) error {
	if h.d.Packages == nil {
		return web.NotFound("This geojobs runs no application packages itself.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	if err := r.ParseForm(); err != nil {
		return &web.UserError{Status: http.StatusRequestEntityTooLarge, Title: "Nothing was saved",
			Detail: "The settings form is too large or unreadable; your settings are unchanged."}
	}
	in := prefs.PackageRunsInput{Containers: r.PostFormValue("cwl_containers"), Keep: r.PostFormValue("cwl_keep"), MaxRuns: r.PostFormValue("cwl_max_runs")}
	errs, err := prefs.SavePackageRuns(r.Context(), h.d.Settings, in)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		m := h.model(r.Context())
		m.Packages.Input, m.Packages.Errors = &in, map[string]string{}
		for _, e := range errs {
			m.Packages.Errors[e.Field] = e.Msg
		}
		return web.Render(w, r, web.Page{Title: "Settings", Section: components.SectionSettings,
			Content: View(m), Status: http.StatusUnprocessableEntity})
	}
	if err := h.d.Packages.ApplyPackageRuns(prefs.LoadPackageRuns(r.Context(), h.d.Settings)); err != nil {
		return err
	}
	web.Redirect(w, r, "/settings?saved=packages#packages")
	return nil
}

func (h *Handler) Show(w http.ResponseWriter, r *http.Request) error {
	m := h.model(r.Context())
	m.Saved = r.URL.Query().Get("saved") == "1"
	if m.Packages != nil {
		m.Packages.Saved = r.URL.Query().Get("saved") == "packages"
	}
	return web.Render(w, r, web.Page{Title: "Settings", Section: components.SectionSettings, Content: View(m)})
}

// MaxForm is the largest preferences form accepted. A bigger one is refused as a
// whole: reading it partly would save empty fields, that is, reset every preference.
const MaxForm = 64 << 10

func (h *Handler) Save(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxForm)
	if err := r.ParseForm(); err != nil {
		return &web.UserError{Status: http.StatusRequestEntityTooLarge, Title: "Nothing was saved",
			Detail: "The settings form is too large or unreadable; your preferences are unchanged."}
	}
	in := prefs.Input{TilesURL: r.PostFormValue("tiles_url"), WarnKm2: r.PostFormValue("warn_km2"),
		DownloadsDir: r.PostFormValue("downloads_dir"), AllowPrivate: r.PostFormValue("allow_private")}
	// An empty or default value is stored as "use the default".
	if in.TilesURL == prefs.DefaultTilesURL {
		in.TilesURL = ""
	}
	if in.DownloadsDir == prefs.DefaultDownloadsDir() {
		in.DownloadsDir = ""
	}
	errs, err := prefs.Save(r.Context(), h.d.Settings, in)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		m := h.model(r.Context())
		m.Input, m.Errors = &in, map[string]string{}
		for _, e := range errs {
			m.Errors[e.Field] = e.Msg
		}
		return web.Render(w, r, web.Page{Title: "Settings", Section: components.SectionSettings,
			Content: View(m), Status: http.StatusUnprocessableEntity})
	}
	web.Redirect(w, r, "/settings?saved=1")
	return nil
}
