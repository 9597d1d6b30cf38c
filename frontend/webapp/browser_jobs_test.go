package webapp

import (
	"context"
	"strconv"
	"testing"
	"time"

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
	var shot bool
	w := s.watchLiveShot(t, ctx, row+` progress`, row, "data-status", 40*time.Second, func(v []int) {
		if !shot && len(v) >= 2 {
			shot = true
			run("screenshot the list", screenshot(shots, "jobs"))
		}
	})
	t.Logf("list row: progress %v, statuses %v", w.values, w.statuses)
	if increasing(w.values) < 3 {
		t.Errorf("the row's progress grew %d times: %v", increasing(w.values), w.values)
	}
	var indicator string
	run("read the running indicator", chromedp.AttributeValue(`#running-indicator`, "data-running", &indicator, nil, chromedp.ByQuery))
	if indicator != "0" {
		t.Errorf("running indicator %q after the job ended", indicator)
	}

	// The job's page, reached by a link (an HTMX swap, not a load).
	cd2 := s.submitLocal("countdown", map[string]any{"seconds": 12, "step": 0.25})
	link := `#job-row-` + cd2.ID + ` [data-testid=job-link]`
	run("open the job's page",
		chromedp.WaitVisible(link, chromedp.ByQuery),
		chromedp.Click(link, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=timeline]`, chromedp.ByQuery),
		wsOpen(),
	)
	shot = false
	w = s.watchLiveShot(t, ctx, `[data-testid=job-status] progress`, `[data-testid=job-status]`, "data-status", 40*time.Second, func(v []int) {
		if !shot && len(v) >= 2 && v[len(v)-1] >= 30 {
			shot = true
			run("screenshot the running job", chromedp.ScrollIntoView(`h1`, chromedp.ByQuery), screenshot(shots, "job-running"))
		}
	})
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

// watchLiveShot is watchLive with a callback after each new progress value.
func (s *stack) watchLiveShot(t *testing.T, ctx context.Context, progressSel, statusSel, attr string, limit time.Duration, each func([]int)) progressWatch {
	t.Helper()
	var w progressWatch
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		step := s.watchOnce(t, ctx, progressSel, statusSel, attr)
		if n, err := strconv.Atoi(step.progress); err == nil && (len(w.values) == 0 || w.values[len(w.values)-1] != n) {
			w.values = append(w.values, n)
			each(w.values)
		}
		if step.status != "" && (len(w.statuses) == 0 || w.statuses[len(w.statuses)-1] != step.status) {
			w.statuses = append(w.statuses, step.status)
		}
		if step.status == "successful" {
			return w
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("not successful after %s: progress %v, statuses %v", limit, w.values, w.statuses)
	return w
}

type sample struct{ progress, status string }

func (s *stack) watchOnce(t *testing.T, ctx context.Context, progressSel, statusSel, attr string) sample {
	t.Helper()
	var res struct {
		Progress string `json:"progress"`
		Status   string `json:"status"`
		Marker   bool   `json:"marker"`
	}
	js := `(() => { const p = document.querySelector(` + strconv.Quote(progressSel) + `);
		const s = document.querySelector(` + strconv.Quote(statusSel) + `);
		return { progress: p && p.hasAttribute("value") ? p.getAttribute("value") : "",
			status: s ? s.getAttribute(` + strconv.Quote(attr) + `) || "" : "", marker: window.__gjNoReload === true }; })()`
	if err := chromedp.Run(ctx, chromedp.Evaluate(js, &res)); err != nil {
		t.Fatalf("reading the page: %v", err)
	}
	if !res.Marker {
		t.Fatal("the page was reloaded")
	}
	return sample{res.Progress, res.Status}
}
