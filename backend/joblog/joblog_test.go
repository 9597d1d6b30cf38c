package joblog

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// server is an OGC job server with a status that links its logs.
func server(t *testing.T, links func(base string) ogcapi.Links) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/jobs/j1":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(ogcapi.StatusInfo{JobID: "j1", Status: "running", Type: "process", Links: links(srv.URL)})
		case "/temp/j1.log":
			if r.Header.Get("Authorization") != "Bearer s3cret" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			_, _ = w.Write([]byte("line 1\n<b>line 2</b>\n"))
		case "/big.log":
			_, _ = w.Write([]byte(strings.Repeat("0123456789abcde\n", 40000)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func source(t *testing.T, base string) *Source {
	cl, err := ogcapi.New(base)
	if err != nil {
		t.Fatal(err)
	}
	return &Source{ClientFor: func(string) (Remote, error) { return cl, nil }, HTTP: http.DefaultClient,
		Credentials: func(string) ogcapi.Credentials { return ogcapi.Bearer("s3cret") }}
}

func TestLogFromStatusLinks(t *testing.T) {
	srv := server(t, func(base string) ogcapi.Links {
		return ogcapi.Links{
			{Href: base + "/temp/j1.log", Rel: "related", Type: "text/plain", Title: "Tool log"},
			{Href: "http://203.0.113.9/elsewhere.log", Rel: "related", Type: "text/plain"},
			{Href: base + "/jobs/j1/results", Rel: "http://www.opengis.net/def/rel/ogc/1.0/results", Type: "application/json"},
		}
	})
	j := store.Job{ID: "local-1", EndpointID: "zoo", Status: "running", RemoteID: "j1", URL: srv.URL + "/jobs/j1"}
	lg, err := source(t, srv.URL).Log(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Parts) != 2 {
		t.Fatalf("%d parts", len(lg.Parts))
	}
	if p := lg.Parts[0]; p.Err != "" || p.Text != "line 1\n<b>line 2</b>\n" || p.Title != "Tool log" {
		t.Errorf("log %+v", p)
	}
	if p := lg.Parts[1]; p.Err == "" || p.Text != "" {
		t.Errorf("a log on another host was fetched: %+v", p)
	}
}

func TestLogTailAndStoredLinks(t *testing.T) {
	srv := server(t, func(string) ogcapi.Links { return nil })
	doc, _ := json.Marshal(map[string]any{"links": ogcapi.Links{{Href: srv.URL + "/big.log", Rel: "log"}}})
	j := store.Job{ID: "local-1", EndpointID: "zoo", Status: "failed", URL: srv.URL + "/jobs/j1", Results: doc}
	lg, err := source(t, srv.URL).Log(context.Background(), j)
	if err != nil || len(lg.Parts) != 1 {
		t.Fatalf("%v %+v", err, lg)
	}
	p := lg.Parts[0]
	if !p.Truncated || len(p.Text) > MaxBytes || !strings.HasPrefix(p.Text, "0123456789abcde\n") || !strings.HasSuffix(p.Text, "abcde\n") {
		t.Errorf("tail: truncated %v, %d bytes, starts %q", p.Truncated, len(p.Text), p.Text[:20])
	}
}

func TestNoLog(t *testing.T) {
	srv := server(t, func(string) ogcapi.Links { return nil })
	j := store.Job{ID: "x", EndpointID: "zoo", Status: "running", URL: srv.URL + "/jobs/j1"}
	if _, err := source(t, srv.URL).Log(context.Background(), j); err != ErrNoLog {
		t.Errorf("%v, want ErrNoLog", err)
	}
}
