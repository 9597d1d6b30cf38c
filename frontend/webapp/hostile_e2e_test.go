package webapp

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// The secrets of the keys configured for the hostile server's origin, and what the
// file the hostile results point at holds.
const (
	hostileBearer = "bearer-E2E-canary-31f0"
	hostileAPIKey = "apikey-E2E-canary-c7d2"
	localCanary   = "local-file-E2E-canary-8b44"
)

// e2eChildEnv marks the child process of TestHostileServerEndToEnd.
const e2eChildEnv = "GEOJOBS_E2E_HOSTILE_CHILD"

// seen is one request a listener received.
type seen struct {
	Host, Path, Authorization, APIKey, Cookie, Referer string
	Proxied                                            bool // came through the test proxy (a public host's name)
}

type recording struct {
	mu   sync.Mutex
	reqs []seen
}

func (rc *recording) handler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, seen{Host: r.Host, Path: r.URL.Path, Authorization: r.Header.Get("Authorization"),
			APIKey: r.Header.Get("X-Api-Key"), Cookie: r.Header.Get("Cookie"), Referer: r.Header.Get("Referer"),
			Proxied: r.Header.Get("X-Test-Proxied") != ""})
		rc.mu.Unlock()
		io.WriteString(w, body)
	}
}

func (rc *recording) all() []seen {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]seen(nil), rc.reqs...)
}

// TestHostileServerEndToEnd runs the app against a hostile OGC API server
// (hostile.test, a public name: requests to it go through a forward proxy, as to any
// server on the Internet) and a second loopback listener that records what it
// receives (a local service; elsewhere.test is routed to it too). Keystore keys
// (bearer and API-key header) are configured for the hostile origin. The job's
// results point at a local file, at the loopback service directly, through a
// redirect to it, and through a redirect to another origin. Opening the results
// page, the map's previews and "Download all" must give away no credential, read no
// local file and make no request to the loopback service (issue 11, "Done when").
//
// The app runs in a child process: net/http reads the proxy settings once per
// process, so HTTP_PROXY must be set before anything makes a request.
func TestHostileServerEndToEnd(t *testing.T) {
	if os.Getenv(e2eChildEnv) != "" {
		hostileChild(t)
		return
	}
	file := filepath.Join(t.TempDir(), "private.txt")
	if err := os.WriteFile(file, []byte(localCanary), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := &recording{}
	recorder := httptest.NewServer(rec.handler("loopback service data"))
	defer recorder.Close()
	hostileSeen := &recording{}
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hostileSeen.handler("")(httptest.NewRecorder(), r)
		hostileOGC(w, r, recorder.URL, file)
	}))
	defer hostile.Close()
	routes := map[string]string{"hostile.test": hostile.URL, "elsewhere.test": recorder.URL}
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		target, _ := url.Parse(routes[pr.In.URL.Hostname()])
		pr.SetURL(target)
		pr.Out.URL.Path, pr.Out.URL.RawPath = pr.In.URL.Path, pr.In.URL.RawPath
		pr.Out.Host = pr.In.Host
		pr.Out.Header.Set("X-Test-Proxied", "1")
	}})
	defer proxy.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHostileServerEndToEnd$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "HTTP_PROXY="+proxy.URL, "http_proxy="+proxy.URL, "NO_PROXY=", "no_proxy=",
		e2eChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHostileServerEndToEnd") {
		t.Fatalf("the app's side failed: %v\n%s", err, out)
	}

	// The hostile server got the keys for its own origin (they were configured for it).
	var withKey int
	for _, r := range hostileSeen.all() {
		if r.Authorization == "Bearer "+hostileBearer {
			withKey++
		}
	}
	if withKey == 0 {
		t.Error("the keys were never used, so their absence elsewhere proves nothing")
	}
	// The loopback service: nothing reached it directly; what reached it as
	// elsewhere.test (after the hostile redirect) carried no credential.
	var redirected int
	for _, r := range rec.all() {
		if !r.Proxied {
			t.Errorf("the loopback service was reached directly: %+v", r)
		}
		if r.Authorization != "" || r.APIKey != "" || r.Cookie != "" || r.Referer != "" {
			t.Errorf("a credential or the Referer followed the redirect to another origin: %+v", r)
		}
		redirected++
	}
	if redirected == 0 {
		t.Error("the redirect to another origin was never followed: the test proves nothing about it")
	}
}

// hostileOGC answers as hostile.test: one process whose job succeeds at once with
// results that point at a local file, at the loopback service, and at redirects.
func hostileOGC(w http.ResponseWriter, r *http.Request, recorderURL, file string) {
	j := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch r.URL.Path {
	case "/":
		j(200, map[string]any{"links": []map[string]string{{"rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance", "href": "http://hostile.test/conformance"}}})
	case "/conformance":
		j(200, map[string]any{"conformsTo": []string{"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"}})
	case "/processes/steal":
		j(200, map[string]any{"id": "steal", "version": "1", "jobControlOptions": []string{"async-execute"},
			"inputs": map[string]any{}, "outputs": map[string]any{"result": map[string]any{"schema": map[string]any{"type": "object"}}}})
	case "/processes/steal/execution":
		w.Header().Set("Location", "http://hostile.test/jobs/j1")
		j(201, map[string]any{"jobID": "j1", "status": "accepted"})
	case "/jobs/j1":
		j(200, map[string]any{"jobID": "j1", "status": "successful", "links": []map[string]string{{"rel": "http://www.opengis.net/def/rel/ogc/1.0/results", "href": "http://hostile.test/jobs/j1/results"}}})
	case "/jobs/j1/results":
		assets := map[string]any{
			"local-file":     map[string]any{"href": (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String(), "type": "image/tiff", "roles": []string{"data"}},
			"local-service":  map[string]any{"href": recorderURL + "/admin/data.tif", "type": "image/tiff", "roles": []string{"data"}},
			"redirect-local": map[string]any{"href": "http://hostile.test/to-local", "type": "application/geo+json", "roles": []string{"data"}},
			"redirect-other": map[string]any{"href": "http://hostile.test/to-other", "type": "application/octet-stream", "roles": []string{"data"}},
			"own":            map[string]any{"href": "http://hostile.test/own.bin", "type": "application/octet-stream", "roles": []string{"data"}},
		}
		j(200, map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{
			"type": "Feature", "stac_version": "1.0.0", "id": "loot", "links": []any{},
			"geometry":   map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{6, 45}, {7, 45}, {7, 46}, {6, 46}, {6, 45}}}},
			"bbox":       []float64{6, 45, 7, 46},
			"properties": map[string]any{"datetime": "2026-01-01T00:00:00Z"}, "assets": assets}}})
	case "/to-local":
		http.Redirect(w, r, recorderURL+"/admin/redirected", http.StatusFound)
	case "/to-other":
		http.Redirect(w, r, "http://elsewhere.test/collect", http.StatusFound)
	case "/own.bin":
		io.WriteString(w, "the hostile server's own file")
	default:
		http.NotFound(w, r)
	}
}

// hostileChild is the app's side, in the child process.
func hostileChild(t *testing.T) {
	dataDir := t.TempDir()
	keys, err := keystore.Open(keystore.Config{Dir: dataDir, Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	s := startWith(t, application.Options{DataDir: dataDir, LocalFs: afero.NewMemMapFs(), Keystore: keys, Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if err := s.app.Keys.Unlock("e2e keystore passphrase"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []keystore.Key{
		{Name: "hostile", Kind: keystore.KindHTTP, Scheme: keystore.SchemeBearer, Prefix: "http://hostile.test/", Secret: hostileBearer},
		{Name: "hostile-api", Kind: keystore.KindHTTP, Scheme: keystore.SchemeHeader, Header: "X-Api-Key", Prefix: "http://hostile.test/", Secret: hostileAPIKey},
	} {
		if _, err := s.app.Keys.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.app.Store.CreateEndpoint(ctx, store.Endpoint{ID: "hostile", Title: "Hostile", URL: "http://hostile.test/", CredentialKey: "hostile"}); err != nil {
		t.Fatal(err)
	}
	j, err := s.app.Monitor.Submit(ctx, jobs.Submission{EndpointID: "hostile", ProcessID: "steal", Request: &ogcapi.Execute{}})
	if err != nil {
		t.Fatal(err)
	}
	j = s.waitJob(j.ID, ended)
	if j.Status != ogcapi.StatusSuccessful {
		t.Fatalf("job %s: %s", j.Status, j.Error)
	}

	// The results page (with its size probes), the map's data and previews.
	page := s.get("/jobs/" + j.ID + "/results")
	expect(t, page, http.StatusOK)
	if got := page.find("[data-asset=local-file] [data-testid=not-fetched]").Text(); !strings.Contains(got, "may not point at files on this computer") {
		t.Errorf("the local file's row says %q", got)
	}
	s.get("/jobs/" + j.ID + "/map.geojson")
	for _, a := range []string{"local-file", "local-service", "redirect-local"} {
		r := s.get("/jobs/" + j.ID + "/assets/loot/" + a)
		if r.status < 400 || strings.Contains(r.body, localCanary) || strings.Contains(r.body, "loopback service data") {
			t.Errorf("the asset proxy served %s: %d %q", a, r.status, r.body)
		}
	}

	// Download all.
	dest := t.TempDir()
	expect(t, s.postForm("/jobs/"+j.ID+"/downloads", url.Values{"dest": {dest}, "all": {"1"}}, htmx("downloads")), http.StatusOK)
	wctx, cancel := context.WithTimeout(ctx, waitfor.Guard)
	defer cancel()
	p, err := s.app.Downloads.Wait(wctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]transfer.State{}
	for _, f := range p.Files {
		states[f.Asset] = f.State
		if f.Asset == "redirect-local" && f.Code != transfer.PermissionDenied {
			t.Errorf("redirect to the loopback service: %s %s %q", f.State, f.Code, f.Error)
		}
	}
	if states["own"] != transfer.StateCompleted || states["redirect-other"] != transfer.StateCompleted {
		t.Errorf("the hostile server's own files should download (%v)", states)
	}
	if st, ok := states["local-service"]; ok && st == transfer.StateCompleted {
		t.Error("the loopback service's file was downloaded")
	}
	_ = filepath.WalkDir(dest, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			b, _ := os.ReadFile(path)
			if strings.Contains(string(b), localCanary) || strings.Contains(string(b), "loopback service data") && filepath.Base(path) != "to-other" {
				t.Errorf("%s holds what it must not: %q", path, b)
			}
		}
		return nil
	})
}
