package stac

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A catalog tree by reference, relative hrefs throughout, with a loop and duplicates.
func catalogTree() map[string]string {
	item := func(id string) string {
		return `{"type":"Feature","stac_version":"1.0.0","id":"` + id + `","geometry":null,
		"properties":{"datetime":"2024-05-01T10:00:00Z"},
		"links":[{"rel":"root","href":"../../../catalog.json","type":"application/json"},
		         {"rel":"parent","href":"../../collection.json"},{"rel":"self","href":"./` + id + `.json"}],
		"assets":{"data":{"href":"./otsu.tif","type":"image/tiff; application=geotiff","roles":["data"],"file:size":1024},
		          "overview":{"href":"/static/` + id + `.png","type":"image/png"},
		          "remote":{"href":"s3://results/` + id + `/otsu.tif","storage:region":"eu"}}}`
	}
	return map[string]string{
		"/catalog.json": `{"type":"Catalog","stac_version":"1.0.0","id":"results","description":"job results",
		"links":[{"rel":"root","href":"./catalog.json"},{"rel":"child","href":"./sub/collection.json"},
		         {"rel":"child","href":"./catalog.json"},{"rel":"child","href":"sub/collection.json#again"}]}`,
		"/sub/collection.json": `{"type":"Collection","stac_version":"1.0.0","id":"c","description":"d","license":"proprietary",
		"extent":{"spatial":{"bbox":[[-180,-90,180,90]]},"temporal":{"interval":[[null,null]]}},
		"links":[{"rel":"root","href":"../catalog.json"},{"rel":"parent","href":"../catalog.json"},
		         {"rel":"item","href":"./items/a/a.json"},{"rel":"item","href":"items/b/b.json"},
		         {"rel":"item","href":"./items/a/a.json"},{"rel":"child","href":"../catalog.json"}]}`,
		"/sub/items/a/a.json": item("a"),
		"/sub/items/b/b.json": item("b"),
	}
}

// inlineTwin is the ItemCollection the tree resolves to, written by hand with absolute hrefs.
func inlineTwin(base string) string {
	item := func(id string) string {
		dir := base + "/sub/items/" + id + "/"
		return `{"type":"Feature","stac_version":"1.0.0","id":"` + id + `","geometry":null,
		"properties":{"datetime":"2024-05-01T10:00:00Z"},
		"links":[{"rel":"root","href":"` + base + `/catalog.json","type":"application/json"},
		         {"rel":"parent","href":"` + base + `/sub/collection.json"},{"rel":"self","href":"` + dir + id + `.json"}],
		"assets":{"data":{"href":"` + dir + `otsu.tif","type":"image/tiff; application=geotiff","roles":["data"],"file:size":1024},
		          "overview":{"href":"` + base + `/static/` + id + `.png","type":"image/png"},
		          "remote":{"href":"s3://results/` + id + `/otsu.tif","storage:region":"eu"}}}`
	}
	return `{"type":"FeatureCollection","features":[` + item("a") + "," + item("b") + `]}`
}

type countingServer struct {
	*httptest.Server
	mu             sync.Mutex
	inFlight, peak int
	requests       map[string]int
}

func serve(t *testing.T, docs map[string]string, delay time.Duration) *countingServer {
	cs := &countingServer{requests: map[string]int{}}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		cs.inFlight++
		cs.peak = max(cs.peak, cs.inFlight)
		cs.requests[r.URL.Path]++
		cs.mu.Unlock()
		defer func() { cs.mu.Lock(); cs.inFlight--; cs.mu.Unlock() }()
		time.Sleep(delay) // the latency under test: a slow server
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, doc)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func resolveURL(t *testing.T, raw string, limit int) (*ItemCollection, error) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	f := HTTPFetcher{}
	doc, err := f.Fetch(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return Resolve(context.Background(), doc, u, f, limit)
}

func TestResolveCatalogByReferenceEqualsInlineTwin(t *testing.T) {
	srv := serve(t, catalogTree(), 0)
	got, err := resolveURL(t, srv.URL+"/catalog.json", 0)
	if err != nil {
		t.Fatal(err)
	}
	twin := []byte(inlineTwin(srv.URL))
	if out := mustJSON(t, got); !sameJSON(t, out, twin) {
		t.Errorf("resolved:\n%s\nwant:\n%s", out, twin)
	}
	if err := Validate(mustJSON(t, got)); err != nil {
		t.Errorf("resolved collection does not validate: %v", err)
	}
	// Every document once, despite the loop and the duplicate links.
	for path, n := range srv.requests {
		if n != 1 {
			t.Errorf("%s fetched %d times", path, n)
		}
	}
	// The twin resolves to itself.
	again, err := Resolve(context.Background(), twin, nil, HTTPFetcher{}, 0)
	if err != nil || !sameJSON(t, mustJSON(t, again), twin) {
		t.Errorf("inline twin changed: %v", err)
	}
}

func TestResolveItemCollectionRelativeToBase(t *testing.T) {
	doc := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","stac_version":"1.0.0","id":"x","geometry":null,
	"properties":{"datetime":null},"links":[],"assets":{"a":{"href":"x/a.tif"}}}],"links":[{"rel":"self","href":"ic.json"}]}`)
	base, _ := url.Parse("https://example.com/results/job1/ic.json")
	ic, err := Resolve(context.Background(), doc, base, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h := ic.Features[0].Assets["a"].Href; h != "https://example.com/results/job1/x/a.tif" {
		t.Errorf("asset href %s", h)
	}
	if h := ic.Links[0].Href; h != "https://example.com/results/job1/ic.json" {
		t.Errorf("link href %s", h)
	}
}

func TestResolveBoundsConcurrency(t *testing.T) {
	docs := map[string]string{}
	var links []string
	for i := range 40 {
		p := fmt.Sprintf("/items/%d.json", i)
		links = append(links, `{"rel":"item","href":".`+p+`"}`)
		docs[p] = fmt.Sprintf(`{"type":"Feature","stac_version":"1.0.0","id":"i%d","geometry":null,"properties":{"datetime":null},"links":[],"assets":{}}`, i)
	}
	docs["/catalog.json"] = `{"type":"Catalog","stac_version":"1.0.0","id":"c","description":"d","links":[` + strings.Join(links, ",") + `]}`
	srv := serve(t, docs, 5*time.Millisecond)
	ic, err := resolveURL(t, srv.URL+"/catalog.json", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ic.Features) != 40 {
		t.Fatalf("%d items", len(ic.Features))
	}
	for i, it := range ic.Features {
		if it.ID != fmt.Sprintf("i%d", i) {
			t.Fatalf("item %d is %s: not in link order", i, it.ID)
		}
	}
	if srv.peak > crawlConcurrency+1 || srv.peak < 2 { // +1: the root fetch by the test
		t.Errorf("peak concurrency %d, want 2..%d", srv.peak, crawlConcurrency)
	}
	if _, err := resolveURL(t, srv.URL+"/catalog.json", 39); !errors.Is(err, ErrLimit) {
		t.Errorf("limit 39: %v, want ErrLimit", err)
	}
}

func TestResolveErrors(t *testing.T) {
	tree := catalogTree()
	tree["/sub/collection.json"] = strings.Replace(tree["/sub/collection.json"], "items/b/b.json", "items/b/missing.json?token=s3cret", 1)
	srv := serve(t, tree, 0)
	_, err := resolveURL(t, srv.URL+"/catalog.json", 0)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "/sub/items/b/missing.json") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("missing item: %v", err)
	}

	local := filepath.Join(t.TempDir(), "secret.json")
	tree = catalogTree()
	tree["/catalog.json"] = strings.Replace(tree["/catalog.json"], "./sub/collection.json", "file://"+local, 1)
	srv = serve(t, tree, 0)
	if _, err := resolveURL(t, srv.URL+"/catalog.json", 0); !errors.Is(err, ErrPermissionDenied) {
		t.Errorf("remote catalog linking a local file: %v, want ErrPermissionDenied", err)
	}

	notSTAC := map[string]string{"/catalog.json": `{"type":"Catalog","stac_version":"1.0.0","id":"c","description":"d","links":[{"rel":"child","href":"x.json"}]}`, "/x.json": `<html>`}
	srv = serve(t, notSTAC, 0)
	if _, err := resolveURL(t, srv.URL+"/catalog.json", 0); !errors.Is(err, ErrNotSTAC) || !strings.Contains(err.Error(), "/x.json") {
		t.Errorf("child is not STAC: %v", err)
	}

	// A relative link with no base to resolve it against.
	if _, err := Resolve(context.Background(), []byte(tree["/sub/collection.json"]), nil, HTTPFetcher{}, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("relative link without base: %v, want ErrInvalid", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u, _ := url.Parse(srv.URL + "/catalog.json")
	if _, err := Resolve(ctx, []byte(notSTAC["/catalog.json"]), u, HTTPFetcher{}, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestResolveLocalFiles(t *testing.T) {
	dir := t.TempDir()
	for p, doc := range catalogTree() {
		path := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := (&url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}).String()
	ic, err := resolveURL(t, base+"/catalog.json", 0)
	if err != nil {
		t.Fatal(err)
	}
	// file:///static/a.png is where a root-relative href lands for a local catalog.
	want := strings.ReplaceAll(inlineTwin(base), base+"/static/", "file:///static/")
	if out := mustJSON(t, ic); !sameJSON(t, out, []byte(want)) {
		t.Errorf("resolved:\n%s\nwant:\n%s", out, want)
	}
	u, _ := url.Parse(base + "/nope.json")
	if _, err := (HTTPFetcher{}).Fetch(context.Background(), u); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing file: %v", err)
	}
}

func TestHTTPFetcherLimitsAndClasses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write(make([]byte, 2048))
		case "/forbidden":
			w.WriteHeader(http.StatusForbidden)
		case "/down":
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer srv.Close()
	f := HTTPFetcher{MaxBytes: 1024}
	for path, class := range map[string]error{"/big": ErrLimit, "/forbidden": ErrPermissionDenied, "/down": ErrUnavailable} {
		u, _ := url.Parse(srv.URL + path)
		if _, err := f.Fetch(context.Background(), u); !errors.Is(err, class) {
			t.Errorf("%s: %v, want %v", path, err, class)
		}
	}
	u, _ := url.Parse("ftp://example.com/x.json")
	if _, err := f.Fetch(context.Background(), u); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ftp: %v", err)
	}
}
