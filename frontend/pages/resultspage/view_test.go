package resultspage_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
	"github.com/geojobs/geojobs/frontend/pagetest"
	"github.com/geojobs/geojobs/frontend/web"
	"github.com/geojobs/geojobs/internal/waitfor"
)

func mh(b []byte) string {
	s := sha256.Sum256(b)
	return multihash.Encode(multihash.SHA2_256, s[:])
}

type page struct {
	t     *testing.T
	srv   *httptest.Server
	jobID string
	// emptyJob's results have an item without assets.
	emptyJob string
	files    *httptest.Server
	dl       *results.Downloads
}

// newPage serves the page over a real store, results service and download manager,
// with a job whose stored items point to files on a test server.
func newPage(t *testing.T) *page {
	tif := []byte(strings.Repeat("II*\x00tiff", 2000))
	png := []byte("\x89PNG\r\n\x1a\nthumbnail")
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := map[string][]byte{"/scene.tif": tif, "/thumb.png": png, "/bad.bin": []byte("tampered"), "/nosize.json": []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"data-cog":"https://evil/x.tif"},"geometry":{"type":"Point","coordinates":[6.5,45.5]}}]}`)}[r.URL.Path]
		if body == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
	}))
	t.Cleanup(files.Close)
	asset := func(path, typ string, roles []string, b []byte, sum string) stac.Asset {
		a := stac.Asset{Href: files.URL + path, Type: typ, Roles: roles}
		if b != nil {
			a.Set("file:size", len(b))
		}
		if sum != "" {
			a.Set("file:checksum", sum)
		}
		return a
	}
	data := asset("/scene.tif", "image/tiff; application=geotiff; profile=cloud-optimized", []string{"data"}, tif, mh(tif))
	data.Set("raster:bands", []map[string]any{{"statistics": map[string]any{"minimum": -1, "maximum": 1}}})
	it := &stac.Item{Type: "Feature", StacVersion: stac.Version, ID: "scene <b>1</b>",
		Geometry:   json.RawMessage(`{"type":"Polygon","coordinates":[[[6,45],[7,45],[7,46],[6,46],[6,45]]]}`),
		BBox:       []float64{6, 45, 7, 46},
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
		Assets: map[string]stac.Asset{
			"data":      data,
			"thumbnail": asset("/thumb.png", "image/png", []string{"thumbnail"}, png, mh(png)),
			"broken":    asset("/bad.bin", "application/octet-stream", []string{"data"}, nil, mh([]byte("original"))),
			"vectors":   asset("/nosize.json", "application/geo+json", []string{"data"}, nil, ""),
			"remote":    {Href: "s3://bucket/key.tif", Title: "On S3"},
		}}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}}
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	j, err := st.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene",
		AOI: json.RawMessage(`{"type":"Polygon","coordinates":[[[6,45],[7,45],[7,46],[6,46],[6,45]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ic)
	if err := st.SetItems(ctx, j.ID, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	empty, err := st.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "countdown"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(&stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{{Type: "Feature", StacVersion: stac.Version, ID: "nothing",
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)}}}})
	if err := st.SetItems(ctx, empty.ID, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	mux := transfer.DefaultMux(nil)
	svc, err := results.NewService(results.ServiceOptions{Store: st, Sources: mux,
		// The job's endpoint is on this machine, as its files are: they may be fetched.
		Clients: func(context.Context, string) (*ogcapi.Client, error) { return ogcapi.New(files.URL) }})
	if err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	dl, err := results.NewDownloads(results.DownloadsOptions{Store: st, Items: svc.Items, Transfer: transfer.Options{Sources: mux,
		Retry: retry.Policy{Attempts: 1, Base: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dl.Close() })
	h := resultspage.New(resultspage.Deps{Jobs: st, Results: svc, Downloads: dl, DefaultDir: func(context.Context, string) string { return dest }})
	srv := httptest.NewServer(serve(h))
	t.Cleanup(srv.Close)
	return &page{t: t, srv: srv, jobID: j.ID, emptyJob: empty.ID, files: files, dl: dl}
}

func (p *page) get(path string, hdr ...string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// serve serves the page's routes the tests request, as frontend/webapp does.
func serve(h *resultspage.Handler) http.Handler {
	m := pagetest.Mux(map[string]web.HandlerFunc{"GET /jobs/{id}/results": h.Page, "GET /jobs/{id}/results.json": h.ExportJSON,
		"GET /jobs/{id}/map.geojson": h.MapData, "GET /jobs/{id}/downloads": h.Panel, "POST /jobs/{id}/downloads": h.Start,
		"POST /jobs/{id}/downloads/check": h.CheckFolder})
	m.HandleFunc("GET /jobs/{id}/assets/{item}/{asset}", h.Asset)
	return m
}

func doc(t *testing.T, body string) *goquery.Document {
	return pagetest.Parse(t, strings.NewReader(body))
}

func TestResultsPage(t *testing.T) {
	p := newPage(t)
	resp, body := p.get("/jobs/" + p.jobID + "/results")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	d := doc(t, body)
	if n := d.Find("[data-testid=asset]").Length(); n != 5 {
		t.Fatalf("%d asset rows, want 5", n)
	}
	item := d.Find("[data-testid=item]")
	if got := item.AttrOr("data-item", ""); got != "scene <b>1</b>" || item.Find("b").Length() != 0 {
		t.Errorf("item id %q rendered as markup", got)
	}
	thumb := d.Find("[data-asset=thumbnail] img[data-testid=thumbnail]")
	wantProxy := "/jobs/" + p.jobID + "/assets/" + url.PathEscape("scene <b>1</b>") + "/thumbnail"
	if src := thumb.AttrOr("src", ""); src != wantProxy {
		t.Errorf("thumbnail src %q, want the proxy %q", src, wantProxy)
	}
	if d.Find("[data-asset=data] img").Length() != 0 {
		t.Error("the GeoTIFF is shown as an image")
	}
	if got := d.Find("[data-asset=remote] [data-testid=href]").Text(); got != "s3://bucket/key.tif" {
		t.Errorf("s3 href shown as %q", got)
	}
	if got := d.Find("[data-asset=vectors] [data-testid=size]").Text(); got != "160 B" {
		t.Errorf("size without file:size (HEAD) = %q, want 160 B", got)
	}
	if got := d.Find("[data-asset=data] [data-testid=checksum]").Text(); !strings.HasPrefix(got, "Checksum (multihash): 1220") {
		t.Errorf("checksum %q", got)
	}
	if got := d.Find(`[data-testid=item-props] [data-prop="data · raster:bands"]`).Text(); got != `[{"statistics":{"maximum":1,"minimum":-1}}]` {
		t.Errorf("raster:bands shown as %q", got)
	}
	if got := d.Find(`[data-testid=item-props] [data-prop=datetime]`).First().Text(); got != "2026-01-01T00:00:00Z" {
		t.Errorf("datetime shown as %q", got)
	}
	fp := d.Find("gj-footprints-map")
	if !strings.Contains(fp.AttrOr("aoi", ""), "Polygon") || fp.AttrOr("src", "") != "/jobs/"+p.jobID+"/map.geojson" {
		t.Errorf("map aoi %q src %q", fp.AttrOr("aoi", ""), fp.AttrOr("src", ""))
	}
	// The map's data: the footprint with its COG preview, then the GeoJSON asset's features.
	resp, body = p.get("/jobs/" + p.jobID + "/map.geojson")
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(body), &fc); err != nil || resp.StatusCode != 200 || len(fc.Features) != 2 {
		t.Fatalf("map data: %d %v %s", resp.StatusCode, err, body)
	}
	if fc.Features[0].Properties["data-cog"] != "/jobs/"+p.jobID+"/assets/"+url.PathEscape("scene <b>1</b>")+"/data" ||
		fc.Features[0].Properties["data-cog-min"] != -1.0 {
		t.Errorf("COG preview properties %v", fc.Features[0].Properties)
	}
	if _, ok := fc.Features[1].Properties["data-cog"]; ok {
		t.Error("a GeoJSON asset set a preview URL on the map")
	}

	// Export as JSON.
	resp, body = p.get("/jobs/" + p.jobID + "/results.json")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") || stac.Validate([]byte(body)) != nil {
		t.Errorf("export: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
}

func TestAssetProxyRanges(t *testing.T) {
	p := newPage(t)
	base := "/jobs/" + p.jobID + "/assets/" + url.PathEscape("scene <b>1</b>")
	resp, body := p.get(base+"/data", "Range", "bytes=4-7")
	if resp.StatusCode != http.StatusPartialContent || body != "tiff" || resp.Header.Get("Content-Range") != "bytes 4-7/16000" {
		t.Fatalf("range: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Range"))
	}
	if resp.Header.Get("Content-Type") != "image/tiff" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", resp.Header)
	}
	resp, body = p.get(base+"/data", "Range", "bytes=-3")
	if resp.StatusCode != 206 || body != "iff" {
		t.Errorf("suffix range: %d %q", resp.StatusCode, body)
	}
	resp, _ = p.get(base+"/data", "Range", "bytes=99999-")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("unsatisfiable range: %d", resp.StatusCode)
	}
	resp, _ = p.get(base + "/thumbnail")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("thumbnail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, _ = p.get(base + "/broken")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != "attachment" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("other types go as attachments: %v", resp.Header)
	}
	if resp, _ = p.get(base + "/nope"); resp.StatusCode != 404 {
		t.Errorf("unknown asset: %d", resp.StatusCode)
	}
	if resp, _ = p.get("/jobs/nope/assets/x/y"); resp.StatusCode != 404 {
		t.Errorf("unknown job: %d", resp.StatusCode)
	}
	// s3 without a driver: refused, not served.
	if resp, _ = p.get(base + "/remote"); resp.StatusCode < 400 {
		t.Errorf("s3 asset without a driver: %d", resp.StatusCode)
	}
}

func TestDownloadChecksumMismatchShown(t *testing.T) {
	p := newPage(t)
	form := url.Values{"asset": {url.PathEscape("scene <b>1</b>") + "/broken", url.PathEscape("scene <b>1</b>") + "/thumbnail"}}
	req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/jobs/"+p.jobID+"/downloads", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "2 files queued") {
		t.Fatalf("start: %d %s", resp.StatusCode, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	if _, err := p.dl.Wait(ctx, p.jobID); err != nil {
		t.Fatal(err)
	}
	_, body := p.get("/jobs/" + p.jobID + "/downloads")
	d := doc(t, body)
	errEl := d.Find("[data-testid=download-error]")
	if errEl.AttrOr("data-code", "") != "DataLoss" || !strings.Contains(errEl.Text(), "Verification failed") {
		t.Fatalf("checksum mismatch not shown: %q", body)
	}
	if d.Find("[data-testid=download-file][data-state=completed]").Length() != 1 {
		t.Error("the thumbnail is not shown as done")
	}
	if d.Find("[data-testid=download-file][data-state=failed] button").First().Text() != "Retry" {
		t.Error("no retry button on the failed file")
	}
}

// A download paused for a sign-in says so, with the key to sign in with, and not as a
// failure.
func TestDownloadWaitingForSignIn(t *testing.T) {
	var buf strings.Builder
	p := results.JobProgress{JobID: "j1", Files: []results.FileView{{Task: "1", Name: "scene/a.tif", State: transfer.StatePaused,
		SignIn: "platform", Size: 100, ETA: -1}}, ETA: -1}
	if err := resultspage.DownloadsPanel("j1", p, "", "").Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	d := doc(t, buf.String())
	if got := d.Find("[data-testid=download-signin]").Text(); !strings.Contains(got, "Sign-in needed") || !strings.Contains(got, "platform") {
		t.Errorf("sign-in notice %q", got)
	}
	if d.Find("[data-testid=download-error]").Length() != 0 {
		t.Error("shown as a failure")
	}
}
