package webapp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// F-24: testing a malformed URL says so where the test's answer goes, and saving it
// says why in the same words: for the person who typed it, without the store's or
// the error code's prefixes ("store: invalid argument: endpoint typo: …").
func TestEndpointTestMalformedURL(t *testing.T) {
	s := start(t)
	r := s.postForm("/endpoints/test", url.Values{"title": {"Typo"}, "url": {"htp:/127.0.0.1:8765"}}, htmx("form-test"))
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("status %d", r.status)
	}
	rep := r.find("#form-test [data-testid=report][data-ok=false]")
	if rep.Length() != 1 || !strings.Contains(rep.Text(), "The URL cannot be tested") || !strings.Contains(rep.Text(), "http or https") {
		t.Errorf("the test's answer: %q", r.find("#form-test").Text())
	}
	saved := s.postForm("/endpoints", url.Values{"title": {"Typo"}, "url": {"htp:/127.0.0.1:8765"}})
	if saved.status != http.StatusUnprocessableEntity {
		t.Errorf("save: status %d", saved.status)
	}
	box := saved.find("main [data-testid=error]").Text()
	if !strings.Contains(box, "The endpoint was not saved") {
		t.Errorf("save: %q", saved.find("main").Text())
	}
	for what, text := range map[string]string{"test": rep.Text(), "save": box} {
		if !strings.Contains(text, `"htp:/127.0.0.1:8765" is not an http or https address`) {
			t.Errorf("%s does not name the URL typed: %q", what, text)
		}
		for _, internal := range []string{"invalid argument", "store:", "endpoint :", "ogcapi"} {
			if strings.Contains(text, internal) {
				t.Errorf("%s says %q: %q", what, internal, text)
			}
		}
	}
}

// F-25: a saved endpoint that is not an OGC API server is explained on its processes
// page, without the server's HTML, and does not become the selected endpoint.
func TestNonOGCEndpointExplained(t *testing.T) {
	s := start(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`<!DOCTYPE HTML><html lang="en"><head><title>Error response</title></head><body><h1>Error response</h1></body></html>`))
	}))
	defer page.Close()
	c := s.postForm("/endpoints", url.Values{"title": {"Plain web server"}, "url": {page.URL + "/"}})
	if c.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", c.status, c.body)
	}
	eps, err := s.app.Endpoints.Endpoints(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, e := range eps {
		if e.Title == "Plain web server" {
			id = e.ID
		}
	}
	p := s.get("/processes?endpoint=" + url.QueryEscape(id))
	main := p.find("main").Text()
	if !strings.Contains(main, "Not an OGC API – Processes server") || !strings.Contains(main, "with a web page, not OGC API JSON") {
		t.Errorf("processes page: %q", main)
	}
	if strings.Contains(p.body, "DOCTYPE HTML") || strings.Contains(main, "<html") || strings.Contains(main, "Error response") {
		t.Error("the server's HTML is shown")
	}
	if sel := s.app.Endpoints.Selected(t.Context()); sel == id {
		t.Error("a failing endpoint became the selected one")
	}
}

// F-25: saving an endpoint whose test fails warns, and the list shows each endpoint's
// last check (what it answered, when), the never-tested ones as not checked.
func TestSavedFailingEndpointWarnsAndListShowsHealth(t *testing.T) {
	s := start(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`<!DOCTYPE HTML><html><body><h1>Error response</h1></body></html>`))
	}))
	defer page.Close()
	c := s.postForm("/endpoints", url.Values{"title": {"Plain web server"}, "url": {page.URL + "/"}})
	if c.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", c.status, c.body)
	}
	after := s.get(c.header.Get("Location"))
	if w := after.find("[data-testid=saved-failing]"); w.Length() != 1 || !strings.Contains(w.Text(), "cannot use this endpoint") {
		t.Errorf("no warning after saving a failing endpoint: %q", after.find("main").Text())
	}
	list := s.get("/endpoints")
	health := func(id string) string {
		return strings.Join(strings.Fields(list.find("[data-endpoint="+id+"] [data-testid=endpoint-health]").Text()), " ")
	}
	if h := health("plain-web-server"); !strings.Contains(h, "Not an OGC API – Processes server (HTTP 404)") {
		t.Errorf("failing endpoint's last check: %q", h)
	}
	if h := health("local"); !strings.Contains(h, "not checked yet") {
		t.Errorf("built-in endpoint's last check: %q", h)
	}
	s.get("/endpoints/local/test")
	list = s.get("/endpoints")
	if h := health("local"); !strings.HasPrefix(h, "Connected ·") {
		t.Errorf("built-in endpoint's last check after a test: %q", h)
	}
}
