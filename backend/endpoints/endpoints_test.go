package endpoints

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// env is a registry over a real SQLite store and a real built-in endpoint.
type env struct {
	cat   *Registry
	st    *store.Store
	local *httptest.Server
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := localeptest.Start(t, localep.Options{})
	cat, err := New(Options{Store: st, LocalURL: hs.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &env{cat: cat, st: st, local: hs}
}

func TestEndpointsCRUD(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	es, err := e.cat.Endpoints(ctx)
	if err != nil || len(es) != 1 || es[0].ID != store.LocalEndpoint || es[0].URL != e.local.URL {
		t.Fatalf("initial endpoints %+v, %v", es, err)
	}
	a, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "ACME ZOO", URL: "https://zoo.example.com/acme/ogc-api/",
		CredentialKey: "acme-token", Headers: "x-tenant: acme\n\n"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "acme-zoo" || a.Headers["X-Tenant"] != "acme" {
		t.Errorf("created %+v", a)
	}
	b, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "ACME ZOO", URL: "https://zoo2.example.com/"})
	if err != nil || b.ID != "acme-zoo-2" {
		t.Fatalf("second endpoint with the same title: %+v %v", b, err)
	}
	if _, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "Bad", URL: "ftp://x"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ftp URL: %v", err)
	}
	if _, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "Leaky", URL: "https://x.example.com", Headers: "Authorization: Bearer abc"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("secret header accepted: %v", err)
	}
	if _, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "Broken", URL: "https://x.example.com", Headers: "no colon"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("malformed header accepted: %v", err)
	}
	up, err := e.cat.UpdateEndpoint(ctx, a.ID, EndpointInput{Title: "ACME", URL: "https://zoo.example.com/acme/ogc-api/"})
	if err != nil || up.Title != "ACME" || up.CredentialKey != "" {
		t.Errorf("update: %+v %v", up, err)
	}
	loc, err := e.cat.UpdateEndpoint(ctx, store.LocalEndpoint, EndpointInput{Title: "This machine", URL: "https://ignored"})
	if err != nil || loc.Title != "This machine" {
		t.Errorf("rename built-in: %+v %v", loc, err)
	}
	if err := e.cat.DeleteEndpoint(ctx, store.LocalEndpoint); !errors.Is(err, store.ErrBuiltIn) {
		t.Errorf("delete built-in: %v", err)
	}
	if err := e.cat.DeleteEndpoint(ctx, b.ID); err != nil {
		t.Error(err)
	}
	if _, err := e.cat.Endpoint(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted endpoint: %v", err)
	}
}

func TestSelected(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if got := e.cat.Selected(ctx); got != store.LocalEndpoint {
		t.Errorf("default selection %q", got)
	}
	a, _ := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "A", URL: "https://a.example.com/"})
	if err := e.cat.Select(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := e.cat.Selected(ctx); got != a.ID {
		t.Errorf("selection %q", got)
	}
	_ = e.cat.DeleteEndpoint(ctx, a.ID)
	if got := e.cat.Selected(ctx); got != store.LocalEndpoint {
		t.Errorf("selection of a deleted endpoint: %q", got)
	}
}

func TestConnectionReports(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	r, err := e.cat.Test(ctx, store.LocalEndpoint)
	if err != nil || !r.OK {
		t.Fatalf("local: %+v %v", r, err)
	}
	caps := map[string]bool{}
	for _, c := range r.Capabilities {
		caps[c.Name] = c.Supported
	}
	if !caps["Asynchronous execution"] || !caps["Dismiss"] || !caps["Deploy, replace, undeploy"] || !caps["CWL packages"] {
		t.Errorf("local capabilities %v", caps)
	}
	if r.Title == "" || r.APIDef == "" {
		t.Errorf("title %q, API definition %q", r.Title, r.APIDef)
	}

	status := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"type":"about:blank","title":"no","detail":"status %d here"}`, code)
		}
	}
	html := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body>Welcome to nginx</body></html>"))
	})
	noCore := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/conformance") {
			_, _ = w.Write([]byte(`{"conformsTo":["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"]}`))
			return
		}
		_, _ = w.Write([]byte(`{"title":"Features","links":[]}`))
	})
	// A port that was free a moment ago: nothing listens there.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String() + "/"
	l.Close()

	cases := []struct {
		name    string
		url     func() string
		problem string
	}{
		{"401", serve(t, status(401)), ProblemUnauthorized},
		{"403", serve(t, status(403)), ProblemForbidden},
		{"html", serve(t, html), ProblemNotOGC},
		{"404", serve(t, status(404)), ProblemNotOGC},
		{"no core", serve(t, noCore), ProblemNotOGC},
		{"tls", serveTLS(t), ProblemTLS},
		{"unreachable", func() string { return closed }, ProblemUnreachable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := e.cat.TestInput(ctx, EndpointInput{Title: c.name, URL: c.url()})
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || r.Problem != c.problem || r.Message == "" {
				t.Errorf("report %+v, want problem %s", r, c.problem)
			}
			if want := "Cannot reach " + closed + ": connection refused. Is the server running? Check the endpoint's URL"; c.problem == ProblemUnreachable &&
				!strings.HasPrefix(r.Message, want) {
				t.Errorf("message %q, want %q…", r.Message, want)
			}
		})
	}
}

func serve(t *testing.T, h http.Handler) func() string {
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return func() string { return hs.URL + "/" }
}

func serveTLS(t *testing.T) func() string {
	hs := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(hs.Close)
	return func() string { return hs.URL + "/" }
}

func TestCredentialsAndHeaders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var seen http.Header
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer hs.Close()
	ep, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "Secured", URL: hs.URL + "/", CredentialKey: "k1", Headers: "X-Tenant: acme"})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := e.cat.Test(ctx, ep.ID)
	if r.Problem != ProblemCredentials || !strings.Contains(r.Detail, "no keystore") {
		t.Errorf("without keystore: %+v", r)
	}
	e.cat.opts.Credentials = func(_ context.Context, key string) (ogcapi.Credentials, error) {
		if key != "k1" {
			return nil, fmt.Errorf("no key %q", key)
		}
		return ogcapi.Bearer("s3cr3t"), nil
	}
	e.cat.forget(ep.ID)
	r, _ = e.cat.Test(ctx, ep.ID)
	if r.Problem != ProblemUnauthorized {
		t.Errorf("with keystore: %+v", r)
	}
	if seen.Get("Authorization") != "Bearer s3cr3t" || seen.Get("X-Tenant") != "acme" {
		t.Errorf("headers sent: %v", seen)
	}
	if strings.Contains(r.Detail, "s3cr3t") || strings.Contains(r.Message, "s3cr3t") {
		t.Error("the secret leaked into the report")
	}
}
