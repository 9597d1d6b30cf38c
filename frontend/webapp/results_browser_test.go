package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// runScene runs synthetic-scene on the built-in endpoint through the monitor and
// waits for it to succeed.
func runScene(t *testing.T, s *stack) string {
	t.Helper()
	ctx := context.Background()
	p, err := s.app.Processes.Process(ctx, store.LocalEndpoint, "synthetic-scene")
	if err != nil {
		t.Fatal(err)
	}
	req := &ogcapi.Execute{Inputs: map[string]json.RawMessage{
		"aoi":  json.RawMessage(`{"bbox":[6.0,45.9,6.6,46.3],"crs":"http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`),
		"size": json.RawMessage(`384`),
	}}
	aoi := json.RawMessage(`{"type":"Polygon","coordinates":[[[6.0,45.9],[6.6,45.9],[6.6,46.3],[6.0,46.3],[6.0,45.9]]]}`)
	j, err := s.app.Monitor.Submit(ctx, jobs.Submission{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene", Process: p, Request: req, AOI: aoi})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.waitJob(j.ID, ended); got.Status != ogcapi.StatusSuccessful {
		t.Fatalf("job %s: %s", got.Status, got.Error)
	}
	return j.ID
}

// chooseFolder types dest as the results' download folder and waits for the folder's
// check (sent on change) to answer for it: the answer puts a line above the buttons.
func chooseFolder(dest string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.SetValue(`[data-testid=download-dest]`, dest, chromedp.ByQuery),
		poll(fmt.Sprintf(`document.querySelector("[data-testid=download-folder-check]").textContent.includes(%q)`, dest)),
	}
}

// downloadsSettled waits until the downloads panel lists n files and none is queued,
// running or being verified.
func downloadsSettled(n int) chromedp.Action {
	return poll(fmt.Sprintf(`(() => { const f = document.querySelectorAll("[data-testid=download-file]");
		return f.length === %d && Array.from(f).every(el => ["completed", "failed", "canceled", "paused"].includes(el.dataset.state)); })()`, n),
		chromedp.WithPollingInterval(50*time.Millisecond))
}

// TestBrowserResults runs synthetic-scene, opens its results in Chromium, sees the
// thumbnail and the footprint on the map, downloads everything and finds the files and
// the local STAC catalog on disk. It takes docs/screenshots/results.png.
func TestBrowserResults(t *testing.T) {
	s := start(t)
	jobID := runScene(t, s)
	ctx, console := browser(t)
	shots := screenshotDir(t)
	run := steps(ctx, t)
	dest := filepath.Join(t.TempDir(), "scene downloads")
	run("open the results",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`main`, chromedp.ByQuery),
		// From the job page, by its link (an HTMX-boosted navigation).
		chromedp.Navigate(s.base+"/jobs/"+jobID),
		click(`a[href="/jobs/`+jobID+`/results"]`),
		chromedp.WaitVisible(`[data-testid=item]`, chromedp.ByQuery),
	)
	run("the thumbnail loads through the proxy",
		chromedp.WaitVisible(`img[data-testid=thumbnail]`, chromedp.ByQuery),
		poll(`(() => { const i = document.querySelector('img[data-testid=thumbnail]'); return i && i.complete && i.naturalWidth > 0; })()`),
	)
	var count string
	run("the footprint is on the map",
		chromedp.WaitVisible(`gj-footprints-map[data-count]`, chromedp.ByQuery),
		chromedp.AttributeValue(`gj-footprints-map`, "data-count", &count, nil, chromedp.ByQuery),
	)
	if count != "1" {
		t.Fatalf("the map shows %q footprints, want 1", count)
	}
	// The COG previews are drawn (or said to have failed) before the screenshot.
	var previews string
	run("the previews are ready",
		chromedp.WaitVisible(`gj-footprints-map[data-previews-ready], gj-footprints-map[data-previews=failed]`, chromedp.ByQuery),
		chromedp.AttributeValue(`gj-footprints-map`, "data-previews", &previews, nil, chromedp.ByQuery))
	t.Logf("COG previews: %q", previews)
	run("download all into a chosen folder",
		chooseFolder(dest),
		click(`[data-testid=download-all]`),
		chromedp.WaitVisible(`[data-testid=download-file]`, chromedp.ByQuery),
	)
	var done int
	var panel string
	run("wait for both files",
		downloadsSettled(2),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=download-file][data-state=completed]').length`, &done),
		chromedp.Text(`[data-testid=downloads]`, &panel, chromedp.ByQuery),
	)
	if done != 2 {
		t.Fatalf("%d files shown as done; panel: %s", done, panel)
	}
	run("screenshot", chromedp.ScrollIntoView(`h1`, chromedp.ByQuery), screenshot(shots, "results"))

	// On disk: the files, verified, and a local catalog that validates.
	// Completed only once checked on disk, with the catalog written (Downloads.commit).
	cat, err := os.ReadFile(filepath.Join(dest, transfer.CatalogName))
	if err != nil {
		t.Fatal(err)
	}
	if err := stac.Validate(cat); err != nil {
		t.Fatalf("local catalog: %v", err)
	}
	man, err := transfer.ReadManifest(dest)
	if err != nil || len(man.Files) != 2 {
		t.Fatalf("manifest %+v %v", man, err)
	}
	for _, f := range man.Files {
		if !f.Verified || !strings.Contains(f.Name, "/") {
			t.Errorf("%s: verified %v", f.Name, f.Verified)
		}
		if _, err := os.Stat(filepath.Join(dest, filepath.FromSlash(f.Name))); err != nil {
			t.Error(err)
		}
	}
	// The ItemCollection is stored with the job and exported as JSON.
	raw, _, err := s.app.Store.Items(context.Background(), jobID)
	if err != nil || raw == nil || stac.Validate(raw) != nil {
		t.Fatalf("stored items: %v", err)
	}
	exp := s.get("/jobs/" + jobID + "/results.json")
	if exp.status != 200 || stac.Validate([]byte(exp.body)) != nil {
		t.Fatalf("export: %d", exp.status)
	}

	// Issue 14 §5. Once every file is done, there is nothing to pause or resume.
	var stale int
	run("no stale controls", chromedp.Evaluate(`document.querySelectorAll('[data-testid=pause-all],[data-testid=resume-all]').length`, &stale))
	if stale != 0 {
		t.Errorf("%d Pause/Resume buttons after every file is done", stale)
	}
	// An unusable folder is refused when typed, and on Download, before anything is queued.
	var refused, problem string
	run("an unusable folder is refused when chosen",
		chooseFolder("/proc/nope/here"),
		chromedp.Text(`[data-testid=download-folder-check]`, &refused, chromedp.ByQuery),
		click(`[data-testid=download-all]`),
		chromedp.WaitVisible(`[data-testid=download-problem]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=download-problem]`, &problem, chromedp.ByQuery),
	)
	if !strings.Contains(refused, "/proc/nope/here cannot be created") || !strings.HasPrefix(problem, "Nothing was queued") {
		t.Errorf("unusable folder: %q, then %q", refused, problem)
	}
	// Downloading again into a new folder writes there, and is done only when it is.
	second := filepath.Join(t.TempDir(), "second", "copy")
	run("download all again into a new folder",
		chooseFolder(second),
		click(`[data-testid=download-all]`),
		chromedp.WaitVisible(`[data-testid=download-notice]`, chromedp.ByQuery),
	)
	dctx, cancel := context.WithTimeout(ctx, waitfor.Guard)
	defer cancel()
	if _, err := s.app.Downloads.Wait(dctx, jobID); err != nil {
		t.Fatal(err)
	}
	var into string
	run("four files done, two in the new folder",
		poll(`document.querySelectorAll('[data-testid=download-file][data-state=completed]').length === 4`, chromedp.WithPollingInterval(50*time.Millisecond)),
		chromedp.Text(`[data-testid=download-folders]`, &into, chromedp.ByQuery),
	)
	if !strings.Contains(into, second) {
		t.Errorf("the panel does not name the new folder: %q", into)
	}
	man2, err := transfer.ReadManifest(second)
	if err != nil || len(man2.Files) != 2 {
		t.Fatalf("the new folder's manifest: %+v %v", man2, err)
	}
	for _, f := range man2.Files {
		if _, err := os.Stat(filepath.Join(second, filepath.FromSlash(f.Name))); err != nil || !f.Verified {
			t.Errorf("%s in the new folder: verified %v, %v", f.Name, f.Verified, err)
		}
	}
	console.check(t)
}
