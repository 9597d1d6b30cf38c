package stacsearch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/stac"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// staticServer serves testdata/static as GitHub raw does (text/plain) and records paths.
func staticServer(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var paths []string
	fs := http.FileServer(http.Dir("testdata/static"))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fs.ServeHTTP(&plainWriter{ResponseWriter: w}, r)
	}))
	t.Cleanup(ts.Close)
	return ts, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), paths...) }
}

// plainWriter keeps the text/plain Content-Type the file server would replace.
type plainWriter struct{ http.ResponseWriter }

func (p *plainWriter) WriteHeader(code int) {
	p.Header().Set("Content-Type", "text/plain; charset=utf-8")
	p.ResponseWriter.WriteHeader(code)
}

// Static catalogs: catalog.json → child → item links, relative and without types, all
// four items reached, filtered here; quirk 12: relative hrefs come out absolute.
func TestStaticCatalog(t *testing.T) {
	ts, _ := staticServer(t)
	c := &Client{}
	cat, err := c.OpenCatalog(ts.URL + "/pystac-v1.9.0-example-catalog/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	ic, _ := search(t, cat, Params{}, 0)
	if len(ic.Features) != 4 {
		t.Fatalf("%d items, want 4", len(ic.Features))
	}
	for _, it := range ic.Features {
		if u := ItemURL(it); !strings.HasPrefix(u, ts.URL+"/pystac-v1.9.0-example-catalog/landsat-8-l1/2018-") {
			t.Errorf("%s: item URL %q not absolute", it.ID, u)
		}
	}
	ic, _ = search(t, cat, Params{Datetime: "2018-06-01/2018-06-30"}, 0)
	if got := ids(ic); len(got) != 2 {
		t.Errorf("June: %v", got)
	}
	ic, _ = search(t, cat, Params{BBox: []float64{-77, 38, -76, 39}}, 0) // LC80150332018189 is over Maryland
	for _, it := range ic.Features {
		if !bboxOverlap([]float64{-77, 38, -76, 39}, it.BBox) {
			t.Errorf("%s outside the bbox", it.ID)
		}
	}
	if n := len(ic.Features); n == 0 || n == 4 {
		t.Errorf("bbox kept %d of 4", n)
	}
	ic, pages := search(t, cat, Params{Limit: 3}, 0)
	if len(ic.Features) != 4 || len(pages) != 2 {
		t.Errorf("paged by 3: %d items over %d pages", len(ic.Features), len(pages))
	}
	if _, err := cat.First(Params{Filter: []byte(`{"op":"=","args":[1,1]}`)}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("filter on a static catalog: %v", err)
	}
}

// Capella: no self link, so links resolve against the URL fetched (percent-encoded
// non-ASCII); item links go up into another branch. Those items were not recorded, so
// the server says 404 and the search says not found.
func TestStaticCatalogWithoutSelf(t *testing.T) {
	coll := "/stac/capella-open-data-by-capital/capella-open-data-mal%C3%A9/collection.json"
	body, err := os.ReadFile("testdata/static/capella-open-data/collection.capella-open-data-male.json")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var paths []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.EscapedPath())
		mu.Unlock()
		if r.URL.EscapedPath() != coll {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(body)
	}))
	defer ts.Close()
	cat, err := (&Client{}).OpenCatalog(ts.URL + coll)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Search(context.Background(), cat, Params{}, 0, nil)
	if !errors.Is(err, stac.ErrNotFound) {
		t.Fatalf("err %v, want not found", err)
	}
	want := "/stac/capella-open-data-by-datetime/capella-open-data-2024/capella-open-data-2024-11/capella-open-data-2024-11-30/CAPELLA_C09_SP_"
	mu.Lock()
	defer mu.Unlock()
	if len(paths) < 2 || !strings.HasPrefix(paths[1], want) {
		t.Errorf("item links not resolved against the fetched URL: %v", paths)
	}
}

// Quirk 12: a catalog at an s3:// URL is read through a presigned URL, which carries
// its own authorisation: no credentials are added to it.
func TestStaticCatalogS3Presigned(t *testing.T) {
	ts, paths := staticServer(t)
	var creds []string
	c := &Client{
		Presigner: presignFunc(func(_ context.Context, u *url.URL) (*url.URL, error) {
			if u.Host != "bucket" {
				return nil, stac.ErrPermissionDenied
			}
			return url.Parse(ts.URL + u.Path + "?X-Amz-Signature=test")
		}),
		Credentials: credFunc(func(r *http.Request) error { creds = append(creds, r.URL.String()); return nil }),
	}
	cat, err := c.OpenCatalog("s3://bucket/pystac-v1.9.0-example-catalog/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	ic, _ := search(t, cat, Params{}, 0)
	if len(ic.Features) != 4 || len(paths()) != 6 {
		t.Fatalf("%d items from %d requests", len(ic.Features), len(paths()))
	}
	if ItemURL(ic.Features[0])[:5] != "s3://" {
		t.Errorf("item URL %s: want the s3 URL, not the presigned one", ItemURL(ic.Features[0]))
	}
	if len(creds) != 0 {
		t.Errorf("credentials added to presigned URLs: %v", creds)
	}
	if _, err := (&Client{}).OpenCatalog("s3://bucket/catalog.json"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("s3 without a presigner: %v", err)
	}
}

// Credentials go to the API's origin only, never to a host a link points to.
func TestCredentialsSameOriginOnly(t *testing.T) {
	other := newFake(t)
	other.on("POST /v1/search", page("earth-search-v1.search.s2l2a-landsat.intersects-datetime.page2-empty.json"))
	f := newFake(t)
	f.on("GET /v1", landing(esLanding))
	f.on("POST /v1/search", reply{ctype: geoJSON, file: "earth-search-v1.search.s2l2a-landsat.intersects-datetime.page1.json", edit: func(m map[string]any) {
		m["links"] = []any{map[string]any{"rel": "next", "method": "POST", "href": other.srv.URL + "/v1/search", "body": map[string]any{"next": "x"}}}
	}})
	c := &Client{Credentials: credFunc(func(r *http.Request) error { r.Header.Set("Authorization", "Bearer secret"); return nil })}
	a, err := c.OpenAPI(context.Background(), f.srv.URL+"/v1")
	if err != nil {
		t.Fatal(err)
	}
	search(t, a, Params{}, 0)
	if got := f.to("/v1/search")[0].Header.Get("Authorization"); got != "Bearer secret" {
		t.Errorf("API request without credentials: %q", got)
	}
	if got := other.to("/v1/search"); len(got) != 1 || got[0].Header.Get("Authorization") != "" {
		t.Errorf("credentials sent to another host: %+v", got)
	}
}

type presignFunc func(context.Context, *url.URL) (*url.URL, error)

func (f presignFunc) Presign(ctx context.Context, u *url.URL) (*url.URL, error) { return f(ctx, u) }

type credFunc func(*http.Request) error

func (f credFunc) Apply(r *http.Request) error { return f(r) }
