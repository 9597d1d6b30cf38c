package webapp

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// seedJobs stores n finished jobs, one a minute back from now, named p000… by age.
func (s *stack) seedJobs(n int) []store.Job {
	s.t.Helper()
	ctx := context.Background()
	out := make([]store.Job, 0, n)
	for i := range n {
		j, err := s.app.Store.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: fmt.Sprintf("p%03d", i),
			Status: ogcapi.StatusSuccessful, RemoteID: "r" + strconv.Itoa(i), At: time.Now().Add(-time.Duration(i+1) * time.Minute),
			Request: []byte(`{"inputs":{"n":` + strconv.Itoa(i) + `}}`)})
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, j)
	}
	return out
}

// dialogs answers the page's confirm and alert dialogs (accepting them when accept
// says so) and records their messages.
type dialogs struct {
	mu     sync.Mutex
	msgs   []string
	accept bool
	seen   chan string
}

func watchDialogs(ctx context.Context) *dialogs {
	d := &dialogs{seen: make(chan string, 8)}
	chromedp.ListenTarget(ctx, func(ev any) {
		e, ok := ev.(*page.EventJavascriptDialogOpening)
		if !ok {
			return
		}
		d.mu.Lock()
		d.msgs = append(d.msgs, e.Message)
		accept := d.accept
		d.mu.Unlock()
		go func() {
			c := chromedp.FromContext(ctx)
			_ = page.HandleJavaScriptDialog(accept).Do(cdp.WithExecutor(ctx, c.Target))
			d.seen <- e.Message
		}()
	})
	return d
}

// TestBrowserJobListPaging: with 500 jobs, "Load more" appends each page until the end
// of the list, every job once (F-19); the select-all box ticks every row shown, and a
// bulk action's confirmation names the action and the number of jobs (F-21).
func TestBrowserJobListPaging(t *testing.T) {
	s := start(t)
	jobs := s.seedJobs(500)
	ctx, console := browser(t)
	run := steps(ctx, t)
	dl := watchDialogs(ctx)
	count := `document.querySelectorAll("#job-rows tr[data-job]").length`
	run("open the job list",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`nav`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/jobs"),
		chromedp.WaitVisible(`[data-testid=job-list]`, chromedp.ByQuery),
	)
	var rows int
	for page := 1; ; page++ {
		run("count the rows", chromedp.Evaluate(count, &rows))
		if rows != min(page*50, 500) {
			t.Fatalf("page %d: %d rows shown, want %d", page, rows, min(page*50, 500))
		}
		var more bool
		run("look for Load more", htmxIdle(), chromedp.Evaluate(`!!document.querySelector("[data-testid=load-more]")`, &more))
		if !more {
			break
		}
		run("load more",
			chromedp.ScrollIntoView(`[data-testid=load-more]`, chromedp.ByQuery),
			click(`[data-testid=load-more]`),
			poll(count+` > `+strconv.Itoa(rows)),
		)
	}
	if rows != 500 {
		t.Fatalf("%d rows after loading every page, want 500", rows)
	}
	var distinct int
	run("distinct rows", chromedp.Evaluate(`new Set(Array.from(document.querySelectorAll("#job-rows tr[data-job]"), r => r.dataset.job)).size`, &distinct),
		chromedp.WaitVisible(`[data-testid=end-of-list]`, chromedp.ByQuery))
	if distinct != 500 {
		t.Errorf("%d distinct jobs shown", distinct)
	}
	oldest := `#job-row-` + jobs[499].ID
	run("the oldest job is there", chromedp.WaitVisible(oldest, chromedp.ByQuery))

	var checked int
	run("select all",
		chromedp.ScrollIntoView(`[data-testid=select-all]`, chromedp.ByQuery),
		click(`[data-testid=select-all]`),
		chromedp.Evaluate(`document.querySelectorAll("#job-rows input[name=id]:checked").length`, &checked))
	if checked != 500 {
		t.Errorf("select-all ticked %d of 500 rows", checked)
	}
	run("untick one",
		click(`#job-rows tr:first-child input[name=id]`),
		poll(`document.querySelector("[data-testid=select-all]").indeterminate`))
	run("ask to remove them", click(`[data-testid=bulk-remove]`))
	select {
	case msg := <-dl.seen:
		if !strings.HasPrefix(msg, "Remove 499 jobs from this list?") {
			t.Errorf("confirmation %q", msg)
		}
	case <-ctx.Done():
		t.Fatal("no confirmation")
	}
	// Cancelled: nothing removed.
	if p, _ := s.app.Store.ListJobs(context.Background(), store.Filter{Limit: 500}); len(p.Jobs) != 500 {
		t.Errorf("%d jobs left after a cancelled removal", len(p.Jobs))
	}
	console.check(t)
}
