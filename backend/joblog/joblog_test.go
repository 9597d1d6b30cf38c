package joblog

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// source reads logs with a client of the endpoint at base that has its credentials.
func source(t *testing.T, base string) *Source {
	cl, err := ogcapi.New(base, ogcapi.WithCredentials(ogcapi.Bearer("s3cret")), ogcapi.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	return &Source{ClientFor: func(context.Context, string) (Remote, error) { return cl, nil }}
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

// TestLogCredentialsOnTheEndpointOnly: a log that needs the endpoint's token is read
// with it (a relative link too); a log on the same host but another origin (a port the
// job URL or the link names) is read without it.
func TestLogCredentialsOnTheEndpointOnly(t *testing.T) {
	var mu sync.Mutex
	var otherAuth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		otherAuth = append(otherAuth, r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		switch r.URL.Path {
		case "/jobs/j1":
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(ogcapi.StatusInfo{JobID: "j1", Status: "running", Type: "process",
				Links: ogcapi.Links{{Href: "/here.log", Rel: "log"}}})
		default:
			_, _ = w.Write([]byte("other origin\n"))
		}
	}))
	defer other.Close()
	srv := server(t, func(base string) ogcapi.Links {
		return ogcapi.Links{
			{Href: "../temp/j1.log", Rel: "related", Type: "text/plain", Title: "Tool log"},
			{Href: other.URL + "/side.log", Rel: "log", Title: "Side log"},
		}
	})
	src := source(t, srv.URL)

	j := store.Job{ID: "local-1", EndpointID: "zoo", Status: "running", RemoteID: "j1", URL: srv.URL + "/jobs/j1"}
	lg, err := src.Log(context.Background(), j)
	if err != nil || len(lg.Parts) != 2 {
		t.Fatalf("%v %+v", err, lg)
	}
	if p := lg.Parts[0]; p.Err != "" || p.Text != "line 1\n<b>line 2</b>\n" || p.URL != srv.URL+"/temp/j1.log" {
		t.Errorf("the endpoint's log: %+v", p)
	}
	// Another port of the same host name is another origin: never fetched.
	if p := lg.Parts[1]; !strings.Contains(p.Err, "another server") || p.Text != "" {
		t.Errorf("the log on another port: %+v", p)
	}

	// A job whose URL (given by the server) is on another origin than the endpoint:
	// its status and log are read without the endpoint's token.
	j2 := store.Job{ID: "local-2", EndpointID: "zoo", Status: "running", RemoteID: "j1", URL: other.URL + "/jobs/j1"}
	lg, err = src.Log(context.Background(), j2)
	if err != nil || len(lg.Parts) != 1 || lg.Parts[0].Text != "other origin\n" {
		t.Fatalf("%v %+v", err, lg)
	}
	mu.Lock()
	seen := append([]string(nil), otherAuth...)
	mu.Unlock()
	if len(seen) != 2 || strings.Contains(strings.Join(seen, ","), "/side.log") {
		t.Errorf("requests to the other origin: %q", seen)
	}
	for _, a := range seen {
		if strings.Contains(a, "s3cret") {
			t.Errorf("the endpoint's token went to another origin: %q", a)
		}
	}

	// Without the token the server refuses; the page is told so, without the server's words.
	anon, _ := ogcapi.New(srv.URL, ogcapi.WithRetry(0))
	lg, err = (&Source{ClientFor: func(context.Context, string) (Remote, error) { return anon, nil }}).Log(context.Background(), j)
	if err != nil || lg.Parts[0].Err != "The server answered 401 to the log request." || lg.Parts[0].Text != "" {
		t.Errorf("without the token: %v %+v", err, lg.Parts)
	}
}
