package settingspage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pagetest"
	"github.com/geojobs/geojobs/frontend/web"
)

func newPage(t *testing.T) (*http.ServeMux, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := New(Deps{Settings: st, Version: "v9.9.9", Paths: Paths{DataDir: "/data/<gj>", Database: "/data/geojobs.db"},
		KeystoreState: func() string { return "locked, protected by a passphrase" }})
	return routes(h), st
}

// routes are the page's routes, as frontend/webapp serves them.
func routes(h *Handler) *http.ServeMux {
	return pagetest.Mux(map[string]web.HandlerFunc{"GET /settings": h.Show, "POST /settings": h.Save, "POST /settings/packages": h.SavePackages})
}

func doc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	return pagetest.Parse(t, rec.Body)
}

func post(mux http.Handler, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/settings", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

func TestShowsPathsVersionAndDefaults(t *testing.T) {
	mux, _ := newPage(t)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/settings", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	d := doc(t, rec)
	if v := d.Find("[data-testid=version]").Text(); v != "v9.9.9" {
		t.Errorf("version %q", v)
	}
	if got := d.Find("#path-data").Text(); got != "/data/<gj>" {
		t.Errorf("data dir %q (escaped text expected)", got)
	}
	if v, _ := d.Find("#pref-warn_km2").Attr("value"); v != "250000" {
		t.Errorf("warn default %q", v)
	}
	if d.Find("[data-testid=notify-control]").Length() != 1 {
		t.Error("no notification control")
	}
}

func TestSaveAndRefuse(t *testing.T) {
	mux, st := newPage(t)
	dir := filepath.Join(t.TempDir(), "dl")
	rec := post(mux, url.Values{"tiles_url": {"none"}, "warn_km2": {"1200"}, "downloads_dir": {dir}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", rec.Code, rec.Body)
	}
	p := prefs.Load(t.Context(), st)
	if p.TilesURL != "none" || p.WarnKm2 != 1200 || p.DownloadsDir != dir {
		t.Fatalf("stored %+v", p)
	}
	rec = post(mux, url.Values{"tiles_url": {"http://tiles.example/{z}/{x}/{y}.png"}, "warn_km2": {"12"}, "downloads_dir": {dir}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("refused save: %d", rec.Code)
	}
	d := doc(t, rec)
	if d.Find("[data-testid=error-tiles_url]").Length() != 1 {
		t.Error("no error next to the tiles field")
	}
	if v, _ := d.Find("#pref-tiles_url").Attr("value"); v != "http://tiles.example/{z}/{x}/{y}.png" {
		t.Errorf("typed value lost: %q", v)
	}
	if p := prefs.Load(t.Context(), st); p.WarnKm2 != 1200 {
		t.Fatalf("a refused save changed the stored values: %+v", p)
	}
}

// The downloads folder is a folder field: in the desktop window app.js adds the
// native picker's "Choose…" button beside it.
func TestDownloadsFolderField(t *testing.T) {
	mux, _ := newPage(t)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/settings", nil))
	d := doc(t, rec)
	in := d.Find(`.folder-row > input#pref-downloads_dir[name=downloads_dir][data-folder-picker]`)
	if in.Length() != 1 {
		t.Fatalf("no folder field for the downloads folder")
	}
	if v, _ := in.Attr("placeholder"); v != prefs.DefaultDownloadsDir() {
		t.Errorf("placeholder %q", v)
	}
	if d.Find("#pref-tiles_url[data-folder-picker], #pref-warn_km2[data-folder-picker]").Length() != 0 {
		t.Error("only folder fields get the picker")
	}
}

// An oversized form is refused as a whole: it used to read as empty fields and reset
// every preference.
func TestOversizedFormRefused(t *testing.T) {
	mux, st := newPage(t)
	if rec := post(mux, url.Values{"tiles_url": {"none"}, "warn_km2": {"1000"}, "allow_private": {"on"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", rec.Code)
	}
	rec := post(mux, url.Values{"tiles_url": {"none"}, "pad": {strings.Repeat("x", MaxForm+1)}})
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "unchanged") {
		t.Fatalf("oversized form: %d %s", rec.Code, rec.Body.String())
	}
	p := prefs.Load(t.Context(), st)
	if p.TilesURL != "none" || p.WarnKm2 != 1000 || !p.AllowPrivate {
		t.Errorf("preferences changed by a refused form: %+v", p)
	}
}

// The private-network switch is shown, saved and explained.
func TestPrivateNetworkSwitch(t *testing.T) {
	mux, st := newPage(t)
	get := func() *goquery.Document {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/settings", nil))
		return doc(t, rec)
	}
	box := get().Find("[data-testid=allow-private]")
	if box.Length() != 1 || box.AttrOr("checked", "none") != "none" {
		t.Fatalf("switch missing or on by default")
	}
	if !strings.Contains(get().Find("#pref-allow_private-help").Text(), "hostile server") {
		t.Error("the switch is not explained")
	}
	post(mux, url.Values{"allow_private": {"on"}})
	if !prefs.Load(t.Context(), st).AllowPrivate {
		t.Fatal("not saved")
	}
	if _, ok := get().Find("[data-testid=allow-private]").Attr("checked"); !ok {
		t.Error("not shown as on")
	}
	post(mux, url.Values{})
	if prefs.Load(t.Context(), st).AllowPrivate {
		t.Error("not turned off")
	}
}

// applied is the built-in endpoint, remembering the settings it was last given.
type applied struct {
	*localep.Server
	last *prefs.PackageRuns
}

func (a *applied) ApplyPackageRuns(p prefs.PackageRuns) error {
	a.last = &p
	return a.Server.ApplyPackageRuns(p)
}

// The package-run card shows how packages asking for containers run on this computer
// and why (here podman is not on the PATH), saves the choice, and applies it to the
// built-in endpoint for the next run; a wrong value saves nothing.
func TestPackageRunSettings(t *testing.T) {
	bin := t.TempDir()
	if err := os.Symlink("/usr/bin/cwltool", filepath.Join(bin, "cwltool")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ep, err := localep.New(localep.Options{DataDir: "/data", Fs: afero.NewMemMapFs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close(context.Background()) })
	runs := &applied{Server: ep}
	mux := routes(New(Deps{Settings: st, Packages: runs}))
	get := func() *goquery.Document {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/settings?saved=packages", nil))
		if rec.Code != 200 {
			t.Fatalf("GET: %d", rec.Code)
		}
		return doc(t, rec)
	}
	d := get()
	choice := d.Find("[data-testid=containers-choice]")
	if !strings.Contains(choice.Text(), "podman not found: running the tools installed on this computer") || choice.AttrOr("data-ok", "") != "true" {
		t.Errorf("choice %q", choice.Text())
	}
	if _, ok := d.Find("[data-testid=containers-auto]").Attr("checked"); !ok {
		t.Error("auto is not the default")
	}
	if how := d.Find("[data-testid=containers-how-podman]"); !strings.Contains(how.Text(), "Debian package podman") || !how.HasClass("field-error") {
		t.Errorf("podman option: %q", how.Text())
	}
	if v := d.Find("[data-testid=cwl-max-runs]").AttrOr("value", ""); v != "2" {
		t.Errorf("max runs %q", v)
	}

	req := httptest.NewRequest("POST", "/settings/packages", strings.NewReader(url.Values{"cwl_containers": {"none"}, "cwl_keep": {"all"}, "cwl_max_runs": {"3"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/settings?saved=packages#packages" {
		t.Fatalf("save: %d %s", rec.Code, rec.Header())
	}
	want := prefs.PackageRuns{Containers: "none", Keep: "all", MaxRuns: 3}
	if got := prefs.LoadPackageRuns(t.Context(), st); got != want || runs.last == nil || *runs.last != want {
		t.Fatalf("stored %+v, applied %+v", got, runs.last)
	}
	d = get()
	if !strings.Contains(d.Find("[data-testid=containers-choice]").Text(), "set to run without containers: running the tools installed on this computer (cwltool --no-container)") ||
		d.Find("[data-testid=packages-saved]").Length() != 1 || d.Find("[data-testid=cwl-keep] option[selected]").AttrOr("value", "") != "all" {
		t.Errorf("after save: %q", d.Find("[data-testid=packages-form]").Text())
	}

	req = httptest.NewRequest("POST", "/settings/packages", strings.NewReader(url.Values{"cwl_containers": {"docker"}, "cwl_keep": {"none"}, "cwl_max_runs": {"99"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("refused: %d", rec.Code)
	}
	d = doc(t, rec)
	if d.Find("[data-testid=error-cwl_containers]").Length() != 1 || d.Find("[data-testid=error-cwl_max_runs]").Length() != 1 ||
		d.Find("[data-testid=cwl-max-runs]").AttrOr("value", "") != "99" {
		t.Errorf("refused page: %q", d.Find("[data-testid=packages-form]").Text())
	}
	if got := prefs.LoadPackageRuns(t.Context(), st); got != want || *runs.last != want {
		t.Errorf("a refused save changed %+v / %+v", got, runs.last)
	}
}
