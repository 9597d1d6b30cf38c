package webapp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// dragOnMap drags the mouse across the map of input id, from 30 % to 70 % of its view,
// without choosing a tool first (a map without an area opens in Box mode).
func dragOnMap(id string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		view := fmt.Sprintf(`[data-input=%s] gj-aoi-map .gj-map-view`, id)
		if err := chromedp.ScrollIntoView(view, chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		var box []float64
		if err := chromedp.Evaluate(fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`, view), &box).Do(ctx); err != nil {
			return err
		}
		x0, y0 := box[0]+box[2]*0.3, box[1]+box[3]*0.3
		x1, y1 := box[0]+box[2]*0.7, box[1]+box[3]*0.7
		events := []*input.DispatchMouseEventParams{
			input.DispatchMouseEvent(input.MouseMoved, x0, y0),
			input.DispatchMouseEvent(input.MousePressed, x0, y0).WithButton(input.Left).WithButtons(1).WithClickCount(1),
		}
		for i := 1; i <= 12; i++ {
			f := float64(i) / 12
			events = append(events, input.DispatchMouseEvent(input.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f).WithButton(input.Left).WithButtons(1))
		}
		events = append(events, input.DispatchMouseEvent(input.MouseReleased, x1, y1).WithButton(input.Left).WithButtons(0).WithClickCount(1))
		for _, e := range events {
			if err := e.Do(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestBrowserHappyPath walks the main flow as a new user would, in Chromium at
// 1366×900, with 500 older jobs in the list: open the link, find Zürich with the
// offline place search, draw the area of interest with the mouse (no tool chosen first), submit, watch the job end, see the preview,
// download the files, label the job, and find it again in the list by a part of its
// process's name. With GEOJOBS_SCREENSHOTS=docs/screenshots it retakes the README's
// execute-form, job, results and jobs screenshots.
func TestBrowserHappyPath(t *testing.T) {
	s := start(t)
	s.seedJobs(500)
	ctx, console := browser(t)
	shots := screenshotDir(t)
	run := steps(ctx, t)
	run("open the link, pick synthetic-scene",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`nav`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/endpoints/local/processes/synthetic-scene/execute"),
		chromedp.WaitVisible(`[data-input=aoi] gj-aoi-map[data-tool=box]`, chromedp.ByQuery),
		poll(`(() => { const m = document.querySelector("[data-input=aoi] gj-aoi-map"); return m.map && m.map.getAllLayers().some(l => l.get("name") === "natural-earth" && l.getSource().getFeatures().length > 0); })()`),
	)
	run("find Zürich with the offline place search",
		chromedp.SendKeys(`[data-input=aoi] [data-testid=place-search]`, "Zuri", chromedp.ByQuery),
		poll(`[...document.querySelectorAll("[data-input=aoi] .gj-map-places li")].some(li => li.textContent.startsWith("Zürich"))`),
		chromedp.SendKeys(`[data-input=aoi] [data-testid=place-search]`, "\r", chromedp.ByQuery),
		poll(`document.querySelector("[data-input=aoi] gj-aoi-map").getAttribute("data-place") === "Zürich"`),
		htmxIdle(),
		poll(`location.pathname.endsWith("/execute") && !document.querySelector("[data-testid=problems]")`), // Enter did not submit the form
	)
	run("draw the area with the mouse",
		dragOnMap("aoi"),
		poll(`document.querySelector("[data-input=aoi] textarea, [data-input=aoi] input[type=text]").value.includes("bbox")`),
		chromedp.ScrollIntoView(`h1`, chromedp.ByQuery),
		screenshot(shots, "execute-form"),
	)
	var jobURL string
	run("submit",
		click(`[data-testid=submit]`),
		chromedp.WaitVisible(`[data-testid=job-status]`, chromedp.ByQuery),
		chromedp.Location(&jobURL),
	)
	jobID := jobURL[strings.LastIndex(jobURL, "/")+1:]
	run("watch it end",
		chromedp.WaitVisible(`[data-testid=job-status][data-status=successful] [data-testid=results-link]`, chromedp.ByQuery),
		screenshot(shots, "job"),
	)
	dest := filepath.Join(t.TempDir(), "my scene")
	run("the results: preview and download",
		click(`[data-testid=results-link]`),
		chromedp.WaitVisible(`gj-footprints-map[data-count="1"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`img[data-testid=thumbnail]`, chromedp.ByQuery),
		poll(`(() => { const i = document.querySelector("img[data-testid=thumbnail]"); return i.complete && i.naturalWidth > 0; })()`),
		chooseFolder(dest),
		click(`[data-testid=download-all]`),
		poll(`document.querySelectorAll("[data-testid=download-file][data-state=completed]").length === 2`),
		chromedp.ScrollIntoView(`h1`, chromedp.ByQuery),
		screenshot(shots, "results"),
	)
	entries, err := os.ReadDir(dest)
	if err != nil || len(entries) == 0 {
		t.Fatalf("nothing downloaded into %s: %v", dest, err)
	}
	run("label the job",
		chromedp.Navigate(s.base+"/jobs/"+jobID),
		chromedp.WaitVisible(`[data-testid=label-input]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=label-input]`, "Zürich lake test", chromedp.ByQuery),
		click(`[data-testid=label-save]`),
		chromedp.WaitVisible(`[data-testid=job-label]`, chromedp.ByQuery),
	)
	var rows int
	run("find it again among 500 jobs",
		click(`nav a[href="/jobs"]`),
		chromedp.WaitVisible(`#f-process`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-process`, "SYNTH", chromedp.ByQuery),
		click(`[data-testid=apply-filters]`),
		poll(`location.search.includes("process=SYNTH")`),
		htmxIdle(), // the filtered rows are in (the job's row was in the whole list too)
		chromedp.WaitVisible(`#job-row-`+jobID+` [data-testid=job-summary]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#job-rows tr[data-job]").length`, &rows),
	)
	var link string
	run("read the row", chromedp.Text(`#job-row-`+jobID+` [data-testid=job-link]`, &link, chromedp.ByQuery))
	if rows != 1 || link != "Zürich lake test" {
		t.Errorf("filtered list: %d rows, link %q", rows, link)
	}
	run("the whole list for the screenshot",
		chromedp.Navigate(s.base+"/jobs"),
		chromedp.WaitVisible(`#job-row-`+jobID, chromedp.ByQuery),
		screenshot(shots, "jobs"),
	)
	console.check(t)
}
