package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/endpoints"
)

func TestGuardInFront(t *testing.T) {
	s := start(t)
	form := url.Values{"title": {"Evil"}, "url": {"https://evil.example/"}}

	// A page of another site posting to geojobs.
	r := s.postForm("/endpoints", form, func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") })
	expect(t, r, http.StatusForbidden)
	r = s.postForm("/endpoints/local/processes/echo/execute", url.Values{"op": {"submit"}}, func(r *http.Request) {
		r.Header.Set("Origin", "http://evil.example")
	})
	expect(t, r, http.StatusForbidden)
	// Without an Origin, a browser's cross-site fetch says so in Sec-Fetch-Site.
	r = s.postForm("/endpoints", form, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") })
	expect(t, r, http.StatusForbidden)
	if es, _ := s.app.Store.Endpoints(context.Background()); len(es) != 1 {
		t.Fatalf("a refused request created an endpoint: %d endpoints", len(es))
	}
	// The page's own origin may post.
	r = s.postForm("/endpoints", form, func(r *http.Request) { r.Header.Set("Origin", s.base) })
	expect(t, r, http.StatusSeeOther)

	// DNS rebinding: a foreign Host name.
	port := s.base[strings.LastIndex(s.base, ":")+1:]
	r = s.get("/endpoints", func(r *http.Request) { r.Host = "evil.example:" + port })
	expect(t, r, http.StatusMisdirectedRequest)

	// No token, a wrong token, a wrong cookie.
	noAuth := func(r *http.Request) { r.Header.Del("Authorization") }
	expect(t, s.get("/endpoints", noAuth), http.StatusUnauthorized)
	expect(t, s.get("/endpoints", func(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong") }), http.StatusUnauthorized)
	expect(t, s.get("/?token=wrong", noAuth), http.StatusUnauthorized)
	expect(t, s.get("/endpoints", noAuth, func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: s.srv.Guard.CookieName(), Value: "wrong"})
	}), http.StatusUnauthorized)
	// The built-in endpoint is behind the same guard.
	expect(t, s.get("/local/ogcapi/processes", noAuth), http.StatusUnauthorized)

	// The launch URL trades the token for a cookie, which then works alone.
	l := s.get("/?token="+s.token, noAuth)
	expect(t, l, http.StatusSeeOther)
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: l.header}).Cookies() {
		if c.Name == s.srv.Guard.CookieName() {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", cookie)
	}
	ok := s.get("/endpoints", noAuth, func(r *http.Request) { r.AddCookie(cookie) })
	expect(t, ok, http.StatusOK)
	csp := ok.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

// hostile is an OGC API – Processes server whose texts carry script payloads.
func hostile(t *testing.T) *httptest.Server {
	const payload = `<script>alert("t")</script><img src=x onerror=alert("i")>`
	process := map[string]any{
		"id": "evil", "version": "1.0.0", "title": payload,
		"description":       "Looks **fine** " + payload + ` <a href="javascript:alert(1)">click</a> <iframe src="https://evil.example"></iframe>`,
		"keywords":          []string{payload},
		"jobControlOptions": []string{"async-execute"},
		"links":             []map[string]string{{"href": "javascript:alert(1)", "rel": "about", "title": payload}},
		"inputs": map[string]any{
			"aoi": map[string]any{"title": payload, "description": payload, "schema": map[string]any{"type": "string", "default": payload}},
		},
		"outputs": map[string]any{"out": map[string]any{"title": payload, "description": payload, "schema": map[string]any{"type": "string"}}},
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var doc any
		switch r.URL.Path {
		case "/":
			doc = map[string]any{"title": payload, "description": payload, "links": []map[string]string{
				{"href": "javascript:alert(1)", "rel": "service-doc"}}}
		case "/conformance":
			doc = map[string]any{"conformsTo": []string{"http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core", payload}}
		case "/processes":
			sum := map[string]any{}
			for _, k := range []string{"id", "version", "title", "description", "keywords", "jobControlOptions"} {
				sum[k] = process[k]
			}
			doc = map[string]any{"processes": []any{sum}, "links": []any{}}
		case "/processes/evil":
			doc = process
		default:
			w.WriteHeader(http.StatusNotFound)
			doc = map[string]any{"type": "no-such-process", "title": payload, "detail": payload}
		}
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(hs.Close)
	return hs
}

func TestRemoteContentEscaped(t *testing.T) {
	s := start(t)
	hs := hostile(t)
	e, err := s.app.Endpoints.CreateEndpoint(context.Background(), endpoints.EndpointInput{Title: "Hostile", URL: hs.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"/endpoints/" + e.ID + "/test",
		"/processes?endpoint=" + e.ID,
		"/endpoints/" + e.ID + "/processes/evil",
		"/endpoints/" + e.ID + "/processes/evil/execute",
		"/endpoints/" + e.ID + "/processes/missing",
	} {
		r := s.get(path)
		if r.status >= 500 && r.status != http.StatusBadGateway {
			t.Errorf("%s: status %d", path, r.status)
		}
		// Only our own scripts (in the head) may exist; no element from remote text.
		if n := r.find("main script, main img, main iframe, main [onerror]").Length(); n > 0 {
			t.Errorf("%s: %d dangerous elements in the page", path, n)
		}
		if n := r.find(`main [href^="javascript:"]`).Length(); n > 0 {
			t.Errorf("%s: %d javascript: links", path, n)
		}
		if strings.Contains(r.body, `<script>alert`) || strings.Contains(r.body, `<img src=x`) {
			t.Errorf("%s: raw payload in the body", path)
		}
		if !strings.Contains(r.body, "&lt;script&gt;") {
			t.Errorf("%s: the payload is not shown escaped", path)
		}
	}
	d := s.get("/endpoints/" + e.ID + "/processes/evil")
	if d.find("[data-testid=process-description] strong").Text() != "fine" {
		t.Error("the description's Markdown was not rendered")
	}
}
