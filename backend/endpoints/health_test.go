package endpoints

import (
	"context"
	"net/http"
	"testing"

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
