package webapp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// An endpoint that answers the execute POST with a redirect to another origin (here
// another built-in endpoint's process description): the page says so, and the job
// is a failed submission without results, not a successful run whose output is the
// description.
func TestExecuteRedirectedElsewhere(t *testing.T) {
	s := start(t)
	f := echoForm(t, s)
	other := localeptest.Start(t, localep.Options{})
	target, _ := url.Parse(other.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/processes/echo/execution" {
			http.Redirect(w, r, other.URL+"/processes/echo", http.StatusFound)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	ctx := context.Background()
	e, err := s.app.Endpoints.CreateEndpoint(ctx, endpoints.EndpointInput{Title: "Redirecting", URL: hs.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{ogcapi.SyncExecute, ogcapi.AsyncExecute} {
		v := outputsOn(f, url.Values{name(f, "stringInput", 0, "v"): {"hello"}, "mode": {mode}, "op": {"submit"}})
		r := s.postMultipart("/endpoints/"+e.ID+"/processes/echo/execute", v, nil)
		expect(t, r, http.StatusBadGateway)
		msg := r.find("[data-testid=submit-error]").Text()
		for _, want := range []string{"The server sent the request elsewhere", "302 Found pointing to " + other.URL + "/processes/echo"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: the submission error does not say %q: %q", mode, want, msg)
			}
		}
	}
	page, err := s.app.Store.ListJobs(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Jobs) != 2 {
		t.Fatalf("%d jobs, want the 2 failed submissions", len(page.Jobs))
	}
	for _, j := range page.Jobs {
		if j.Status != ogcapi.StatusFailed || !j.ResultsAt.IsZero() || j.RemoteID != "" {
			t.Errorf("job %s: status %s, results stored %v, remote id %q", j.ID, j.Status, !j.ResultsAt.IsZero(), j.RemoteID)
		}
	}
}
