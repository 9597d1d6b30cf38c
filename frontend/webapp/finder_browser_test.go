package webapp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserFindItems: on water-bodies' form, draw the area on the map, find
// synthetic-s2 items of the built-in STAC API with "Find items" (thumbnails and
// footprints shown), pick two, fill stac_items with them, and run the job.
func TestBrowserFindItems(t *testing.T) {
	s := start(t)
	ctx, console := browser(t)
	run := steps(ctx, t)
	finder := `[data-testid=finder][data-input=stac_items]`
	run("open water-bodies' form",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`[data-testid=endpoint][data-endpoint=local]`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/endpoints/local/processes/water-bodies/execute"),
		chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
		chromedp.ScrollIntoView(`[data-input=aoi] gj-aoi-map`, chromedp.ByQuery),
		dragBox("aoi"),
	)
	var aoi string
	run("read the area", chromedp.Value(field("aoi", 0, ".value-control input, .value-control textarea"), &aoi, chromedp.ByQuery))
	if strings.Count(aoi, ",") != 3 {
		t.Fatalf("the drawn area is %q", aoi)
	}
	var collection string
	run("open Find items",
		click(finder+` summary`),
		chromedp.WaitVisible(finder+` [data-testid=finder-panel]`, chromedp.ByQuery),
		chromedp.Value(finder+` [data-testid=finder-collection]`, &collection, chromedp.ByQuery),
	)
	if collection != "synthetic-s2" {
		t.Errorf("collection %q", collection)
	}
	var thumbs, footprints string
	run("search June 2024",
		chromedp.SetValue(finder+` [data-testid=finder-from]`, "2024-06-01", chromedp.ByQuery),
		chromedp.SetValue(finder+` [data-testid=finder-to]`, "2024-06-30", chromedp.ByQuery),
		click(finder+` [data-testid=finder-search]`),
		chromedp.WaitVisible(finder+` [data-testid=finder-item]`, chromedp.ByQuery),
		chromedp.WaitVisible(finder+` gj-footprints-map[data-count]:not([data-count="0"])`, chromedp.ByQuery),
		chromedp.AttributeValue(finder+` gj-footprints-map`, "data-count", &footprints, nil, chromedp.ByQuery),
		chromedp.Evaluate(`String(document.querySelectorAll('[data-input=stac_items] [data-testid=finder-thumb]').length)`, &thumbs),
	)
	if footprints == "0" || thumbs == "0" {
		t.Errorf("%s footprints, %s thumbnails", footprints, thumbs)
	}
	var picked []string
	run("pick two items and use them",
		chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-input=stac_items] [data-testid=finder-pick]')).slice(0, 2).map(c => { c.checked = true; return c.value; })`, &picked),
		click(finder+` [data-testid=finder-use]`),
		chromedp.WaitVisible(`[data-testid=notice]`, chromedp.ByQuery),
	)
	if len(picked) != 2 {
		t.Fatalf("picked %v", picked)
	}
	var filled string
	run("read stac_items", chromedp.Value(field("stac_items", 0, ".value-control input, .value-control textarea"), &filled, chromedp.ByQuery))
	if !strings.Contains(filled, picked[0]) || !strings.Contains(filled, picked[1]) {
		t.Fatalf("stac_items %q, picked %v", filled, picked)
	}
	run("submit", click(`[data-testid=submit]`), chromedp.WaitVisible(`[data-testid=job-status]`, chromedp.ByQuery))
	var final, text string
	run("wait for the job's end",
		chromedp.WaitVisible(`[data-testid=job-status][data-status=successful], [data-testid=job-status][data-status=failed], [data-testid=job-status][data-status=dismissed]`, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid=job-status]`, "data-status", &final, nil, chromedp.ByQuery),
		chromedp.Text(`main`, &text, chromedp.ByQuery))
	if final != "successful" {
		t.Fatalf("the job did not succeed: %s\n%s", final, text)
	}
	jobs, _ := s.app.Store.ListJobs(context.Background(), storeFilter())
	if len(jobs.Jobs) != 1 {
		t.Fatalf("%d jobs", len(jobs.Jobs))
	}
	j, _ := s.app.Store.Job(context.Background(), jobs.Jobs[0].ID)
	var req struct{ Inputs map[string]json.RawMessage }
	_ = json.Unmarshal(j.Request, &req)
	if got := string(req.Inputs["stac_items"]); !strings.Contains(got, picked[0]) || !strings.Contains(got, picked[1]) {
		t.Errorf("the job ran with stac_items %s", got)
	}
	console.check(t)
}
