package ogcapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/netpolicy"
)

// publicServer is an endpoint that looks public: the client reaches
// http://93.184.215.14/ogc/ through a forward proxy that is this test's handler, so
// no DNS or outside network is needed. The proxy is the only way out: a request the
// client sent straight to a loopback address would reach the local recorder instead.
type publicServer struct {
	proxy *httptest.Server
	mu    sync.Mutex
	local []string // requests that reached the local service
}

const publicEndpoint = "http://93.184.215.14/ogc/"

func newPublicServer(t *testing.T, handler http.HandlerFunc) (*publicServer, *httptest.Server) {
	t.Helper()
	ps := &publicServer{}
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.mu.Lock()
		ps.local = append(ps.local, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		ps.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jobID":"x","status":"successful","message":"from a local service"}`))
	}))
	t.Cleanup(local.Close)
	ps.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Host != "93.184.215.14" {
			// The proxy forwards to the local service what the client asked of it.
			ps.mu.Lock()
			ps.local = append(ps.local, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
			ps.mu.Unlock()
			http.Error(w, "not forwarded", http.StatusBadGateway)
			return
		}
		handler(w, r)
	}))
	t.Cleanup(ps.proxy.Close)
	return ps, local
}

func (ps *publicServer) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	pu, _ := url.Parse(ps.proxy.URL)
	hc := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	c, _ := newTestClient(t, publicEndpoint, append([]Option{WithHTTPClient(hc), WithRetry(0),
		WithCredentials(Bearer("endpoint-token"))}, opts...)...)
	return c
}

func (ps *publicServer) reached() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]string(nil), ps.local...)
}

// A public server's async answer that names its job on this machine or on a cloud's
// metadata service (Location or a monitor link), or a job URL of its own that it
// redirects there: following the job (status, results, dismiss) sends nothing there,
// and says why. It fetched the status and results from
// the local service (and showed its answer as the job's), 2026-12-06.
func TestPublicJobURLCannotReachLocalServices(t *testing.T) {
	var ps *publicServer
	var local *httptest.Server
	targets := map[string]string{} // process id → job URL named by the server
	var redirectTo string          // where the endpoint redirects its own job URLs
	ps, local = newPublicServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ogc/jobs/") { // the endpoint's own job, redirected
			http.Redirect(w, r, redirectTo, http.StatusFound)
			return
		}
		pid := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/ogc/processes/"), "/execution")
		target := targets[pid]
		w.Header().Set("Content-Type", "application/json")
		if pid == "link" {
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(map[string]any{"jobID": "j1", "status": "accepted",
				"links": []any{map[string]any{"rel": "monitor", "type": "application/json", "href": target}}})
			return
		}
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"jobID":"j1","status":"accepted"}`))
	})
	targets["loopback"] = local.URL + "/jobs/x"
	targets["link"] = local.URL + "/jobs/x"
	targets["metadata"] = "http://169.254.169.254/latest/meta-data"
	targets["v6"] = "http://[::1]:" + strings.TrimPrefix(local.URL, "http://127.0.0.1:") + "/jobs/x"
	targets["localhost"] = "http://localhost:" + strings.TrimPrefix(local.URL, "http://127.0.0.1:") + "/jobs/x"
	c := ps.client(t)
	ctx := context.Background()
	redirectTo = local.URL + "/jobs/x"
	targets["redirected"] = publicEndpoint + "jobs/r1"
	for pid, target := range targets {
		ex, err := c.Execute(ctx, pid, &Execute{}, ExecOptions{Mode: Sync})
		if err != nil {
			t.Fatalf("%s: execute: %v", pid, err)
		}
		if ex.JobURL != target {
			t.Fatalf("%s: job URL %q, want the server's %q", pid, ex.JobURL, target)
		}
		_, err = c.Status(ctx, ex.JobURL)
		if CodeOf(err) != Forbidden || !errors.Is(err, netpolicy.ErrRefused) || IsPermanent(err) == false ||
			!strings.Contains(err.Error(), "is a local address and the server that named it is not") {
			t.Errorf("%s: status: %v (code %s), want a permanent refusal saying why", pid, err, CodeOf(err))
		}
		if _, err := c.Results(ctx, ex.JobURL); CodeOf(err) != Forbidden {
			t.Errorf("%s: results: %v", pid, err)
		}
		if _, err := c.Dismiss(ctx, ex.JobURL); !errors.Is(err, netpolicy.ErrRefused) {
			t.Errorf("%s: dismiss: %v", pid, err)
		}
	}
	if got := ps.reached(); len(got) > 0 {
		t.Fatalf("local services received %q", got)
	}
}

// The same job URLs are followed when the user allows private networks, without the
// endpoint's credentials (they stay on its origin).
func TestPrivateNetworksSwitchLetsJobURLsReachLocal(t *testing.T) {
	var target string
	ps, local := newPublicServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusCreated)
	})
	target = local.URL + "/jobs/x"
	// The local service is reached directly, not through the proxy.
	pu, _ := url.Parse(ps.proxy.URL)
	hc := &http.Client{Transport: &http.Transport{Proxy: func(r *http.Request) (*url.URL, error) {
		if r.URL.Host == "93.184.215.14" {
			return pu, nil
		}
		return nil, nil
	}}}
	c, _ := newTestClient(t, publicEndpoint, WithHTTPClient(hc), WithRetry(0), WithCredentials(Bearer("endpoint-token")),
		WithPrivateNetworks(func(context.Context) bool { return true }))
	ex, err := c.Execute(context.Background(), "p", &Execute{}, ExecOptions{Mode: Sync})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Status(context.Background(), ex.JobURL)
	if err != nil || st.Message != "from a local service" {
		t.Fatalf("%+v %v", st, err)
	}
	if got := ps.reached(); len(got) != 1 || got[0] != "GET /jobs/x " {
		t.Fatalf("local service received %q, want one GET without credentials", got)
	}
}

// A 200 answer with a web page where a status document was expected (a sign-in page in
// front of the API) is said to be one, not "invalid character '<' looking for
// beginning of value" (what geojobs run printed, 2026-12-06).
func TestWebPageForJSONSaysSo(t *testing.T) {
	for _, tc := range []struct{ ct, body, want string }{
		{"text/html; charset=utf-8", "<!doctype html><form>Sign in</form>", "a web page where a JSON document was expected: a sign-in page"},
		{"", "<html><body>login</body></html>", "a web page where a JSON document was expected"},
		{"application/pdf", "%PDF-1.7", "the server sent application/pdf where a JSON document was expected"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = []string{tc.ct}
			_, _ = w.Write([]byte(tc.body))
		}))
		c, _ := newTestClient(t, srv.URL)
		_, err := c.Status(context.Background(), "j1")
		srv.Close()
		if CodeOf(err) != BadResponse || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want BadResponse saying %q", tc.ct, err, tc.want)
		}
	}
}
