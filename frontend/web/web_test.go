package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/backend/store"
)

func TestDescribe(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
		title  string
	}{
		// Classified errors (backend/errs) as the store words them.
		{fmt.Errorf("endpoint %q: %w", "x", store.ErrNotFound), 404, "Not found"},
		{fmt.Errorf("%w: bad URL", store.ErrInvalid), 422, "Please check the values"},
		{fmt.Errorf("delete endpoint %q: %w", "local", store.ErrBuiltIn), 409, "Conflict"},
		{fmt.Errorf("processes: %w", processes.ErrUnavailable), 502, "Unavailable"},
		{&ogcapi.APIError{Method: "GET", URL: "http://x/processes/p", Status: 404, Code: ogcapi.NoSuchProcess}, 404, "The endpoint has no such process"},
		{&ogcapi.APIError{Method: "GET", URL: "http://x/", Code: ogcapi.Unauthorized, Err: endpoints.ErrNoKeystore}, 503, "The endpoint's credentials could not be used"},
		{&ogcapi.APIError{Method: "GET", URL: "http://x/", Status: 401, Code: ogcapi.Unauthorized}, 502, "The server wants valid credentials (401)"},
		{&ogcapi.APIError{Method: "GET", URL: "http://127.0.0.1:9/processes", Code: ogcapi.Unavailable,
			Err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")}, 502, "Cannot reach the server"},
		{errors.New("sql: database is locked at /home/me/.geojobs"), 500, "Something went wrong"},
		{context.Canceled, 499, "Canceled"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), 504, "Timed out"},
	} {
		status, title, detail := Describe(c.err)
		if status != c.status || title != c.title {
			t.Errorf("%v: %d %q, want %d %q", c.err, status, title, c.status, c.title)
		}
		if strings.Contains(detail, "store: ") || strings.Contains(detail, "/home/me") {
			t.Errorf("%v: detail %q leaks internals", c.err, detail)
		}
	}
}

// A server that does not answer is explained in the connection test's words.
func TestDescribeUnreachable(t *testing.T) {
	_, _, detail := Describe(fmt.Errorf("catalog: processes: %w", &ogcapi.APIError{Method: "GET", URL: "http://127.0.0.1:9/processes?limit=100",
		Code: ogcapi.Unavailable, Err: errors.New("dial tcp 127.0.0.1:9: connect: connection refused")}))
	if want := "Cannot reach http://127.0.0.1:9/: connection refused. Is the server running? Check the endpoint's URL"; !strings.HasPrefix(detail, want) {
		t.Errorf("detail %q, want %q…", detail, want)
	}
}

func TestErrorPageForHTMX(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set("HX-Request", "true")
	r.Header.Set("HX-Target", "process-results")
	w := httptest.NewRecorder()
	Error(w, r, slog.New(slog.DiscardHandler), NotFound("no such thing"))
	if w.Code != 404 || w.Header().Get("HX-Retarget") != "#main" || !strings.HasPrefix(w.Body.String(), `<main id="main"`) {
		t.Errorf("%d %q %.60s", w.Code, w.Header().Get("HX-Retarget"), w.Body.String())
	}
}

// An HTMX POST that succeeds gets HX-Location: the new page replaces main and is shown
// from its top; a plain POST gets a 303.
func TestRedirect(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/x", nil)
	r.Header.Set("HX-Request", "true")
	w := httptest.NewRecorder()
	Redirect(w, r, "/jobs/1")
	var loc map[string]string
	if err := json.Unmarshal([]byte(w.Header().Get("HX-Location")), &loc); err != nil || w.Code != http.StatusNoContent {
		t.Fatalf("%d %q: %v", w.Code, w.Header().Get("HX-Location"), err)
	}
	if loc["path"] != "/jobs/1" || loc["target"] != "#main" || loc["swap"] != "outerHTML show:window:top" {
		t.Errorf("HX-Location %v", loc)
	}
	w = httptest.NewRecorder()
	Redirect(w, httptest.NewRequest(http.MethodPost, "/x", nil), "/jobs/1")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/jobs/1" {
		t.Errorf("plain POST: %d %q", w.Code, w.Header().Get("Location"))
	}
}
