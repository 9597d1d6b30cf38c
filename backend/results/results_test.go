package results_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// catalogTree is a job's results published as a STAC catalog: a catalog, a
// collection and two items with relative hrefs.
func catalogTree() map[string]string {
	item := func(id string) string {
		return `{"type":"Feature","stac_version":"1.0.0","id":"` + id + `","geometry":null,
		"properties":{"datetime":"2024-05-01T10:00:00Z"},
		"links":[{"rel":"root","href":"../../../catalog.json","type":"application/json"},{"rel":"self","href":"./` + id + `.json"}],
		"assets":{"data":{"href":"./otsu.tif","type":"image/tiff; application=geotiff","roles":["data"],"file:size":1024}}}`
	}
	return map[string]string{
		"/catalog.json": `{"type":"Catalog","stac_version":"1.0.0","id":"results","description":"job results",
		"links":[{"rel":"root","href":"./catalog.json"},{"rel":"child","href":"./sub/collection.json"}]}`,
		"/sub/collection.json": `{"type":"Collection","stac_version":"1.0.0","id":"c","description":"d","license":"proprietary",
		"extent":{"spatial":{"bbox":[[-180,-90,180,90]]},"temporal":{"interval":[[null,null]]}},
		"links":[{"rel":"root","href":"../catalog.json"},{"rel":"item","href":"./items/a/a.json"},{"rel":"item","href":"items/b/b.json"}]}`,
		"/sub/items/a/a.json": item("a"),
		"/sub/items/b/b.json": item("b"),
	}
}

func inlineTwin(base string) string {
	item := func(id string) string {
		dir := base + "/sub/items/" + id + "/"
		return `{"type":"Feature","stac_version":"1.0.0","id":"` + id + `","geometry":null,
		"properties":{"datetime":"2024-05-01T10:00:00Z"},
		"links":[{"rel":"root","href":"` + base + `/catalog.json","type":"application/json"},{"rel":"self","href":"` + dir + id + `.json"}],
		"assets":{"data":{"href":"` + dir + `otsu.tif","type":"image/tiff; application=geotiff","roles":["data"],"file:size":1024}}}`
	}
	return `{"type":"FeatureCollection","features":[` + item("a") + "," + item("b") + `]}`
}

func serveDocs(t *testing.T, docs map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(d))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func finished() results.JobInfo {
	return results.JobInfo{ID: "job-1", ProcessID: "p", Endpoint: "https://ogc.example/", Finished: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// The same results by reference (a link to a catalog) and inline give the same items.
func TestFromResultsByReferenceEqualsInline(t *testing.T) {
	srv := serveDocs(t, catalogTree())
	fetch := stac.HTTPFetcher{Client: srv.Client()}
	byRef := &ogcapi.Results{Outputs: []ogcapi.OutputResult{{ID: "stac_catalog", Value: ogcapi.OutputValue{Kind: ogcapi.KindLink,
		Link: ogcapi.Link{Href: srv.URL + "/catalog.json", Type: "application/json"}}}}}
	inline := &ogcapi.Results{Outputs: []ogcapi.OutputResult{{ID: "stac_catalog", Value: ogcapi.OutputValue{Kind: ogcapi.KindJSON,
		Value: json.RawMessage(inlineTwin(srv.URL))}}}}
	a, err := results.FromResults(context.Background(), byRef, finished(), results.Options{Fetcher: fetch})
	if err != nil {
		t.Fatal(err)
	}
	b, err := results.FromResults(context.Background(), inline, finished(), results.Options{Fetcher: fetch})
	if err != nil {
		t.Fatal(err)
	}
	if !a.STAC || !b.STAC || len(a.Features) != 2 {
		t.Fatalf("by reference: STAC %v, %d items; inline: STAC %v", a.STAC, len(a.Features), b.STAC)
	}
	ja, _ := json.Marshal(a.ItemCollection)
	jb, _ := json.Marshal(b.ItemCollection)
	var va, vb any
	json.Unmarshal(ja, &va)
	json.Unmarshal(jb, &vb)
	if ja2, _ := json.Marshal(va); string(ja2) != func() string { x, _ := json.Marshal(vb); return string(x) }() {
		t.Fatalf("by reference and inline differ:\n%s\n%s", ja, jb)
	}
	if err := stac.Validate(ja); err != nil {
		t.Fatal(err)
	}

	// A STAC link that cannot be read is an error of the stac class.
	broken := &ogcapi.Results{Outputs: []ogcapi.OutputResult{{ID: "stac_catalog", Value: ogcapi.OutputValue{Kind: ogcapi.KindLink,
		Link: ogcapi.Link{Href: srv.URL + "/gone/catalog.json", Type: "application/json"}}}}}
	_, err = results.FromResults(context.Background(), broken, finished(), results.Options{Fetcher: fetch})
	var re *results.Error
	if !errors.As(err, &re) || !errors.Is(err, stac.ErrNotFound) || re.Output != "stac_catalog" {
		t.Fatalf("broken link: %v", err)
	}
}

func TestFromResultsJobItem(t *testing.T) {
	res := &ogcapi.Results{Outputs: []ogcapi.OutputResult{
		{ID: "tif", Value: ogcapi.OutputValue{Kind: ogcapi.KindLink, Link: ogcapi.Link{Href: "s3://b/k.tif", Type: "image/tiff"}}},
		{ID: "n", Value: ogcapi.OutputValue{Kind: ogcapi.KindJSON, Value: json.RawMessage(`42`)}},
	}}
	c, err := results.FromResults(context.Background(), res, finished(), results.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.STAC || len(c.Features) != 1 || c.Features[0].ID != "job-1" || c.Features[0].Assets["tif"].Href != "s3://b/k.tif" {
		t.Fatalf("job item: %+v", c.Features)
	}
}

// fileServer serves files with Range support (http.ServeContent), counting requests.
func fileServer(t *testing.T, files map[string][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(b)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func mh(b []byte) string {
	s := sha256.Sum256(b)
	return multihash.Encode(multihash.SHA2_256, s[:])
}

type env struct {
	st    *store.Store
	jobID string
	ic    *stac.ItemCollection
}

func newEnv(t *testing.T, ic *stac.ItemCollection) *env {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	j, err := st.CreateJob(context.Background(), store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene"})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, jobID: j.ID, ic: ic}
}

func (e *env) downloads(t *testing.T, onProgress func(results.JobProgress)) *results.Downloads {
	d, err := results.NewDownloads(results.DownloadsOptions{Store: e.st,
		Items:      func(context.Context, string) (*stac.ItemCollection, error) { return e.ic, nil },
		OnProgress: onProgress,
		Transfer:   transfer.Options{Retry: retry.Policy{Attempts: 2, Base: time.Millisecond, Max: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func sceneItem(id string, assets map[string]stac.Asset) *stac.Item {
	return &stac.Item{Type: "Feature", StacVersion: stac.Version, ID: id,
		Geometry:   json.RawMessage(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`),
		BBox:       []float64{0, 0, 1, 1},
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
		Assets:     assets}
}

func TestDownloadsAllWithLocalCatalogAndChecksumMismatch(t *testing.T) {
	tif, png := []byte(strings.Repeat("tiff", 5000)), []byte("png data")
	srv := fileServer(t, map[string][]byte{"/scene.tif": tif, "/thumb.png": png, "/bad.bin": []byte("not what the catalog says")})
	good := func(href string, b []byte) stac.Asset {
		a := stac.Asset{Href: srv.URL + href, Type: "image/png"}
		a.Set("file:size", len(b))
		a.Set("file:checksum", mh(b))
		return a
	}
	bad := stac.Asset{Href: srv.URL + "/bad.bin"}
	bad.Set("file:checksum", mh([]byte("the real thing")))
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{
		sceneItem("scene", map[string]stac.Asset{"data": good("/scene.tif", tif), "thumbnail": good("/thumb.png", png), "broken": bad}),
		// Hostile names: neither may write outside the folder.
		sceneItem("../../../outside", map[string]stac.Asset{"x": good("/thumb.png", png)}),
		sceneItem("evil", map[string]stac.Asset{"y": {Href: srv.URL + "/..%2f..%2f..%2fescaped"}}),
	}}
	e := newEnv(t, ic)
	var updates atomic.Int64
	d := e.downloads(t, func(results.JobProgress) { updates.Add(1) })
	defer d.Close()
	parent := t.TempDir()
	dest := filepath.Join(parent, "job")
	n, err := d.Start(context.Background(), e.jobID, dest, nil)
	if n != 5 {
		t.Fatalf("queued %d files (err %v), want 5", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	p, err := d.Wait(ctx, e.jobID)
	if err != nil {
		t.Fatal(err)
	}
	// The evil asset's server has no such file: failed, and nothing escaped.
	if p.Completed != 3 || p.Failed != 2 {
		t.Fatalf("completed %d failed %d: %+v", p.Completed, p.Failed, p.Files)
	}
	for _, f := range p.Files {
		if f.Asset == "broken" {
			if f.Code != transfer.DataLoss || !strings.HasPrefix(f.Error, "Verification failed") || !strings.Contains(f.Error, "checksum mismatch") {
				t.Errorf("broken asset: code %v error %q; want DataLoss and a checksum message", f.Code, f.Error)
			}
		}
	}
	recs, _ := e.st.Downloads(context.Background(), e.jobID)
	failed := 0
	for _, r := range recs {
		if r.State == store.DownloadFailed && strings.Contains(r.Error, "checksum mismatch") {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("store records: %+v", recs)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "scene", "scene.tif")); err != nil || len(b) != len(tif) {
		t.Fatalf("scene.tif: %d bytes, %v", len(b), err)
	}
	// Nothing outside dest.
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("the parent folder holds %d entries, want only the job folder", len(entries))
	}
	cat, err := os.ReadFile(filepath.Join(dest, transfer.CatalogName))
	if err != nil {
		t.Fatal(err)
	}
	if err := stac.Validate(cat); err != nil {
		t.Fatal(err)
	}
	item, err := os.ReadFile(filepath.Join(dest, "scene", "scene.json"))
	if err != nil || !strings.Contains(string(item), `"./scene.tif"`) || !strings.Contains(string(item), `"./thumb.png"`) {
		t.Fatalf("local item: %s %v", item, err)
	}
	if updates.Load() == 0 {
		t.Error("no progress reported")
	}
}

// Downloads stopped by Close (the app quitting) resume from their partial files when
// the next Downloads restores them from the store.
func TestDownloadsResumeAfterRestart(t *testing.T) {
	data := []byte(strings.Repeat("0123456789abcdef", 1<<16)) // 1 MiB
	var gate = make(chan struct{})
	var mu sync.Mutex
	var rangeFrom []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		rangeFrom = append(rangeFrom, r.Header.Get("Range"))
		mu.Unlock()
		if r.Method == http.MethodGet {
			select {
			case <-gate:
			default:
				// First run: send half, then hang until the client goes away.
				w.Header().Set("Content-Length", "1048576")
				w.Header().Set("Accept-Ranges", "bytes")
				w.Header().Set("ETag", `"v1"`)
				w.WriteHeader(http.StatusOK)
				w.Write(data[:len(data)/2])
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(data)))
	}))
	defer srv.Close()
	a := stac.Asset{Href: srv.URL + "/big.bin"}
	a.Set("file:size", len(data))
	a.Set("file:checksum", mh(data))
	e := newEnv(t, &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{sceneItem("scene", map[string]stac.Asset{"data": a})}})
	dest := t.TempDir()
	d := e.downloads(t, nil)
	if n, err := d.Start(context.Background(), e.jobID, dest, []results.AssetRef{{Item: "scene", Asset: "data"}}); n != 1 {
		t.Fatal(n, err)
	}
	part := filepath.Join(dest, "scene", "big.bin.part.json")
	// Wait for a state save that records received bytes (the first half), not a fixed
	// time. The state is saved on a timer: nothing signals it, so the file is polled.
	waitfor.Poll(t, "a resume state with received bytes", func() bool { return savedBytes(part) })
	d.Close()
	recs, _ := e.st.UnfinishedDownloads(context.Background())
	if len(recs) != 1 {
		t.Fatalf("unfinished after close: %+v", recs)
	}
	close(gate)
	d2 := e.downloads(t, nil)
	defer d2.Close()
	if n, err := d2.Restore(context.Background()); n != 1 || err != nil {
		t.Fatalf("Restore = %d, %v", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	p, err := d2.Wait(ctx, e.jobID)
	if err != nil || p.Completed != 1 {
		t.Fatalf("after restore: %+v %v", p, err)
	}
	resumed := false
	mu.Lock()
	defer mu.Unlock()
	for _, r := range rangeFrom {
		if strings.HasPrefix(r, "bytes=") && !strings.HasPrefix(r, "bytes=0-") {
			resumed = true
		}
	}
	if !resumed {
		t.Errorf("the second run fetched from the start again (ranges %q)", rangeFrom)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "scene", "big.bin")); err != nil || string(b) != string(data) {
		t.Fatalf("big.bin: %d bytes, %v", len(b), err)
	}
	if recs, _ := e.st.UnfinishedDownloads(context.Background()); len(recs) != 0 {
		t.Fatalf("still unfinished: %+v", recs)
	}
}

// Plan takes exactly the refs asked for, however many assets follow them.
func TestPlanSelection(t *testing.T) {
	it := sceneItem("s", map[string]stac.Asset{"a": {Href: "https://x/a.tif"}, "b": {Href: "https://x/b.tif"}, "c": {Href: "https://x/c.tif"},
		"d": {Href: "https://x/a.tif?v=2"}})
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}}
	got, err := results.Plan(ic, "/dest", []results.AssetRef{{Item: "s", Asset: "a"}})
	if err != nil || len(got) != 1 || got[0].Asset != "a" || got[0].Request.Name != "s/a.tif" {
		t.Fatalf("Plan(one) = %+v, %v", got, err)
	}
	all, err := results.Plan(ic, "/dest", nil)
	if err != nil || len(all) != 4 {
		t.Fatalf("Plan(all) = %+v, %v", all, err)
	}
	names := map[string]bool{}
	for _, p := range all {
		if names[p.Request.Name] {
			t.Fatalf("two assets share %s", p.Request.Name)
		}
		names[p.Request.Name] = true
	}
	if _, err := results.Plan(ic, "/dest", []results.AssetRef{{Item: "s", Asset: "zz"}}); !errors.Is(err, results.ErrNoAsset) {
		t.Fatalf("unknown ref: %v", err)
	}
}

// savedBytes reports whether the resume state at path records received bytes.
func savedBytes(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	var state struct {
		Done [][2]int64 `json:"done"`
	}
	if json.Unmarshal(b, &state) != nil {
		return false
	}
	for _, span := range state.Done {
		if span[1] > span[0] {
			return true
		}
	}
	return false
}

// A server's file names that differ only in case (one file on Windows and macOS) or
// are a Windows device name are all planned, under names of their own: the download
// refused the second of Data.tif and data.tif ('already being downloaded') and skipped
// con.txt (geojobs run --download against a hostile server, 2026-12-06). A name that
// stays unsafe (a NUL) is still left out, with the reason.
func TestPlanHostileNames(t *testing.T) {
	it := sceneItem("s", map[string]stac.Asset{
		"a": {Href: "https://x/Data.tif"}, "b": {Href: "https://x/data.tif"}, "c": {Href: "https://x/DATA.TIF"},
		"dev": {Href: "https://x/con.txt"}, "nul": {Href: "https://x/nul%00name"}, "up": {Href: "https://x/..%2F..%2F.bashrc"},
	})
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}}
	got, err := results.Plan(ic, "/dest", nil)
	names := map[string]string{}
	folded := map[string]bool{}
	for _, p := range got {
		names[p.Asset] = p.Request.Name
		if folded[strings.ToLower(p.Request.Name)] {
			t.Errorf("two assets share %s (case aside)", p.Request.Name)
		}
		folded[strings.ToLower(p.Request.Name)] = true
		if !strings.HasPrefix(p.Request.Name, "s/") || strings.Contains(p.Request.Name, "..") {
			t.Errorf("%s: %q is not inside the item's folder", p.Asset, p.Request.Name)
		}
	}
	want := map[string]string{"a": "s/Data.tif", "b": "s/b-data.tif", "c": "s/c-DATA.TIF", "dev": "s/dev-con.txt", "up": "s/.bashrc"}
	for k, v := range want {
		if names[k] != v {
			t.Errorf("asset %s saved as %q, want %q", k, names[k], v)
		}
	}
	if _, planned := names["nul"]; planned || err == nil || !strings.Contains(err.Error(), "asset s/nul") || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("nul: planned %q, err %v", names["nul"], err)
	}
}
