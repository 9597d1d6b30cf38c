package webapp

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// progressWatch is what a page showed of a job: its progress values and statuses, in
// order (the page's marker proves it was never reloaded meanwhile).
type progressWatch struct {
	values   []int // distinct progress values seen, in order
	statuses []string
}

func increasing(vs []int) int {
	n := 0
	for i := 1; i < len(vs); i++ {
		if vs[i] > vs[i-1] {
			n++
		}
	}
	return n
}

// TestBrowserJobsLive opens the job list and a countdown job's page in Chromium and
// sees them follow the jobs to the end over the WebSocket, without a reload: the
// progress grows several times and the status reaches successful, on the page and in
// the list's row (which appears by itself when the job is submitted). It takes the
// screenshots jobs.png and job-running.png.
func TestBrowserJobsLive(t *testing.T) {
	s := start(t)
	ctx, console := browser(t)
	shots := screenshotDir(t)
	run := steps(ctx, t)
	// Some history for the list: a success, a failure with the server's reason.
	ok := s.submitLocal("echo", map[string]any{"stringInput": "hello"})
	bad := s.submitLocal("fail", map[string]any{"message": "the water mask is empty for this area"})
	s.waitJob(ok.ID, ended)
	s.waitJob(bad.ID, ended)

	run("open the job list",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`nav`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/jobs"),
		chromedp.WaitVisible(`[data-testid=job-list]`, chromedp.ByQuery),
		chromedp.Evaluate(`window.__gjNoReload = true`, nil),
	)
	// Both live connections open before the job starts (what happens between the
	// page's read and its subscription comes in the subscription's snapshot).
	run("the live connections are open", wsOpen())
	cd := s.submitLocal("countdown", map[string]any{"seconds": 12, "step": 0.25})
	row := `#job-row-` + cd.ID
	run("the new job's row appears", chromedp.WaitVisible(row, chromedp.ByQuery))
	var w progressWatch
	run("watch the row to the job's end",
		watchLive(row+` progress`, row, "data-status"),
		poll(`window.__gjWatch.values.length >= 2`),
		screenshot(shots, "jobs"),
		poll(`window.__gjWatch.statuses.includes("successful")`),
		readWatch(&w))
	t.Logf("list row: progress %v, statuses %v", w.values, w.statuses)
	if increasing(w.values) < 3 {
		t.Errorf("the row's progress grew %d times: %v", increasing(w.values), w.values)
	}
	// The indicator follows its own live topic: it may say so a moment after the row.
	run("the running indicator says none", poll(`document.querySelector("#running-indicator").dataset.running === "0"`))

	// The job's page, reached by a link (an HTMX swap, not a load).
	cd2 := s.submitLocal("countdown", map[string]any{"seconds": 12, "step": 0.25})
	link := `#job-row-` + cd2.ID + ` [data-testid=job-link]`
	run("open the job's page",
		chromedp.WaitVisible(link, chromedp.ByQuery),
		click(link),
		chromedp.WaitVisible(`[data-testid=timeline]`, chromedp.ByQuery),
		wsOpen(),
	)
	run("watch the page to the job's end",
		watchLive(`[data-testid=job-status] progress`, `[data-testid=job-status]`, "data-status"),
		poll(`window.__gjWatch.values.some(v => v >= 30)`),
		chromedp.ScrollIntoView(`h1`, chromedp.ByQuery), screenshot(shots, "job-running"),
		poll(`window.__gjWatch.statuses.includes("successful")`),
		readWatch(&w))
	t.Logf("job page: progress %v, statuses %v", w.values, w.statuses)
	if increasing(w.values) < 3 {
		t.Errorf("the page's progress grew %d times: %v", increasing(w.values), w.values)
	}
	var steps int
	run("count the timeline's steps", chromedp.Evaluate(`document.querySelectorAll("[data-testid=timeline] [data-testid=step]").length`, &steps))
	if steps < 3 {
		t.Errorf("timeline has %d steps at the end", steps)
	}
	var logText string
	run("the log", chromedp.WaitVisible(`[data-testid=log-text]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=log-text]`, &logText, chromedp.ByQuery))
	if logText == "" {
		t.Error("empty log")
	}
	console.check(t)
}

// watchLive records in the page, from now on, the distinct progress values and
// statuses shown by progressSel (its value) and statusSel (its attr), in
// window.__gjWatch. A MutationObserver looks at every change of the page, so no value
// shown is missed, however fast or slow the machine. The record is lost if the page
// is reloaded (readWatch fails then).
func watchLive(progressSel, statusSel, attr string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => {
		const w = window.__gjWatch = {values: [], statuses: []};
		const look = () => {
			const p = document.querySelector(%q), s = document.querySelector(%q);
			const v = p && p.hasAttribute("value") ? Number(p.getAttribute("value")) : null;
			if (v !== null && !Number.isNaN(v) && w.values[w.values.length-1] !== v) w.values.push(v);
			const st = s ? s.getAttribute(%q) || "" : "";
			if (st && w.statuses[w.statuses.length-1] !== st) w.statuses.push(st);
		};
		look();
		new MutationObserver(look).observe(document.documentElement, {subtree: true, childList: true, attributes: true});
		return true;
	})()`, progressSel, statusSel, attr), nil)
}

// readWatch reads what watchLive recorded.
func readWatch(w *progressWatch) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var rec struct {
			Values   []float64 `json:"values"`
			Statuses []string  `json:"statuses"`
		}
		if err := chromedp.Evaluate(`window.__gjWatch || null`, &rec).Do(ctx); err != nil {
			return err
		}
		if rec.Statuses == nil {
			return errors.New("the page was reloaded: its record of the job is gone")
		}
		w.values = w.values[:0]
		for _, v := range rec.Values {
			w.values = append(w.values, int(v))
		}
		w.statuses = rec.Statuses
		return nil
	})
}
