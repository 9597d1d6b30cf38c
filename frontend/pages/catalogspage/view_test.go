package catalogspage

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pagetest"
	"github.com/geojobs/geojobs/frontend/web"
)

// Catalogs are saved like endpoints: listed after the built-in one, refused with a
// reason when the URL is not one, removed again.
func TestCatalogsPage(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var forgotten []string
	h := New(Deps{Store: st, KeyNames: func(context.Context) []string { return []string{"es-key"} }, Changed: func(id string) { forgotten = append(forgotten, id) }})
	mux := pagetest.Mux(map[string]web.HandlerFunc{"GET /catalogs": h.List, "POST /catalogs": h.Create, "POST /catalogs/{id}/delete": h.Remove})
	do := func(method, path string, form url.Values) (*httptest.ResponseRecorder, *goquery.Document) {
		req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		d, _ := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
		return rec, d
	}
	rec, _ := do("POST", "/catalogs", url.Values{"url": {"https://earth-search.aws.element84.com/v1"}, "title": {"Earth Search"}, "kind": {"api"}, "key": {"es-key"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	rec, d := do("POST", "/catalogs", url.Values{"url": {"ftp://example.org/catalog.json"}, "kind": {"static"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(d.Find("[data-testid=catalog-error]").Text(), "http(s) URL") {
		t.Errorf("bad URL: %d %q", rec.Code, d.Find("[data-testid=catalog-error]").Text())
	}
	_, d = do("GET", "/catalogs", nil)
	rows := d.Find("[data-testid=catalog]")
	if rows.Length() != 2 || rows.First().AttrOr("data-catalog", "") != "builtin" || !strings.Contains(rows.Eq(1).Text(), "es-key") {
		t.Fatalf("rows: %d %q", rows.Length(), rows.Text())
	}
	id := rows.Eq(1).AttrOr("data-catalog", "")
	if rec, _ := do("POST", "/catalogs/"+id+"/delete", nil); rec.Code != http.StatusSeeOther || len(forgotten) != 1 || forgotten[0] != id {
		t.Errorf("delete: %d, forgotten %v", rec.Code, forgotten)
	}
	if cs, _ := st.Catalogs(context.Background()); len(cs) != 0 {
		t.Errorf("%d catalogs left", len(cs))
	}
}
