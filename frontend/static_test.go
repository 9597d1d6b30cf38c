package frontend

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// /static/ serves files, never a folder's listing.
func TestStaticNoDirectoryListing(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", StaticHandler()))
	for path, want := range map[string]int{"/static/": 404, "/static/map": 404, "/static/map/": 404, "/static/app.css": 200} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
		}
	}
}
