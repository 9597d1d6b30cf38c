package stacsearch

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/stac"
)

// One test (or more) per quirk listed in testdata/README.md, "Quirks a client must handle".

func openAPI(t *testing.T, f *fakeAPI, path string) *API {
	t.Helper()
	a, err := (&Client{}).OpenAPI(context.Background(), f.srv.URL+path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func search(t *testing.T, src Source, p Params, max int) (*stac.ItemCollection, []*Page) {
	t.Helper()
	var pages []*Page
	ic, err := Search(context.Background(), src, p, max, func(pg *Page) { pages = append(pages, pg) })
	if err != nil {
		t.Fatal(err)
	}
	return ic, pages
}

func ids(ic *stac.ItemCollection) []string {
	var out []string
	for _, it := range ic.Features {
		out = append(out, it.ID)
	}
	return out
}

// Quirk 1 (Earth Search): POST next with merge false and a "next" token body, sent as
// given; quirk 7: a next link although matched == returned, then an empty page without
// next ends the search.
func TestQuirk1PagingPOSTEarthSearch(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("POST /v1/search",
		page("earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json"),
		page("earth-search-v1.search.s2l2a-landsat.intersects-datetime.page2-empty.json"))
	a := openAPI(t, f, "/v1")
	ic, pages := search(t, a, Params{
		Collections: []string{"sentinel-2-l2a", "landsat-c2-l2"},
		Intersects:  json.RawMessage(`{"type":"Point","coordinates":[-105.1019,40.1672]}`),
		Datetime:    "2023-10-08T00:00:00Z/2023-10-08T23:59:59Z",
	}, 0)
	if got := ids(ic); len(got) != 2 || got[0] != "S2A_13TDE_20231008_0_L2A" {
		t.Fatalf("items %v", got)
	}
	reqs := f.to("/v1/search")
	if len(reqs) != 2 || len(pages) != 2 {
		t.Fatalf("%d search requests, %d pages; want 2 (the next link is followed although matched == returned)", len(reqs), len(pages))
	}
	if !jsonEqual(t, reqs[1].Body, f.nextBody("earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json")) {
		t.Errorf("second body %s is not the next link's body", reqs[1].Body)
	}
	if pages[1].Next != nil {
		t.Errorf("the empty page has a next request")
	}
	if pages[0].Matched == nil || *pages[0].Matched != 2 {
		t.Errorf("matched %v", pages[0].Matched)
	}
}

// Quirk 1 (Planetary Computer): POST next with no merge and a "token" body; quirk 8:
// page 2 also has rel "previous", which is not followed.
func TestQuirk1PagingPOSTPlanetaryComputer(t *testing.T) {
	f := newFake(t)
	f.on("GET /api/stac/v1", landing(pcLanding))
	f.on("POST /api/stac/v1/search",
		page("planetary-computer.search.naip.bbox.page1.json"),
		page("planetary-computer.search.naip.bbox.page2.json"),
		reply{ctype: "application/geo+json", body: `{"type":"FeatureCollection","features":[],"links":[]}`})
	a := openAPI(t, f, "/api/stac/v1")
	ic, _ := search(t, a, Params{Collections: []string{"naip"}, BBox: []float64{-73.21, 43.99, -73.12, 44.05}, Limit: 10}, 0)
	if len(ic.Features) != 20 {
		t.Fatalf("%d items, want 20", len(ic.Features))
	}
	reqs := f.to("/api/stac/v1/search")
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	for i, file := range []string{"planetary-computer.search.naip.bbox.page1.json", "planetary-computer.search.naip.bbox.page2.json"} {
		if !jsonEqual(t, reqs[i+1].Body, f.nextBody(file)) {
			t.Errorf("request %d body %s is not %s's next body", i+2, reqs[i+1].Body, file)
		}
		if tok := reqs[i+1].bodyMap(t)["token"]; !strings.HasPrefix(string(tok), `"next:`) {
			t.Errorf("request %d token %s: the previous link was followed", i+2, tok)
		}
	}
	first := reqs[0].bodyMap(t)
	if string(first["collections"]) != `["naip"]` || string(first["limit"]) != "10" {
		t.Errorf("first body %s", reqs[0].Body)
	}
}

// Quirk 1 (Earth Search v0): page-number paging in the body.
func TestQuirk1PagingPageNumberV0(t *testing.T) {
	f := newFake(t)
	f.on("GET /v0/", landing(esV0Landing))
	f.on("POST /v0/search",
		reply{ctype: "application/json", file: "earth-search-v0.search.s2-l2a-cogs.page-paging.json"},
		reply{ctype: "application/json", body: `{"type":"FeatureCollection","features":[]}`})
	a := openAPI(t, f, "/v0/")
	ic, _ := search(t, a, Params{Collections: []string{"sentinel-s2-l2a-cogs"}, Limit: 1}, 0)
	if len(ic.Features) != 1 {
		t.Fatalf("%d items", len(ic.Features))
	}
	reqs := f.to("/v0/search")
	if len(reqs) != 2 || string(reqs[1].bodyMap(t)["page"]) != "2" {
		t.Fatalf("requests %+v", reqs)
	}
}

// A next link with merge true: its body is merged over the previous body.
func TestPagingPOSTMerge(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("POST /v1/search",
		reply{ctype: geoJSON, file: "earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json", edit: func(m map[string]any) {
			m["links"] = []any{map[string]any{"rel": "next", "method": "POST", "merge": true, "href": f.srv.URL + "/v1/search",
				"body": map[string]any{"next": "tok2"}, "headers": map[string]any{"X-Page": "2"}}}
		}},
		page("earth-search-v1.search.s2l2a-landsat.intersects-datetime.page2-empty.json"))
	a := openAPI(t, f, "/v1")
	search(t, a, Params{Collections: []string{"landsat-c2-l2"}, Datetime: "2023-10-08"}, 0)
	reqs := f.to("/v1/search")
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	want := `{"collections":["landsat-c2-l2"],"datetime":"2023-10-08T00:00:00Z/2023-10-08T23:59:59Z","next":"tok2"}`
	if !jsonEqual(t, reqs[1].Body, []byte(want)) {
		t.Errorf("merged body %s, want %s", reqs[1].Body, want)
	}
	if reqs[1].Header.Get("X-Page") != "2" {
		t.Errorf("next link headers not sent")
	}
}

// Quirk 2: GET paging tokens are followed verbatim (Earth Search percent-encodes its
// token, PC leaves the colons, CMR-STAC uses page=2).
func TestQuirk2PagingGETVerbatim(t *testing.T) {
	cases := []struct{ name, landing, landingPath, items, file string }{
		{"earth-search", esLanding, "/v1", "/v1/collections/sentinel-2-l1c/items", "earth-search-v1.items.sentinel-2-l1c.limit1.json"},
		{"planetary-computer", pcLanding, "/api/stac/v1", "/api/stac/v1/collections/sentinel-2-l2a/items", "planetary-computer.items.sentinel-2-l2a.limit1.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.on("GET "+c.landingPath, landing(c.landing))
			f.on("GET "+c.items, page(c.file), reply{ctype: geoJSON, body: `{"type":"FeatureCollection","features":[]}`})
			a := openAPI(t, f, c.landingPath)
			var pages []*Page
			req := a.Items(strings.Split(c.items, "/")[len(strings.Split(c.items, "/"))-2], 1)
			for req != nil {
				pg, err := a.Fetch(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, pg)
				req = pg.Next
			}
			reqs := f.to(c.items)
			if len(reqs) != 2 || len(pages) != 2 {
				t.Fatalf("%d requests", len(reqs))
			}
			want := strings.TrimPrefix(nextHref(t, f, c.file), f.srv.URL)
			if reqs[1].URI != want {
				t.Errorf("second request %s, want the next href verbatim %s", reqs[1].URI, want)
			}
		})
	}
	t.Run("cmr-stac", func(t *testing.T) {
		f := newFake(t)
		f.on("GET /stac/LPCLOUD/collections/HLSL30.v1.5/items", page("cmr-stac.items.lpcloud-hlsl30.page1.json"),
			reply{ctype: "application/json", body: `{"type":"FeatureCollection","features":[],"links":[{"rel":"next","href":"?page=3"}]}`})
		a := &API{c: &Client{}, URL: mustURL(t, f.srv.URL+"/stac/LPCLOUD")}
		pg, err := a.Fetch(context.Background(), &Request{Href: f.srv.URL + "/stac/LPCLOUD/collections/HLSL30.v1.5/items"})
		if err != nil || len(pg.Items) != 10 || pg.Next == nil {
			t.Fatalf("page %+v, %v", pg, err)
		}
		pg, err = a.Fetch(context.Background(), pg.Next)
		if err != nil {
			t.Fatal(err)
		}
		if reqs := f.requests(); reqs[1].URI != "/stac/LPCLOUD/collections/HLSL30.v1.5/items?page=2" {
			t.Errorf("page 2 request %s", reqs[1].URI)
		}
		if pg.Next != nil {
			t.Errorf("an empty page ends paging even with a next link")
		}
	})
}

// Quirk 3: Earth Search's next body drops filter and filter-lang; they are sent again.
// (The landing page is PC's, which declares filter, so a filter is sent at all.)
func TestQuirk3NextBodyDropsFilter(t *testing.T) {
	f := newFake(t)
	f.on("GET /api/stac/v1", landing(pcLanding))
	f.on("POST /api/stac/v1/search",
		reply{ctype: geoJSON, file: "earth-search-v1.search.filter-cql2-eo-cloud-cover.page1.json", edit: pointNextHere(f, "/api/stac/v1/search")},
		reply{ctype: geoJSON, file: "earth-search-v1.search.filter-cql2-eo-cloud-cover.page2.json", edit: func(m map[string]any) { delete(m, "links") }})
	a := openAPI(t, f, "/api/stac/v1")
	filter := json.RawMessage(`{"op":"lte","args":[{"property":"eo:cloud_cover"},40]}`)
	_, pages := search(t, a, Params{Filter: filter}, 0)
	reqs := f.to("/api/stac/v1/search")
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	body := reqs[1].bodyMap(t)
	if !jsonEqual(t, body["filter"], filter) || string(body["filter-lang"]) != `"cql2-json"` {
		t.Errorf("second body %s lost the filter", reqs[1].Body)
	}
	if string(body["next"]) != `"2025-07-31T13:03:25.899000Z,S2B_T24MVV_20250731T130245_L2A,sentinel-2-c1-l2a"` {
		t.Errorf("token %s", body["next"])
	}
	if !slices.Equal(pages[0].Restored, []string{"filter", "filter-lang"}) {
		t.Errorf("restored %v", pages[0].Restored)
	}
}

// pointNextHere moves an Earth Search page's next link to the test server path.
func pointNextHere(f *fakeAPI, path string) func(map[string]any) {
	return func(m map[string]any) {
		for _, l := range m["links"].([]any) {
			if l := l.(map[string]any); l["rel"] == "next" {
				l["href"] = f.srv.URL + path
			}
		}
	}
}

// Quirk 4: Earth Search v1 does not declare filter: a filter is refused before anything
// is sent; cloud cover goes as a query there, and the results are checked anyway.
func TestQuirk4UndeclaredFilterRefused(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("POST /v1/search", reply{ctype: geoJSON, file: "earth-search-v1.search.filter-cql2-eo-cloud-cover.page1.json",
		edit: func(m map[string]any) { delete(m, "links") }})
	a := openAPI(t, f, "/v1")
	_, err := Search(context.Background(), a, Params{Filter: json.RawMessage(`{"op":"<","args":[{"property":"eo:cloud_cover"},40]}`)}, 0, nil)
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err %v, want ErrUnsupported", err)
	}
	if n := len(f.to("/v1/search")); n != 0 {
		t.Fatalf("%d search requests were sent", n)
	}
	max := 40.0
	ic, pages := search(t, a, Params{MaxCloud: &max}, 0)
	reqs := f.to("/v1/search")
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	body := reqs[0].bodyMap(t)
	if _, ok := body["filter"]; ok || string(body["query"]) != `{"eo:cloud_cover":{"lte":40}}` {
		t.Errorf("body %s: want the cloud cover as a query", reqs[0].Body)
	}
	// The recorded page ignored the filter: S1 items without cloud cover, S2 at 56.8.
	if pages[0].Dropped == 0 || len(ic.Features) == 0 {
		t.Fatalf("dropped %d, kept %d", pages[0].Dropped, len(ic.Features))
	}
	for _, it := range ic.Features {
		if cc, ok := CloudCover(it); !ok || cc > 40 {
			t.Errorf("%s kept with cloud cover %v (%v)", it.ID, cc, ok)
		}
	}
}

// Quirk 5: conformance classes match by name whatever the version; no conformsTo at all
// (Earth Search v0) still allows a plain search but no extension.
func TestQuirk5Conformance(t *testing.T) {
	f := newFake(t)
	f.on("GET /api/stac/v1", landing(pcLanding))
	f.on("GET /v1", landing(esLanding))
	f.on("GET /v0/", landing(esV0Landing))
	pc, es, v0 := openAPI(t, f, "/api/stac/v1"), openAPI(t, f, "/v1"), openAPI(t, f, "/v0/")
	for _, c := range []struct {
		name                          string
		a                             *API
		search, filter, query, fields bool
	}{
		{"pc", pc, true, true, true, true},
		{"es", es, true, false, true, true},
		{"v0", v0, true, false, false, false},
	} {
		if c.a.CanSearch() != c.search || c.a.Conformance.Filter() != c.filter ||
			c.a.Conformance.Has(ClassQuery) != c.query || c.a.Conformance.Has(ClassFields) != c.fields {
			t.Errorf("%s: search %v filter %v query %v fields %v", c.name, c.a.CanSearch(), c.a.Conformance.Filter(), c.a.Conformance.Has(ClassQuery), c.a.Conformance.Has(ClassFields))
		}
	}
	// v0 has a conformance link; it was asked (and answered 404 here).
	if len(f.to("/v0/conformance")) != 1 {
		t.Errorf("the conformance link of a landing page without conformsTo was not read")
	}
	if _, err := v0.First(Params{Query: json.RawMessage(`{"eo:cloud_cover":{"lt":5}}`)}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("v0 query: %v", err)
	}
}

// Quirk 6: counts are optional, inconsistent and change between pages; they never end
// paging. PC sends none; CMR claims limit 1000000.
func TestQuirk6CountsIgnored(t *testing.T) {
	f := newFake(t)
	f.on("GET /api/stac/v1", landing(pcLanding))
	f.on("POST /api/stac/v1/search",
		reply{ctype: geoJSON, file: "earth-search-v1.search.filter-cql2-eo-cloud-cover.page1.json", edit: pointNextHere(f, "/api/stac/v1/search")},
		reply{ctype: geoJSON, file: "earth-search-v1.search.filter-cql2-eo-cloud-cover.page2.json", edit: func(m map[string]any) { delete(m, "links") }})
	a := openAPI(t, f, "/api/stac/v1")
	ic, pages := search(t, a, Params{}, 0)
	if len(ic.Features) != 20 || *pages[0].Matched != 115912757 || *pages[1].Matched != 115912758 {
		t.Errorf("%d items, matched %d then %d", len(ic.Features), *pages[0].Matched, *pages[1].Matched)
	}
	// The same scene under two collections and ids: both kept.
	got := ids(ic)
	if !slices.Contains(got, "S2B_T24MVV_20250731T130245_L2A") || !slices.Contains(got, "S2B_24MVV_20250731_0_L2A") {
		t.Errorf("ids %v", got)
	}

	f2 := newFake(t)
	f2.on("GET /api/stac/v1", landing(pcLanding))
	f2.on("POST /api/stac/v1/search", page("planetary-computer.search.sentinel-2-l2a.datetime.json"))
	ic, pages = search(t, openAPI(t, f2, "/api/stac/v1"), Params{Collections: []string{"sentinel-2-l2a"}, Datetime: "2019-01-01T00:00:01Z/2019-01-01T00:00:10Z"}, 0)
	if len(ic.Features) != 33 || pages[0].Matched != nil || len(f2.to("/api/stac/v1/search")) != 1 {
		t.Errorf("PC without counts: %d items, matched %v", len(ic.Features), pages[0].Matched)
	}
}

// Quirk 7: an empty page ends the search even when it has a next link; --max-items
// ends it early.
func TestQuirk7EndOfResults(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("POST /v1/search",
		page("earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json"),
		reply{ctype: geoJSON, file: "earth-search-v1.search.s2l2a-landsat.intersects-datetime.page2-empty.json", edit: func(m map[string]any) {
			m["links"] = []any{map[string]any{"rel": "next", "method": "POST", "href": f.srv.URL + "/v1/search", "body": map[string]any{"next": "again"}}}
		}})
	a := openAPI(t, f, "/v1")
	ic, pages := search(t, a, Params{}, 0)
	if len(ic.Features) != 2 || len(pages) != 2 || pages[1].Next != nil {
		t.Fatalf("%d items over %d pages", len(ic.Features), len(pages))
	}
	f2 := newFake(t)
	f2.on("GET /v1", landing(esLanding))
	f2.on("POST /v1/search", page("earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json"))
	ic, _ = search(t, openAPI(t, f2, "/v1"), Params{}, 1)
	if len(ic.Features) != 1 || len(f2.to("/v1/search")) != 1 {
		t.Errorf("max 1: %d items, %d requests", len(ic.Features), len(f2.to("/v1/search")))
	}
}

// A next link that repeats the request is an error, not an endless loop.
func TestNextLinkLoop(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("POST /v1/search", reply{ctype: geoJSON, file: "earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json", edit: func(m map[string]any) {
		m["links"] = []any{map[string]any{"rel": "next", "method": "POST", "merge": true, "href": f.srv.URL + "/v1/search", "body": map[string]any{}}}
	}})
	_, err := Search(context.Background(), openAPI(t, f, "/v1"), Params{}, 0, nil)
	if !errors.Is(err, ErrLoop) {
		t.Fatalf("err %v", err)
	}
}

// Quirk 8 is in TestQuirk1PagingPOSTPlanetaryComputer (rel "previous" not followed).

// Quirk 9: the fields extension removes geometry, assets and links.
func TestQuirk9FieldsExclude(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("POST /v1/search", reply{ctype: geoJSON, file: "earth-search-v1.search.fields-exclude.s2c1l2a.json", edit: func(m map[string]any) { delete(m, "links") }})
	ic, _ := search(t, openAPI(t, f, "/v1"), Params{Collections: []string{"sentinel-2-c1-l2a"}}, 0)
	if len(ic.Features) != 10 {
		t.Fatalf("%d items", len(ic.Features))
	}
	for _, it := range ic.Features {
		if it.Geometry != nil || it.Assets != nil || it.Links != nil || len(it.Properties) != 1 {
			t.Fatalf("%s: geometry %s assets %v links %v properties %v", it.ID, it.Geometry, it.Assets, it.Links, it.Properties)
		}
		if _, ok := it.Datetime(); !ok {
			t.Errorf("%s has no datetime", it.ID)
		}
		if ItemURL(it) != "" || Thumbnail(it) != "" {
			t.Errorf("%s: url or thumbnail from nothing", it.ID)
		}
	}
	// A geometry that is null is told apart from one left out.
	var withNull stac.Item
	if err := json.Unmarshal([]byte(`{"type":"Feature","id":"x","geometry":null,"properties":{}}`), &withNull); err != nil {
		t.Fatal(err)
	}
	if withNull.Geometry == nil || string(withNull.Geometry) != "null" {
		t.Errorf("null geometry decoded as %q", withNull.Geometry)
	}
}

// Quirk 10: datetimes with 6, 3 or no fractional digits, and start/end_datetime.
func TestQuirk10DatetimePrecision(t *testing.T) {
	for _, file := range []string{
		"earth-search-v1.search.filter-cql2-eo-cloud-cover.page1.json", // 6 digits, S1 with start/end
		"cmr-stac.items.lpcloud-hlsl30.page1.json",                     // 3 digits, start == end
		"planetary-computer.search.naip.bbox.page1.json",               // none
	} {
		var ic stac.ItemCollection
		readFixture(t, file, &ic)
		for _, it := range ic.Features {
			start, end, ok := interval(it)
			if !ok || start.IsZero() || end.Before(start) {
				t.Errorf("%s %s: interval %v %v %v", file, it.ID, start, end, ok)
			}
		}
	}
	var ic stac.ItemCollection
	readFixture(t, "planetary-computer.search.naip.bbox.page1.json", &ic)
	it := ic.Features[0]
	d, _ := it.Datetime()
	day := d.Format("2006-01-02")
	if !matches(it, &Params{Datetime: day}) || !matches(it, &Params{Datetime: day + "/.."}) || matches(it, &Params{Datetime: "../" + d.AddDate(0, 0, -1).Format("2006-01-02")}) {
		t.Errorf("client-side datetime filtering of %s (%s)", it.ID, d)
	}
}

// Quirk 11: eo:cloud_cover is an int on some servers, a float on others.
func TestQuirk11CloudCoverNumbers(t *testing.T) {
	var es, pc stac.ItemCollection
	readFixture(t, "cmr-stac.items.lpcloud-hlsl30.page1.json", &es)
	readFixture(t, "planetary-computer.search.query-eo-cloud-cover.bbox.json", &pc)
	var ints, floats int
	for _, it := range append(es.Features, pc.Features...) {
		raw, ok := it.Properties["eo:cloud_cover"]
		if !ok {
			continue
		}
		cc, ok := CloudCover(it)
		if !ok {
			t.Errorf("%s: cloud cover %s not read", it.ID, raw)
		}
		if strings.ContainsAny(string(raw), ".eE") {
			floats++
		} else {
			ints++
		}
		if cc < 0 || cc > 100 {
			t.Errorf("%s: cloud cover %v", it.ID, cc)
		}
	}
	if ints == 0 || floats == 0 {
		t.Errorf("fixtures should have both: %d ints, %d floats", ints, floats)
	}
	if cc, _ := CloudCover(pc.Features[0]); cc != 0.01 {
		t.Errorf("PC cloud cover %v", cc)
	}
}

// Quirk 13: thumbnails a browser can show, whatever the media types and roles.
func TestQuirk13Thumbnails(t *testing.T) {
	one := func(file string) *stac.Item {
		var ic stac.ItemCollection
		readFixture(t, file, &ic)
		if len(ic.Features) == 0 {
			var it stac.Item
			readFixture(t, file, &it)
			return &it
		}
		return ic.Features[0]
	}
	for _, c := range []struct{ file, want string }{
		{"earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json", "thumbnail"},
		{"earth-search-v1.items.sentinel-2-l1c.limit1.json", ""},                       // s3:// requester-pays: no browser can show it
		{"planetary-computer.search.sentinel-2-l2a.datetime.json", "rendered_preview"}, // not the GeoTIFF "preview"
		{"landsatlook.item.landsat-c2l2-sr.LC09.json", "thumbnail"},
		{"cmr-stac.items.lpcloud-hlsl30.page1.json", ""}, // no types, no roles, no image
	} {
		it := one(c.file)
		want := ""
		if c.want != "" {
			want = it.Assets[c.want].Href
		}
		if got := Thumbnail(it); got != want {
			t.Errorf("%s: thumbnail %q, want %q", c.file, got, want)
		}
	}
}

// Quirks 14 and 15: band metadata and bare extension names are kept verbatim.
func TestQuirk14And15KeptVerbatim(t *testing.T) {
	f := newFake(t)
	f.on("GET /v0/", landing(esV0Landing))
	f.on("POST /v0/search", reply{ctype: "application/json", file: "earth-search-v0.search.s2-l2a-cogs.page-paging.json", edit: func(m map[string]any) { delete(m, "links") }})
	ic, _ := search(t, openAPI(t, f, "/v0/"), Params{}, 0)
	it := ic.Features[0]
	if !slices.Equal(it.StacExtensions, []string{"eo", "view", "proj"}) {
		t.Errorf("extensions %v", it.StacExtensions)
	}
	var pc stac.ItemCollection
	readFixture(t, "planetary-computer.search.sentinel-2-l2a.datetime.json", &pc)
	b, err := json.Marshal(pc.Features[0])
	if err != nil {
		t.Fatal(err)
	}
	var back stac.Item
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	orig := pc.Features[0].Assets["B04"].Extra["eo:bands"]
	if len(orig) == 0 || !jsonEqual(t, back.Assets["B04"].Extra["eo:bands"], orig) {
		t.Errorf("eo:bands %s after a round trip, was %s", back.Assets["B04"].Extra["eo:bands"], orig)
	}
}

// Quirk 16: errors are classified by status; JSON and plain-text bodies are both read;
// an unknown id in /search is an empty result, not an error.
func TestQuirk16Errors(t *testing.T) {
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("GET /v1/collections/foo/queryables", reply{status: 404, ctype: plainJSON, file: "earth-search-v1.error.404.collection-not-found.json"})
	f.on("GET /api/stac/v1", landing(pcLanding))
	f.on("GET /api/stac/v1/collections/aster-l1t/items/for-sure-not-a-real-id", reply{status: 404, ctype: "application/json", file: "planetary-computer.error.404.item-not-found.json"})
	f.on("POST /api/stac/v1/search",
		reply{status: 422, ctype: "text/plain; charset=utf-8", body: "collection is required"},
		page("planetary-computer.search.ids-not-found.empty.json"))
	es, pc := openAPI(t, f, "/v1"), openAPI(t, f, "/api/stac/v1")

	// A queryables 404 is "none", not a failure.
	if q, err := es.Queryables(context.Background(), "foo"); err != nil || len(q) != 0 {
		t.Errorf("queryables of a missing collection: %v %v", q, err)
	}
	err := pc.c.getJSON(context.Background(), pc.URL, mustURL(t, f.srv.URL+"/api/stac/v1/collections/aster-l1t/items/for-sure-not-a-real-id"), new(any))
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, stac.ErrNotFound) || ae.Code != "NotFoundError" || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("PC 404: %v", err)
	}
	_, err = Search(context.Background(), pc, Params{}, 0, nil)
	if !errors.As(err, &ae) || ae.Status != 422 || ae.Text != "collection is required" || !errors.Is(err, ErrInvalid) {
		t.Errorf("PC 422: %#v", err)
	}
	ic, _ := search(t, pc, Params{IDs: []string{"for-sure-not-a-real-id"}, Collections: []string{"aster-l1t"}}, 0)
	if len(ic.Features) != 0 {
		t.Errorf("unknown id: %d items", len(ic.Features))
	}
	ae = newAPIError(404, plainJSON, f.fixture("earth-search-v1.error.404.collection-not-found.json"))
	if ae.Code != "NotFound" || !errors.Is(ae, stac.ErrNotFound) {
		t.Errorf("ES 404 %+v", ae)
	}
}

// Quirk 17: media types are not checked (GitHub raw serves catalogs as text/plain,
// queryables come as application/schema+json).
func TestQuirk17MediaTypes(t *testing.T) {
	f := newFake(t)
	f.on("GET /api/stac/v1", reply{ctype: "text/plain; charset=utf-8", file: pcLanding})
	f.on("GET /api/stac/v1/collections/landsat-c2-l2/queryables", reply{ctype: "application/schema+json", file: "planetary-computer.queryables.landsat-c2-l2.json"})
	a := openAPI(t, f, "/api/stac/v1")
	q, err := a.Queryables(context.Background(), "landsat-c2-l2")
	if err != nil || !q["eo:cloud_cover"] || !q["landsat:wrs_path"] {
		t.Fatalf("queryables %v %v", q, err)
	}
}

// Quirk 18: a landing page at "…/v1" (no trailing slash): relative landing links resolve under it.
func TestQuirk18TrailingSlash(t *testing.T) {
	f := newFake(t)
	f.on("GET /api/stac/v1", reply{ctype: plainJSON, body: `{"type":"Catalog","id":"x","conformsTo":["https://api.stacspec.org/v1.0.0/item-search"],"links":[{"rel":"search","href":"search","method":"POST"}]}`})
	f.on("POST /api/stac/v1/search", page("planetary-computer.search.ids-not-found.empty.json"))
	a := openAPI(t, f, "/api/stac/v1")
	req, err := a.First(Params{})
	if err != nil || req.Href != f.srv.URL+"/api/stac/v1/search" {
		t.Fatalf("search href %v %v", req, err)
	}
}

// Quirk 19: PC's landing page lists 126 collections as child links; the collections
// come from /collections, which has no paging (Earth Search: old context object).
func TestQuirk19CollectionsAndLargeLanding(t *testing.T) {
	f := newFake(t)
	f.on("GET /api/stac/v1", landing(pcLanding))
	f.on("GET /v1", landing(esLanding))
	f.on("GET /v1/collections", reply{ctype: plainJSON, file: "earth-search-v1.collections.json"})
	if a := openAPI(t, f, "/api/stac/v1"); a.collections.String() != f.srv.URL+"/api/stac/v1/collections" {
		t.Errorf("PC collections at %s", a.collections)
	}
	cs, err := openAPI(t, f, "/v1").Collections(context.Background())
	if err != nil || len(cs) != 9 {
		t.Fatalf("%d collections, %v", len(cs), err)
	}
	if !slices.ContainsFunc(cs, func(c CollectionInfo) bool { return c.ID == "sentinel-2-l2a" && c.Title != "" }) {
		t.Errorf("collections %+v", cs)
	}
}
