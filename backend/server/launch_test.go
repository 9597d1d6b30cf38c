package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestLaunchCodeSingleUse(t *testing.T) {
	g := &Guard{Port: 4242, Token: "the-api-token"}
	g.init()
	h := g.launchExchange(ok200())
	get := func(q string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "http://127.0.0.1:4242/jobs?"+q, nil))
		return rec
	}
	code := g.NewLaunchCode()
	rec := get("a=1&launch=" + code)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("launch code: %d", rec.Code)
	}
	if loc := rec.Header().Get("Location"); loc != "/jobs?a=1" {
		t.Errorf("redirect to %q", loc)
	}
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != "geojobs_session_4242" || c[0].Value != g.Session || c[0].Value == g.Token ||
		!c[0].HttpOnly || c[0].SameSite != http.SameSiteStrictMode || c[0].Path != "/" {
		t.Fatalf("cookie %+v", c)
	}
	if rec := get("launch=" + code); rec.Code != http.StatusUnauthorized {
		t.Errorf("second use of a launch code: %d", rec.Code)
	}
	if rec := get("launch=made-up"); rec.Code != http.StatusUnauthorized {
		t.Errorf("unknown launch code: %d", rec.Code)
	}
	if rec := get("token=the-api-token"); rec.Code != http.StatusSeeOther || strings.Contains(rec.Header().Get("Location"), "token") {
		t.Errorf("printed link: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := get("x=1"); rec.Code != 200 {
		t.Errorf("no code: %d (passed on)", rec.Code)
	}
}
