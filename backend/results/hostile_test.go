package results_test

import (
	"context"
	"encoding/json"
	"errors"

	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// recorder is a second loopback listener standing for a local service (or the app's
// own pages); it records every request it receives.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []string // "METHOD path Authorization"
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.Path+" "+req.Header.Get("Authorization"))
		r.mu.Unlock()
		_, _ = w.Write([]byte("local data"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

// hostileEnv is a job of a public endpoint (an IP literal: no DNS needed) whose results
// name assets on a loopback service.
func hostileEnv(t *testing.T, hrefs map[string]string, allowPrivate bool) (*results.Service, *results.Downloads, string) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ep, err := st.CreateEndpoint(context.Background(), store.Endpoint{ID: "public", Title: "Public", URL: "https://93.184.215.14/ogc/"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.CreateJob(context.Background(), store.NewJob{EndpointID: ep.ID, ProcessID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	assets := map[string]stac.Asset{}
	for k, h := range hrefs {
		assets[k] = stac.Asset{Href: h, Type: "image/tiff"}
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{sceneItem("i", assets)}}
	b, _ := json.Marshal(ic)
	if err := st.SetItems(context.Background(), j.ID, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	pub, _ := ogcapi.New("https://93.184.215.14/ogc/")
	mux := transfer.DefaultMux(nil)
	svc, err := results.NewService(results.ServiceOptions{Store: st, Sources: mux,
		Clients:      func(context.Context, string) (*ogcapi.Client, error) { return pub, nil },
		AllowPrivate: func(context.Context) bool { return allowPrivate }})
	if err != nil {
		t.Fatal(err)
	}
	d, err := results.NewDownloads(results.DownloadsOptions{Store: st, Items: svc.Items, Scope: svc.ScopeFor,
		Transfer: transfer.Options{Sources: mux, Retry: retry.Policy{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return svc, d, j.ID
}

// A public server's results that name a loopback service: opening the results page
// (the size probe), the asset proxy, previews and downloads make no request to it.
func TestPublicResultsCannotReachLocalServices(t *testing.T) {
	rec := newRecorder(t)
	svc, d, id := hostileEnv(t, map[string]string{"local": rec.URL + "/admin", "file": "file:///etc/passwd"}, false)
	ctx := context.Background()
	a := stac.Asset{Href: rec.URL + "/admin"}
	if _, ok := svc.Size(ctx, id, a); ok {
		t.Error("the size probe got an answer from a local service")
	}
	w := httptest.NewRecorder()
	if err := svc.ServeAsset(w, httptest.NewRequest("GET", "/", nil), id, "i", "local"); err == nil {
		t.Error("the asset proxy served a local service")
	}
	if _, err := svc.ReadAsset(ctx, id, "i", "local", 1<<20); err == nil {
		t.Error("a preview read a local service")
	}
	if _, err := svc.ReadAsset(ctx, id, "i", "file", 1<<20); err == nil {
		t.Error("a preview read a local file")
	}
	n, err := d.Start(ctx, id, t.TempDir(), nil)
	if n > 0 {
		p, _ := d.Wait(ctx, id)
		for _, f := range p.Files {
			if f.State == transfer.StateCompleted {
				t.Errorf("downloaded %s from a local address", f.Name)
			}
		}
	} else if err == nil {
		t.Error("nothing queued and no error")
	}
	if got := rec.seen(); len(got) != 0 {
		t.Fatalf("the local service received %q", got)
	}
}

// With the Settings switch on, the same results may be fetched.
func TestPrivateNetworkSwitchAllowsLocal(t *testing.T) {
	rec := newRecorder(t)
	svc, _, id := hostileEnv(t, map[string]string{"local": rec.URL + "/data.tif"}, true)
	b, err := svc.ReadAsset(context.Background(), id, "i", "local", 1<<20)
	if err != nil || string(b) != "local data" {
		t.Fatalf("%q %v", b, err)
	}
}

// The built-in endpoint's token goes only to its own paths, after normalisation.
func TestBuiltInTokenOnlyForItsOwnPaths(t *testing.T) {
	rec := newRecorder(t)
	auth := &results.Authorizer{Scopes: []results.Scoped{{Prefix: rec.URL + "/local/ogcapi/", Creds: ogcapi.Bearer("app-token")}}}
	src := transfer.DefaultMux(auth)
	for _, p := range []string{"/local/ogcapi/../../endpoints", "/local/ogcapi/%2e%2e/%2E%2E/settings", "/local/ogcapi/jobs/1/x.tif"} {
		u := mustParse(t, rec.URL+p)
		s, _ := src.Source(u)
		rc, err := s.ReadRange(context.Background(), u, 0, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	got := rec.seen()
	if len(got) != 3 {
		t.Fatalf("requests %q", got)
	}
	for _, r := range got[:2] {
		if strings.Contains(r, "app-token") {
			t.Errorf("the token left the built-in endpoint's paths: %q", r)
		}
	}
	if !strings.Contains(got[2], "app-token") {
		t.Errorf("the built-in endpoint's own path lost its token: %q", got[2])
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A redirect to file:// or to another scheme ends the download: the file is failed,
// with the reason in words, at once (it stayed "running", retried forever).
func TestRedirectToOtherSchemeEndsDownload(t *testing.T) {
	targets := map[string]string{"/file": "file:///etc/passwd", "/ftp": "ftp://127.0.0.1/x", "/gopher": "gopher://127.0.0.1/x"}
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, targets[r.URL.Path], http.StatusFound)
	}))
	defer hostile.Close()
	assets := map[string]stac.Asset{}
	for p := range targets {
		assets[strings.TrimPrefix(p, "/")] = stac.Asset{Href: hostile.URL + p}
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{sceneItem("i", assets)}}
	d, err := results.NewDownloads(results.DownloadsOptions{
		Items: func(context.Context, string) (*stac.ItemCollection, error) { return ic, nil },
		// Many attempts: a refusal must not be retried at all.
		Transfer: transfer.Options{Sources: transfer.DefaultMux(nil), Retry: retry.Policy{Attempts: 50, Base: time.Second, Max: time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	dest := t.TempDir()
	if n, err := d.Start(ctx, "", dest, nil); n != 3 || err != nil {
		t.Fatalf("queued %d: %v", n, err)
	}
	p, err := d.Wait(ctx, "")
	if err != nil {
		t.Fatalf("the downloads did not end: %v", err)
	}
	for _, f := range p.Files {
		scheme := strings.TrimPrefix(f.Asset, "/")
		if f.State != transfer.StateFailed || f.Code != transfer.PermissionDenied ||
			!strings.Contains(f.Error, "redirect to a \""+scheme+"\" URL is never followed") {
			t.Errorf("%s: %s %s %q", f.Asset, f.State, f.Code, f.Error)
		}
	}
}

// A public server's results that link their STAC on a loopback service or a cloud's
// metadata service: turning them into STAC (geojobs run, the jobs engine) makes no
// request there, through either client the callers use; with the Settings switch on,
// it may. geojobs run fetched them (2026-12-06).
func TestPublicResultsSTACLinksCannotReachLocalServices(t *testing.T) {
	rec := newRecorder(t)
	const public = "https://93.184.215.14/ogc/"
	job := results.JobInfo{ID: "j", ProcessID: "p", Endpoint: public, JobURL: public + "jobs/j"}
	res := &ogcapi.Results{Outputs: []ogcapi.OutputResult{{ID: "stac",
		Value: ogcapi.OutputValue{Kind: ogcapi.KindLink, Link: ogcapi.Link{Href: rec.URL + "/catalog.json", Type: "application/geo+json"}}}}}
	for name, client := range map[string]*http.Client{
		"run":    results.OriginClient(nil, public, ogcapi.Bearer("endpoint-token")),
		"engine": results.AuthClient(nil, nil),
		"custom": results.AuthClient(&http.Client{Transport: &http.Transport{}}, nil),
	} {
		if _, err := results.FromResults(context.Background(), res, job, results.Options{Fetcher: stac.HTTPFetcher{Client: client}}); err != nil &&
			!errors.Is(err, stac.ErrPermissionDenied) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := rec.seen(); len(got) != 0 {
		t.Fatalf("the local service received %q", got)
	}
	_, _ = results.FromResults(context.Background(), res, job, results.Options{Fetcher: stac.HTTPFetcher{Client: results.AuthClient(nil, nil)},
		Private: func(context.Context) bool { return true }})
	if got := rec.seen(); len(got) != 1 {
		t.Fatalf("with private networks allowed, the local service received %q", got)
	}
}
