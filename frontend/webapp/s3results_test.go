package webapp

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// zooJobID is the ZOO-Project job whose results testdata/zoo-results.json holds.
const zooJobID = "bfafdb8e-902c-11ef-a29c-8e55bd0a3308"

// zooScenes are the items of those results; each has an s3://results/…/otsu.tif.
var zooScenes = []string{"S2A_10TFK_20220524_0_L2A", "S2B_10TFK_20210713_0_L2A"}

func zooKey(scene string) string { return zooJobID + "/" + zooJobID + "/" + scene + "/otsu.tif" }

// zooJob puts the water-bodies masks of the ZOO results into be's "results" bucket,
// serves the ZOO job's results document (s3:// hrefs with storage:endpoint naming
// the cluster's localstack) from an OGC endpoint added to the app, and records the
// job as successful. It returns the app's job id and the masks by scene.
func zooJob(t *testing.T, s *stack, s3URL string) (string, map[string]string) {
	t.Helper()
	// Uploaded through S3 (gofakes3 sets Last-Modified only then).
	k := &keystore.Key{Name: "setup", Kind: keystore.KindS3, Endpoint: s3URL, Region: s3Region, Bucket: "results",
		PathStyle: true, AccessKey: s3AccessKey, Secret: s3Secret}
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	up, err := s3.New(k, s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("testdata/zoo-results.json")
	if err != nil {
		t.Fatal(err)
	}
	masks := map[string]string{}
	for _, scene := range zooScenes {
		masks[scene] = strings.Repeat("water mask of "+scene+" ", 3000)
		if _, err := up.Upload(context.Background(), zooKey(scene), strings.NewReader(masks[scene]), int64(len(masks[scene])), "image/tiff"); err != nil {
			t.Fatal(err)
		}
	}
	// The assets get a file:checksum, so downloads and exports verify them.
	var res map[string]any
	if err := json.Unmarshal(doc, &res); err != nil {
		t.Fatal(err)
	}
	for _, f := range res["stac_catalog"].(map[string]any)["value"].(map[string]any)["features"].([]any) {
		f := f.(map[string]any)
		sum := sha256.Sum256([]byte(masks[f["id"].(string)]))
		f["assets"].(map[string]any)["data"].(map[string]any)["file:checksum"] = multihash.Encode(multihash.SHA2_256, sum[:])
	}
	if doc, err = json.Marshal(res); err != nil {
		t.Fatal(err)
	}
	ogc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimSuffix(r.URL.Path, "/") {
		case "/ogc-api/jobs/" + zooJobID + "/results":
			w.Write(doc)
		case "/ogc-api":
			io.WriteString(w, `{"links":[{"rel":"http://www.opengis.net/def/rel/ogc/1.0/conformance","href":"/ogc-api/conformance"}]}`)
		case "/ogc-api/conformance":
			io.WriteString(w, `{"conformsTo":["http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ogc.Close)
	ctx := context.Background()
	if _, err := s.app.Store.CreateEndpoint(ctx, store.Endpoint{ID: "zoo", Title: "ZOO water bodies", URL: ogc.URL + "/ogc-api/"}); err != nil {
		t.Fatal(err)
	}
	j, err := s.app.Store.CreateJob(ctx, store.NewJob{EndpointID: "zoo", ProcessID: "water-bodies", Status: ogcapi.StatusSuccessful,
		RemoteID: zooJobID, URL: ogc.URL + "/ogc-api/jobs/" + zooJobID})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.Store.SetResults(ctx, j.ID, json.RawMessage(`{}`), "", time.Now()); err != nil {
		t.Fatal(err)
	}
	return j.ID, masks
}

// frames reads every WebSocket frame of a connection to the app's hub, subscribed
// to topics, until the test ends.
type frames struct {
	mu   sync.Mutex
	data []string
}

func (f *frames) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.data, "\n")
}

func (f *frames) has(sub string) bool { return strings.Contains(f.String(), sub) }

func listen(t *testing.T, s *stack, topics ...string) *frames {
	t.Helper()
	conn := s.subscribe(topics...)
	f := &frames{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.data = append(f.data, string(b))
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return f
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitfor.Guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestS3ResultsFlow: a ZOO job whose results are s3:// objects. Previews and downloads
// say to unlock the keystore, then to add a key; with an S3 key added on the Keystore
// page they work (found by prefix, never by the server's storage:endpoint). The
// results are exported to the user's bucket and WebDAV share, verified, with a
// catalog. Every response, log line, stored file and WebSocket frame of the flow is
// free of secrets.
func TestS3ResultsFlow(t *testing.T) {
	s := startKeys(t)
	s3, be := s3Server(t, "results", "exports")
	dav := davServer(t)
	jobID, masks := zooJob(t, s.stack, s3.URL)
	ws := listen(t, s.stack, "downloads:"+jobID, "exports:"+jobID, "job:"+jobID)
	scene := zooScenes[0]
	proxy := "/jobs/" + jobID + "/assets/" + scene + "/data"

	// 1. Locked keystore: the results show, their files cannot be read.
	r := s.get("/jobs/" + jobID + "/results")
	expect(t, r, 200)
	if n := r.find("[data-testid=item]").Length(); n != 2 {
		t.Fatalf("%d items", n)
	}
	if r.find("[data-testid=export-locked]").Length() != 1 {
		t.Errorf("export card of a locked keystore:\n%s", r.find("[data-testid=export-card]").Text())
	}
	r = s.get(proxy)
	if r.status != 403 || !strings.Contains(r.body, "Unlock the keystore to show s3://results/"+zooKey(scene)) {
		t.Errorf("preview with a locked keystore: %d %s", r.status, r.body)
	}
	dest := filepath.Join(t.TempDir(), "zoo")
	r = s.post("/jobs/"+jobID+"/downloads", url.Values{"all": {"1"}, "dest": {dest}}, htmx("downloads"))
	expect(t, r, 200)
	p, _ := s.app.Downloads.Wait(context.Background(), jobID)
	if p.Failed != 2 || !strings.HasPrefix(p.Files[0].Error, "Unlock the keystore to download s3://results/"+zooJobID) {
		t.Fatalf("download with a locked keystore: %+v", p.Files)
	}
	waitFor(t, "the failure in a frame", func() bool { return ws.has("Unlock the keystore to download s3://results/") })

	// 2. Unlocked, no key: say to add one.
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}}), 303)
	r = s.get(proxy)
	if r.status != 403 || !strings.Contains(r.body, "No S3 key in the keystore matches s3://results/"+zooKey(scene)+": add one on the Keystore page") {
		t.Errorf("preview without a key: %d %s", r.status, r.body)
	}

	// 3. With a key for the bucket, previews and downloads work.
	expect(t, s.post("/keystore", url.Values{"name": {"zoo-results"}, "kind": {"s3"}, "endpoint": {s3.URL}, "region": {s3Region},
		"bucket": {"results"}, "access_key": {s3AccessKey}, "secret": {s3Secret}, "path_style": {"on"}}), 303)
	r = s.get(proxy, func(r *http.Request) { r.Header.Set("Range", "bytes=0-9") })
	if r.status != 206 || r.body != masks[scene][:10] {
		t.Errorf("preview range with a key: %d %q", r.status, r.body)
	}
	expect(t, s.post("/jobs/"+jobID+"/downloads/resume", nil, htmx("downloads")), 200)
	p, _ = s.app.Downloads.Wait(context.Background(), jobID)
	if p.Completed != 2 {
		t.Fatalf("download with a key: %+v", p.Files)
	}
	for sc, want := range masks {
		got, err := os.ReadFile(filepath.Join(dest, sc, "otsu.tif"))
		if err != nil || string(got) != want {
			t.Errorf("%s on disk: %d bytes %v", sc, len(got), err)
		}
	}
	man, err := transfer.ReadManifest(dest)
	if err != nil || len(man.Files) != 2 {
		t.Fatalf("manifest %+v %v", man, err)
	}
	for _, f := range man.Files {
		if !strings.HasPrefix(f.URL, "s3://results/") || f.Size != int64(len(masks[zooScenes[0]])) {
			t.Errorf("manifest entry %+v", f)
		}
	}

	// 4. Export: keys allowed for outputs are offered, the others listed with the reason.
	expect(t, s.post("/keystore", url.Values{"name": {"mine"}, "kind": {"s3"}, "endpoint": {s3.URL}, "region": {s3Region},
		"bucket": {"exports"}, "access_key": {s3AccessKey}, "secret": {s3Secret}, "path_style": {"on"}}), 303)
	expect(t, s.post("/keystore", url.Values{"name": {"public"}, "kind": {"s3"}, "endpoint": {s3.URL}, "region": {s3Region},
		"bucket": {"exports"}, "access_key": {s3AccessKey}, "secret": {s3Secret}, "path_style": {"on"}, "public": {"on"}}), 303)
	expect(t, s.post("/keystore", url.Values{"name": {"drive"}, "kind": {"webdav"}, "endpoint": {dav.URL + "/"}, "username": {davUser}, "secret": {davPassword}}), 303)
	r = s.get("/jobs/" + jobID + "/results")
	opts := r.find("[data-testid=export-key-option]")
	allowed := map[string]string{}
	opts.Each(func(_ int, o *goquery.Selection) { allowed[o.AttrOr("value", "")] = o.AttrOr("data-allowed", "") })
	if allowed["mine"] != "true" || allowed["drive"] != "true" || allowed["zoo-results"] != "true" || allowed["public"] != "false" {
		t.Errorf("export keys %v", allowed)
	}
	if why := r.find("[data-testid=export-key-option][value=public]").Text(); !strings.Contains(why, "read-only") {
		t.Errorf("why public is disabled: %q", why)
	}
	refused := s.post("/jobs/"+jobID+"/exports", url.Values{"export_key": {"public"}, "export_all": {"1"}}, htmx("exports"))
	if !strings.Contains(refused.find("[data-testid=export-problem]").Text(), "read-only") {
		t.Errorf("export to a public key: %s", refused.body)
	}

	r = s.post("/jobs/"+jobID+"/exports", url.Values{"export_key": {"mine"}, "export_folder": {"water/run-1"},
		"asset": {scene + "/data"}}, htmx("exports"))
	expect(t, r, 200)
	if !strings.Contains(r.find("[data-testid=export-notice]").Text(), "1 file is being exported") {
		t.Fatalf("export to S3: %s", r.body)
	}
	ep := waitExport(t, s.stack, jobID)
	if ep.Completed != 1 || ep.Catalog != "s3://exports/water/run-1/catalog.json" {
		t.Fatalf("export to S3: %+v", ep)
	}
	if got := getObject(t, be, "exports", "water/run-1/"+scene+"/otsu.tif"); got != masks[scene] {
		t.Errorf("exported object: %d bytes", len(got))
	}
	if cat := getObject(t, be, "exports", "water/run-1/catalog.json"); stac.Validate([]byte(cat)) != nil {
		t.Errorf("exported catalog: %s", cat)
	}

	r = s.post("/jobs/"+jobID+"/exports", url.Values{"export_key": {"drive"}, "export_folder": {"geojobs/zoo"}, "export_all": {"1"}}, htmx("exports"))
	expect(t, r, 200)
	ep = waitExport(t, s.stack, jobID)
	if ep.Completed != 2 || ep.Catalog != dav.URL+"/geojobs/zoo/catalog.json" {
		t.Fatalf("export to WebDAV: %+v", ep)
	}
	for sc, want := range masks {
		if got := davGet(t, dav.URL+"/geojobs/zoo/"+sc+"/otsu.tif"); got != want {
			t.Errorf("%s on the share: %d bytes", sc, len(got))
		}
	}
	item := davGet(t, dav.URL+"/geojobs/zoo/"+scene+"/"+scene+".json")
	if err := stac.Validate([]byte(item)); err != nil || !strings.Contains(item, `"href": "./otsu.tif"`) || strings.Contains(item, "storage:endpoint") {
		t.Errorf("exported item (%v):\n%s", err, item)
	}
	waitFor(t, "the export in a frame", func() bool { return ws.has(`data-testid="export-file"`) && ws.has("Exported") })
	r = s.get("/jobs/" + jobID + "/exports")
	if r.find("[data-testid=export-catalog]").Length() != 1 || r.find("[data-testid=export-file][data-state=done]").Length() != 2 {
		t.Errorf("export panel:\n%s", r.body)
	}

	s.noLeaks(t, map[string]string{"WebSocket frames": ws.String()})
	if !ws.has("downloads") || len(ws.String()) < 1000 {
		t.Errorf("few frames read: %d bytes", len(ws.String()))
	}
}

func waitExport(t *testing.T, s *stack, jobID string) export.Progress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	p, err := s.app.Exporter.Wait(ctx, jobID)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return p
}

func getObject(t *testing.T, be *s3mem.Backend, bucket, key string) string {
	t.Helper()
	o, err := be.GetObject(bucket, key, nil)
	if err != nil {
		t.Fatalf("s3://%s/%s: %v", bucket, key, err)
	}
	defer o.Contents.Close()
	b, _ := io.ReadAll(o.Contents)
	return string(b)
}

func davGet(t *testing.T, u string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.SetBasicAuth(davUser, davPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return string(b)
}
