package endpoints

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// A saved endpoint's last test is kept: the list says which endpoints worked when
// last checked, and what the others answered (F-25).
func TestHealthRecordsLastTest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, ok := e.cat.Health(ctx, store.LocalEndpoint); ok {
		t.Fatal("health before any test")
	}
	if _, err := e.cat.Test(ctx, store.LocalEndpoint); err != nil {
		t.Fatal(err)
	}
	if h, ok := e.cat.Health(ctx, store.LocalEndpoint); !ok || !h.OK || h.At.IsZero() || h.Summary() != "Connected" {
		t.Errorf("built-in endpoint's health %+v %v", h, ok)
	}

	page := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<!DOCTYPE HTML><html><body>Nothing here</body></html>"))
	}))
	ep, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "web server", URL: page()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.Test(ctx, ep.ID); err != nil {
		t.Fatal(err)
	}
	h, ok := e.cat.Health(ctx, ep.ID)
	if want := "Not an OGC API – Processes server (HTTP 404)"; !ok || h.OK || h.Summary() != want {
		t.Errorf("health %+v %v: summary %q, want %q", h, ok, h.Summary(), want)
	}
}

// F-25: the health the endpoint list shows follows everyday requests too (process
// lists, submissions, monitoring), not only "Test connection": a failure that is the
// endpoint's is recorded, an answer clears it, and answers about the request itself
// (no such job) change nothing.
func TestHealthFollowsRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var mode atomic.Value
	mode.Store("ok")
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case mode.Load() == "refuse":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"type":"about:blank","title":"Unauthorized"}`))
		case r.URL.Path == "/processes":
			_, _ = w.Write([]byte(`{"processes":[],"links":[]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"type":"http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job","title":"NoSuchJob"}`))
		}
	}))
	defer hs.Close()
	ep, err := e.cat.CreateEndpoint(ctx, EndpointInput{Title: "used", URL: hs.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := e.cat.Client(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	summary := func() string {
		h, ok := e.cat.Health(ctx, ep.ID)
		if !ok {
			return "none"
		}
		return h.Summary()
	}
	if s := summary(); s != "none" {
		t.Fatalf("health before any request: %s", s)
	}
	if _, err := cl.Processes(ctx); err != nil {
		t.Fatal(err)
	}
	if s := summary(); s != "Connected" {
		t.Errorf("after a process list: %s", s)
	}
	mode.Store("refuse")
	if _, err := cl.Processes(ctx); err == nil {
		t.Fatal("a 401 was taken for a list")
	}
	if s, want := summary(), "Credentials missing or refused (HTTP 401)"; s != want {
		t.Errorf("after a refused list: %s, want %s", s, want)
	}
	mode.Store("ok")
	if _, err := cl.Status(ctx, "no-such"); ogcapi.CodeOf(err) != ogcapi.NoSuchJob {
		t.Fatalf("status of an unknown job: %v", err)
	}
	if s, want := summary(), "Credentials missing or refused (HTTP 401)"; s != want {
		t.Errorf("an unknown job changed the health: %s, want %s", s, want)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, _ = cl.Processes(canceled)
	if s, want := summary(), "Credentials missing or refused (HTTP 401)"; s != want {
		t.Errorf("a request the caller gave up changed the health: %s, want %s", s, want)
	}
	if _, err := cl.Processes(ctx); err != nil {
		t.Fatal(err)
	}
	if s := summary(); s != "Connected" {
		t.Errorf("after a list again: %s", s)
	}
	hs.Close()
	if _, err := cl.Processes(ctx); err == nil {
		t.Fatal("a closed server answered")
	}
	if s, want := summary(), "Unreachable: no answer"; s != want {
		t.Errorf("after the server went away: %s, want %s", s, want)
	}
}
