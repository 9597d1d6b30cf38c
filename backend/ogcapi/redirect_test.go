package ogcapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// localAt serves the built-in endpoint under /local of a new server, recording the
// method and path of every request it gets.
func localAt(t *testing.T, extra func(mux *http.ServeMux)) (*httptest.Server, func() []string) {
	t.Helper()
	srv, err := localep.New(localep.Options{DataDir: "/data", Fs: afero.NewMemMapFs(), BasePath: "/local", MaxConcurrent: 4})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	mux := http.NewServeMux()
	mux.Handle("/local/", http.StripPrefix("/local", srv.Handler()))
	if extra != nil {
		extra(mux)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
		defer cancel()
		srv.Close(ctx)
	})
	return hs, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

func echoRequest() *ogcapi.Execute {
	return &ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": json.RawMessage(`"hello"`)},
		Response: ogcapi.ResponseDocument}
}

// A server that answers the execute POST with a redirect to a process description
// (here the built-in endpoint's, on another origin) must not have that description
// read as the run's results: what the new-user check of 2026-12-05 found.
func TestExecuteRedirectNotReadAsResults(t *testing.T) {
	other, otherGot := localAt(t, nil)
	for _, tt := range []struct {
		status   int
		location string // "" : other's process description
	}{
		{http.StatusFound, ""},
		{http.StatusSeeOther, ""},
		{http.StatusMovedPermanently, ""},
		{http.StatusTemporaryRedirect, ""},
		{http.StatusPermanentRedirect, ""},
		{http.StatusSeeOther, "/local/processes/echo"}, // same origin, but a GET
		{http.StatusFound, "-"},                        // no Location: nothing to follow
	} {
		before := len(otherGot())
		hostile, _ := localAt(t, func(mux *http.ServeMux) {
			mux.HandleFunc("POST /local/processes/echo/execution", func(w http.ResponseWriter, r *http.Request) {
				switch tt.location {
				case "":
					w.Header().Set("Location", other.URL+"/local/processes/echo")
				case "-":
				default:
					w.Header().Set("Location", tt.location)
				}
				w.WriteHeader(tt.status)
			})
		})
		c, err := ogcapi.New(hostile.URL+"/local", ogcapi.WithRetry(0))
		if err != nil {
			t.Fatal(err)
		}
		name := http.StatusText(tt.status) + " " + tt.location
		ex, err := c.Execute(context.Background(), "echo", echoRequest(), ogcapi.ExecOptions{Mode: ogcapi.Sync})
		if err == nil {
			t.Errorf("%s: read as an answer: job %v, results %v", name, ex.Job, ex.Results.IDs())
			continue
		}
		if ogcapi.CodeOf(err) != ogcapi.BadResponse || !ogcapi.IsPermanent(err) {
			t.Errorf("%s: code %v, want a permanent BadResponse: %v", name, ogcapi.CodeOf(err), err)
		}
		if tt.location != "-" && (!errors.Is(err, netpolicy.ErrRefused) || !strings.Contains(err.Error(), "pointing to ")) {
			t.Errorf("%s: %v, want a refusal that says where the redirect pointed", name, err)
		}
		if got := otherGot()[before:]; len(got) != 0 {
			t.Errorf("%s: the other origin got %q", name, got)
		}
	}
}

// 307 and 308 on the endpoint's own origin repeat the POST with its body: followed.
func TestExecuteFollowsSameOriginTemporaryRedirect(t *testing.T) {
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		srv, got := localAt(t, func(mux *http.ServeMux) {
			mux.HandleFunc("POST /old/processes/echo/execution", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/local/processes/echo/execution", status)
			})
		})
		c, err := ogcapi.New(srv.URL+"/old", ogcapi.WithRetry(0))
		if err != nil {
			t.Fatal(err)
		}
		ex, err := c.Execute(context.Background(), "echo", echoRequest(), ogcapi.ExecOptions{Mode: ogcapi.Sync})
		if err != nil {
			t.Fatalf("%d: %v (requests %q)", status, err, got())
		}
		v, ok := ex.Results.Get("stringOutput")
		if !ok || string(v.Value) != `"hello"` {
			t.Errorf("%d: stringOutput = %+v, %v (outputs %v)", status, v, ok, ex.Results.IDs())
		}
		want := []string{"POST /old/processes/echo/execution", "POST /local/processes/echo/execution"}
		if strings.Join(got(), "\n") != strings.Join(want, "\n") {
			t.Errorf("%d: requests %q, want %q", status, got(), want)
		}
	}
}
