package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// TestDownloadsSnapshot: a results page that (re)connects to its downloads topic gets
// the download panel's current state at once, not at the next change (here: none, the
// download is over).
func TestDownloadsSnapshot(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	j := oneFileJob(t, s)
	r := s.postForm("/jobs/"+j.ID+"/downloads", url.Values{"all": {"1"}, "dest": {t.TempDir()}}, htmx("downloads"))
	expect(t, r, http.StatusOK)
	wctx, cancel := context.WithTimeout(ctx, waitfor.Guard)
	defer cancel()
	if p, err := s.app.Downloads.Wait(wctx, j.ID); err != nil || p.Completed != 1 {
		t.Fatalf("the download did not complete: %+v %v", p, err)
	}

	conn := s.subscribe(resultspage.DownloadsTopic(j.ID))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("no snapshot on subscribing: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	panel := doc.Find(`[id="dl-body-` + j.ID + `"][hx-swap-oob]`)
	if panel.Length() != 1 || panel.Find(`[data-testid=download-file][data-state=completed]`).Length() != 1 ||
		!strings.Contains(panel.Find("[data-testid=download-total]").Text(), "1 of 1 done") {
		t.Errorf("snapshot is not the finished panel: %s", data)
	}

	// No panel for a job that is not stored; other topics still get theirs.
	if msgs, err := s.app.ui.snapshot(ctx, resultspage.DownloadsTopic("no-such-job")); err != nil || len(msgs) != 0 {
		t.Errorf("unknown job: %d messages, %v", len(msgs), err)
	}
	if msgs, err := s.app.ui.snapshot(ctx, "running"); err != nil || len(msgs) != 1 || msgs[0].Key != "count" {
		t.Errorf("running indicator: %v, %v", msgs, err)
	}
}

// TestDownloadsPanelCatalogFailure: a download whose local catalog cannot be written
// (here a folder is where catalog.json goes) is not done: the results page's panel
// and its live push say it failed, and why; Retry failed writes the catalog once the
// folder is free, and the panel says done.
func TestDownloadsPanelCatalogFailure(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	j := oneFileJob(t, s)
	dest := t.TempDir()
	blocker := filepath.Join(dest, transfer.CatalogName)
	if err := os.MkdirAll(filepath.Join(blocker, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, waitfor.Guard)
	defer cancel()
	expect(t, s.postForm("/jobs/"+j.ID+"/downloads", url.Values{"all": {"1"}, "dest": {dest}}, htmx("downloads")), http.StatusOK)
	if p, err := s.app.Downloads.Wait(wctx, j.ID); err != nil || p.Failed != 1 {
		t.Fatalf("the download with its catalog in the way: %+v %v", p, err)
	}
	const why = "downloaded, but the local catalog (catalog.json) was not written"
	page := s.get("/jobs/" + j.ID + "/results")
	if f := page.find("[data-testid=download-file]"); f.AttrOr("data-state", "") != "failed" ||
		!strings.Contains(f.Find("[data-testid=download-error]").Text(), why) ||
		strings.Contains(page.find("[data-testid=download-total]").Text(), "1 of 1 done") {
		t.Fatalf("the results page's panel: %q", page.find("[data-testid=download-body]").Text())
	}
	conn := s.subscribe(resultspage.DownloadsTopic(j.ID))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("no snapshot on subscribing: %v", err)
	}
	if !strings.Contains(string(data), why) || !strings.Contains(string(data), `data-state="failed"`) {
		t.Fatalf("the pushed panel: %s", data)
	}

	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	r := s.postForm("/jobs/"+j.ID+"/downloads/resume", nil, htmx("downloads"))
	expect(t, r, http.StatusOK)
	if p, err := s.app.Downloads.Wait(wctx, j.ID); err != nil || p.Completed != 1 {
		t.Fatalf("after Retry failed: %+v %v", p, err)
	}
	if _, err := os.Stat(filepath.Join(dest, "scene", "scene.json")); err != nil {
		t.Fatal(err)
	}
	page = s.get("/jobs/" + j.ID + "/results")
	if total := page.find("[data-testid=download-total]").Text(); !strings.Contains(total, "1 of 1 done") ||
		page.find("[data-testid=download-error]").Length() != 0 {
		t.Fatalf("the panel after Retry failed: %q", page.find("[data-testid=download-body]").Text())
	}
}

// oneFileJob stores a successful job whose results are one scene item with one
// file, served until the test ends.
func oneFileJob(t *testing.T, s *stack) store.Job {
	t.Helper()
	ctx := context.Background()
	body := strings.Repeat("scene", 1000)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "scene.tif", time.Time{}, strings.NewReader(body))
	}))
	t.Cleanup(files.Close)
	j, err := s.app.Store.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene",
		Status: ogcapi.StatusSuccessful, RemoteID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	ic, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{
		"type": "Feature", "stac_version": "1.1.0", "id": "scene", "geometry": nil, "links": []any{},
		"properties": map[string]any{"datetime": "2026-01-01T00:00:00Z"},
		"assets":     map[string]any{"data": map[string]any{"href": files.URL + "/scene.tif", "type": "image/tiff", "file:size": len(body)}},
	}}})
	if err := s.app.Store.SetItems(ctx, j.ID, ic, time.Now()); err != nil {
		t.Fatal(err)
	}
	return j
}
