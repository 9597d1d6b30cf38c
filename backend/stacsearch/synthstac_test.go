package stacsearch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/synthstac"
)

// Against the built-in endpoint's synthetic STAC API (a real server, not a recording):
// 6 cells × 7 dates in January 2024 come back over pages of 5 followed by next links,
// none twice; a filter is refused before sending since the API does not declare one;
// a date range keeps to its days.
func TestSyntheticSTAC(t *testing.T) {
	var srv *httptest.Server
	api := synthstac.New(func(*http.Request) string { return srv.URL + "/stac" })
	mux := http.NewServeMux()
	mux.Handle("/stac/", http.StripPrefix("/stac", api.Handler()))
	srv = httptest.NewServer(mux)
	defer srv.Close()
	a, err := (&Client{}).OpenAPI(context.Background(), srv.URL+"/stac/")
	if err != nil {
		t.Fatal(err)
	}
	p := Params{Collections: []string{"synthetic-s2"}, BBox: []float64{5.5, 45.5, 7.2, 46.5}, Datetime: "2024-01-01/2024-01-31", Limit: 5}
	ic, pages := search(t, a, p, 0)
	if len(ic.Features) != 42 || len(pages) < 9 {
		t.Fatalf("%d items over %d pages, want 42 over at least 9", len(ic.Features), len(pages))
	}
	seen := map[string]bool{}
	for _, it := range ic.Features {
		if seen[it.ID] {
			t.Errorf("%s twice", it.ID)
		}
		seen[it.ID] = true
		if d, _ := it.Datetime(); d.Month() != 1 || d.Year() != 2024 {
			t.Errorf("%s at %v", it.ID, d)
		}
		if !strings.HasPrefix(ItemURL(it), srv.URL+"/stac/collections/synthetic-s2/items/") || Thumbnail(it) == "" {
			t.Errorf("%s: url %q thumbnail %q", it.ID, ItemURL(it), Thumbnail(it))
		}
	}
	p.Filter = []byte(`{"op":"<=","args":[{"property":"eo:cloud_cover"},10]}`)
	if _, err := Search(context.Background(), a, p, 0, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("filter: %v", err)
	}
	ic, _ = search(t, a, Params{Collections: []string{"synthetic-s2"}, BBox: []float64{5.5, 45.5, 7.2, 46.5}, Datetime: "2024-01-01/2024-01-31"}, 7)
	if len(ic.Features) != 7 {
		t.Errorf("max 7: %d", len(ic.Features))
	}
}
