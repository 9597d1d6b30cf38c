package runner

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"
)

// refServer is an endpoint whose one process returns its results by reference.
type refServer struct {
	srv     *httptest.Server
	results string // /jobs/j1/results body; "{base}" is replaced by the server URL
	docs    map[string]string
	mu      sync.Mutex
	auth    map[string]string // path → Authorization received
}

func newRefServer(t *testing.T, results string, docs map[string]string) *refServer {
	s := &refServer{results: results, docs: docs, auth: map[string]string{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *refServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.auth[r.URL.Path] = r.Header.Get("Authorization")
	s.mu.Unlock()
	send := func(code int, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprint(w, strings.ReplaceAll(body, "{base}", s.srv.URL))
	}
	switch {
	case r.URL.Path == "/processes/p":
		send(200, `{"id":"p","version":"1","jobControlOptions":["async-execute"],"outputs":{"out":{"schema":{"type":"object"}},"report":{"schema":{"type":"object"}},"count":{"schema":{"type":"integer"}}}}`)
	case r.URL.Path == "/processes/p/execution" && r.Method == http.MethodPost:
		if r.Header.Get("X-Echo-Auth") != "" {
			send(500, `{"type":"about:blank","title":"crash","detail":"bad token `+r.Header.Get("Authorization")+`"}`)
			return
		}
		w.Header().Set("Location", "/jobs/j1")
		send(201, `{"jobID":"j1","status":"accepted","type":"process"}`)
	case r.URL.Path == "/jobs/j1":
		send(200, `{"jobID":"j1","status":"successful","type":"process","created":"2026-01-02T03:04:00Z","started":"2026-01-02T03:04:05Z","finished":"2026-01-02T03:05:00Z","progress":100}`)
	case r.URL.Path == "/jobs/j1/results":
		send(200, s.results)
	case s.docs[r.URL.Path] != "":
		send(200, s.docs[r.URL.Path])
	default:
		send(404, `{"type":"about:blank","title":"not found"}`)
	}
}

func stacItem(id, href string) string {
	return `{"type":"Feature","stac_version":"1.0.0","id":"` + id + `","geometry":{"type":"Point","coordinates":[6,46]},"bbox":[6,46,6,46],
		"properties":{"datetime":"2026-01-02T03:05:00Z"},"links":[],"assets":{"data":{"href":"` + href + `","type":"image/tiff"}}}`
}

func TestSTACByReference(t *testing.T) {
	other := newRefServer(t, "", map[string]string{"/elsewhere/item2.json": stacItem("item2", "./b.tif")})
	s := newRefServer(t, `{"out":{"href":"{base}/stac/catalog.json","type":"application/json"}}`, map[string]string{
		"/stac/catalog.json": `{"type":"Catalog","stac_version":"1.0.0","id":"c","description":"d","links":[
			{"rel":"item","href":"./items/item1.json"},{"rel":"item","href":"` + other.srv.URL + `/elsewhere/item2.json"}]}`,
		"/stac/items/item1.json": stacItem("item1", "./a.tif"),
	})
	fs := afero.NewMemMapFs()
	o := baseOptions(s.srv.URL, "p", mustParse(t, `{}`), fs, nil)
	o.Headers = http.Header{"Authorization": {"Bearer tok"}}
	res, err := runWith(t, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	ic := readCollection(t, fs, "/out/feature-collection.json")
	if !res.STAC || len(ic.Features) != 2 {
		t.Fatalf("result %+v, %d items", res, len(ic.Features))
	}
	if got, want := ic.Features[0].Assets["data"].Href, s.srv.URL+"/stac/items/a.tif"; got != want {
		t.Errorf("item1 asset href %q, want %q (absolute)", got, want)
	}
	if got, want := ic.Features[1].Assets["data"].Href, other.srv.URL+"/elsewhere/b.tif"; got != want {
		t.Errorf("item2 asset href %q, want %q", got, want)
	}
	if s.auth["/stac/items/item1.json"] != "Bearer tok" {
		t.Error("the endpoint's credentials were not sent for its own STAC documents")
	}
	if a, ok := other.auth["/elsewhere/item2.json"]; !ok || a != "" {
		t.Errorf("another origin got Authorization %q (fetched: %v)", a, ok)
	}
}

func TestNonSTACReferences(t *testing.T) {
	s := newRefServer(t, `{"out":{"href":"s3://bucket/run/out.tif","type":"image/tiff; application=geotiff"},
		"report":{"href":"{base}/files/report.json","type":"application/json"},"count":{"value":42}}`,
		map[string]string{"/files/report.json": `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}}]}`})
	fs := afero.NewMemMapFs()
	res, err := runWith(t, baseOptions(s.srv.URL, "p", mustParse(t, `{}`), fs, nil))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	ic := readCollection(t, fs, "/out/feature-collection.json")
	if res.STAC || len(ic.Features) != 1 {
		t.Fatalf("result %+v", res)
	}
	it := ic.Features[0]
	if it.ID != "j1" || it.Assets["out"].Href != "s3://bucket/run/out.tif" || it.Assets["report"].Href != s.srv.URL+"/files/report.json" {
		t.Errorf("item %s assets %+v", it.ID, it.Assets)
	}
	if string(it.Properties["datetime"]) != `"2026-01-02T03:05:00Z"` || string(it.Properties["start_datetime"]) != `"2026-01-02T03:04:05Z"` {
		t.Errorf("times %s %s", it.Properties["datetime"], it.Properties["start_datetime"])
	}
	if !strings.Contains(strings.Join(strings.Fields(string(it.Properties["geojobs:outputs"])), ""), `"count":42`) {
		t.Errorf("literal output missing: %s", it.Properties["geojobs:outputs"])
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	s := newRefServer(t, "", nil)
	o := baseOptions(s.srv.URL, "p", mustParse(t, `{}`), afero.NewMemMapFs(), nil)
	o.Headers = http.Header{"Authorization": {"Bearer very-secret-token"}, "X-Echo-Auth": {"1"}}
	_, err := runWith(t, o)
	e := wantError(t, err, ExitServer, "500")
	if strings.Contains(e.Error(), "very-secret-token") {
		t.Errorf("error shows the token: %v", e)
	}
}

func TestInvalidSTACNotWritten(t *testing.T) {
	// A STAC Item without datetime (nor start/end) breaks the schema: nothing is written.
	bad := strings.Replace(stacItem("x", "./a.tif"), `"datetime":"2026-01-02T03:05:00Z"`, `"title":"no time"`, 1)
	s := newRefServer(t, `{"out":{"value":`+bad+`}}`, nil)
	fs := afero.NewMemMapFs()
	_, err := runWith(t, baseOptions(s.srv.URL, "p", mustParse(t, `{}`), fs, nil))
	wantError(t, err, ExitOutput, "not make a valid STAC ItemCollection", "datetime")
	if ok, _ := afero.Exists(fs, "/out/feature-collection.json"); ok {
		t.Error("an invalid file was written")
	}
	noTempFiles(t, fs, "/out")
}
