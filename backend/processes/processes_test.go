package processes

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// env is a directory over a real endpoint registry (real SQLite store) and a real
// built-in endpoint.
type env struct {
	cat *Directory
	eps *endpoints.Registry
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := localeptest.Start(t, localep.Options{})
	eps, err := endpoints.New(endpoints.Options{Store: st, LocalURL: hs.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := New(Options{Clients: eps, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &env{cat: dir, eps: eps}
}

func TestProcessesSearchAndPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	all, err := e.cat.Processes(ctx, store.LocalEndpoint, Query{})
	if err != nil || all.All < 4 {
		t.Fatalf("%+v %v", all, err)
	}
	hit, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{Search: "ECHO"})
	if hit.Total != 1 || hit.Processes[0].ID != "echo" {
		t.Errorf("search echo: %+v", hit)
	}
	kw, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{Search: "demo test"})
	if kw.Total < 1 {
		t.Errorf("keyword search: %+v", kw)
	}
	none, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{Search: "zzz-nothing"})
	if none.Total != 0 || none.Pages != 1 || len(none.Processes) != 0 {
		t.Errorf("no hits: %+v", none)
	}
	p1, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{PerPage: 2, Page: 1})
	p2, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{PerPage: 2, Page: 2})
	last, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{PerPage: 2, Page: 99})
	if len(p1.Processes) != 2 || p1.Pages != (all.All+1)/2 || p1.Processes[0].ID == p2.Processes[0].ID || last.Page != p1.Pages {
		t.Errorf("paging: %+v / %+v / %+v", p1, p2, last)
	}
}

func TestPreviewDeployUndeploy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	body, err := os.ReadFile("testdata/water-bodies.cwl")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Preview(body, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "water-bodies" || len(p.Inputs) != 4 || len(p.Outputs) != 1 {
		t.Errorf("preview: id %s, %d inputs, %d outputs", p.ID, len(p.Inputs), len(p.Outputs))
	}
	if _, err := Preview([]byte("not: [cwl"), ""); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("broken CWL: %v", err)
	}
	if _, err := Preview(body, "no-such-workflow"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("missing workflow: %v", err)
	}
	if pkg := PackageFor(body); pkg.ContentType != ogcapi.MediaCWLYAML {
		t.Errorf("YAML package as %s", pkg.ContentType)
	}
	if pkg := PackageFor([]byte(`{"executionUnit":{"href":"https://x/y.cwl"}}`)); pkg.ContentType != ogcapi.MediaOGCAppPkg {
		t.Errorf("app package as %s", pkg.ContentType)
	}
	// The package's second workflow: the built-in endpoint has a water-bodies process
	// of its own, which a deployed water-bodies takes the place of (no new process).
	before, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{})
	ps, err := e.cat.Deploy(ctx, store.LocalEndpoint, PackageFor(body), "detect_water_body")
	if err != nil {
		t.Fatal(err)
	}
	if ps.ID != "detect_water_body" {
		t.Errorf("deployed %q", ps.ID)
	}
	after, _ := e.cat.Processes(ctx, store.LocalEndpoint, Query{})
	if after.All != before.All+1 {
		t.Errorf("%d processes after deploy, %d before: the cached list was not dropped", after.All, before.All)
	}
	_, err = e.cat.Deploy(ctx, store.LocalEndpoint, PackageFor(body), "detect_water_body")
	if ogcapi.CodeOf(err) != ogcapi.Conflict {
		t.Errorf("second deploy: %v", err)
	}
	if err := e.cat.Undeploy(ctx, store.LocalEndpoint, "echo"); ogcapi.CodeOf(err) != ogcapi.Immutable {
		t.Errorf("undeploy a built-in: %v", err)
	}
	if err := e.cat.Undeploy(ctx, store.LocalEndpoint, "detect_water_body"); err != nil {
		t.Error(err)
	}
}

func TestFetchPackage(t *testing.T) {
	e := newEnv(t)
	body, _ := os.ReadFile("testdata/water-bodies.cwl")
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write(make([]byte, MaxPackage+10))
			return
		}
		if r.URL.Path != "/wb.cwl" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	defer hs.Close()
	got, err := e.cat.FetchPackage(context.Background(), hs.URL+"/wb.cwl")
	if err != nil || len(got) != len(body) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	if _, err := e.cat.FetchPackage(context.Background(), hs.URL+"/missing"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("404: %v", err)
	}
	if _, err := e.cat.FetchPackage(context.Background(), hs.URL+"/big"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("oversized: %v", err)
	}
	if _, err := e.cat.FetchPackage(context.Background(), "file:///etc/passwd"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("file URL: %v", err)
	}
}
