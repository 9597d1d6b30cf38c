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

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// chromium is Debian's browser, which CI installs; elsewhere chromedp looks it up.
const chromium = "/usr/bin/chromium"

// browser starts a headless Chromium with a fresh profile and no background traffic.
func browser(t *testing.T) (context.Context, *consoleLog) {
	t.Helper()
	// Not t.TempDir: Chromium's helper processes may still write to the profile for a
	// moment after the browser exits, which fails TempDir's cleanup.
	profile, err := os.MkdirTemp("", "geojobs-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1366, 900),
		// chromedp waits 20 s for Chromium's DevTools address by default: a busy machine
		// can take longer to start it (TestBrowserOIDCSignIn failed so under stress-ng).
		chromedp.WSURLReadTimeout(waitfor.Guard),
	}
	if _, err := os.Stat(chromium); err == nil {
		opts = append(opts, chromedp.ExecPath(chromium))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, waitfor.Guard) // a guard only: a test under load may take minutes
	t.Cleanup(func() {
		cancelT()
		cancelC()
		cancelA()
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	cl := &consoleLog{}
	chromedp.ListenTarget(ctx, cl.listen)
	ctx = context.WithValue(ctx, consoleKey{}, cl)
	if err := chromedp.Run(ctx, log.Enable(), runtime.Enable(), network.Enable()); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx, cl
}

// consoleKey is the context key of a browser's *consoleLog.
type consoleKey struct{}

// steps returns a runner of named browser steps: each has waitfor.Guard, and a failed
// one stops the test naming the step, with a report of what the page and the process
// were doing (stepReport).
func steps(ctx context.Context, t *testing.T) func(step string, actions ...chromedp.Action) {
	began := time.Now()
	return func(step string, actions ...chromedp.Action) {
		t.Helper()
		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, waitfor.Guard)
		defer cancel()
		if err := chromedp.Run(sctx, actions...); err != nil {
			why := ""
			switch {
			case ctx.Err() != nil:
				why = "; the test's browser guard ran out"
			case sctx.Err() != nil:
				why = "; the step's guard ran out"
			}
			cl, _ := ctx.Value(consoleKey{}).(*consoleLog)
			t.Fatalf("%s: %v\n(the step ran %s, starting %s into the test's steps%s)\n%s", step, err,
				time.Since(start).Round(time.Millisecond), start.Sub(began).Round(time.Millisecond), why, stepReport(ctx, cl))
		}
	}
}

// poll is chromedp.Poll (every 20 ms unless opts say otherwise) bounded by the step's
// guard only: chromedp's own default, 30 s, is a limit a busy machine reaches.
func poll(js string, opts ...chromedp.PollOption) chromedp.Action {
	return pollRes(js, nil, opts...)
}

// pollRes is poll, and sets res to the expression's truthy value.
func pollRes(js string, res any, opts ...chromedp.PollOption) chromedp.Action {
	opts = append([]chromedp.PollOption{chromedp.WithPollingInterval(20 * time.Millisecond)}, opts...)
	return chromedp.Poll(js, res, append(opts, chromedp.WithPollingTimeout(0))...)
}

// htmxIdle waits until HTMX has no request in flight and has settled every swap. A
// swapped-in element is visible before HTMX has processed it (it does so when the swap
// settles), so a test that clicks it at once may click a button that does nothing yet —
// unlike a person, who is never that quick.
func htmxIdle() chromedp.Action {
	return poll(`window.htmx !== undefined && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`)
}

// click clicks sel with the mouse once the page is still (see still), at the middle of
// the element's first box as read by the look that found it still. chromedp.Click reads
// where a DOM node is, then presses and releases the mouse there; a swap landing in
// between (HTMX answering an earlier change, a page part or a map loading) moves the
// element, and the click hits whatever took its place, so the test waits for an
// outcome that never comes: TestBrowserS3Results hung so in CI (the folder check's
// answer moved Download all 31 px). And it clicks a point, not a node: a live update
// that replaces the element with its like between the look and the press (a job's row,
// every quarter second) is clicked all the same, where chromedp.Click failed with
// "Could not find node with given id".
func click(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var at []float64
		if err := stillAt(sel, &at).Do(ctx); err != nil {
			return err
		}
		if len(at) != 2 {
			return fmt.Errorf("click %s: the page gave %v as where to click", sel, at)
		}
		return chromedp.MouseClickXY(at[0], at[1]).Do(ctx)
	})
}

// still waits until HTMX is idle, every custom element of the page is defined (the
// maps' modules load after the page, and a map taking its size moves what is below
// it), and sel's box is in view and has not moved for 50 ms, with nothing over its
// middle.
func still(sel string) chromedp.Action { return stillAt(sel, nil) }

// stillAt is still, and sets at to the point to click: the middle of sel's first box
// (an inline link that wraps has two), in CSS pixels of the view. Why it waits is in
// window.__gjStillWhy (a failed step's report shows it).
func stillAt(sel string, at *[]float64) chromedp.Action {
	var res any
	if at != nil {
		res = at
	}
	return pollRes(fmt.Sprintf(`(() => {
		const why = w => { window.__gjStillWhy = %q + ": " + w; window.__gjBox = ""; return false; };
		const el = document.querySelector(%q);
		if (window.htmx === undefined) return why("HTMX not loaded");
		if (!el) return why("not in the page");
		const busy = document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added, :not(:defined)");
		if (busy) return why("waiting for " + busy.tagName.toLowerCase() + (busy.id ? "#" + busy.id : "") + " (HTMX busy or not defined)");
		const r = el.getClientRects()[0];
		if (!r || r.width === 0 || r.height === 0) return why("no box (hidden)");
		const x = r.left + r.width / 2, y = r.top + r.height / 2;
		if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) {
			el.scrollIntoView({block: "center", inline: "center"});
			return why("scrolled into view");
		}
		const box = [%q, r.left, r.top, r.width, r.height].join();
		if (window.__gjBox !== box) { window.__gjBox = box; window.__gjStillWhy = %q + ": moving"; return false; }
		const hit = document.elementFromPoint(x, y);
		if (!hit || !(hit === el || el.contains(hit))) {
			el.scrollIntoView({block: "center", inline: "center"}); // from under a sticky bar
			return why("covered by " + (hit ? hit.tagName.toLowerCase() + (hit.id ? "#" + hit.id : "") : "nothing"));
		}
		window.__gjStillWhy = "";
		return [x, y];
	})()`, sel, sel, sel, sel), res, chromedp.WithPollingInterval(50*time.Millisecond))
}

// wsOpen waits until every WebSocket of the page (each ws-connect element) is open.
func wsOpen() chromedp.Action {
	return poll(`(() => { const els = document.querySelectorAll("[ws-connect]");
		return els.length > 0 && Array.from(els).every(el => { const d = el["htmx-internal-data"];
			return d && d.webSocket && d.webSocket.socket && d.webSocket.socket.readyState === WebSocket.OPEN; }); })()`)
}

// screenshotDir is where the pages' screenshots go: $GEOJOBS_SCREENSHOTS (the docs
// are made with GEOJOBS_SCREENSHOTS=docs/screenshots), else a temporary folder.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("GEOJOBS_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func screenshot(dir, name string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var png []byte
		if err := chromedp.FullScreenshot(&png, 100).Do(ctx); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// field selects the value control of input id, row n, in the execution form.
func field(id string, n int, sel string) string {
	return fmt.Sprintf(`[data-testid=input][data-input=%s] [data-row="%d"] %s`, id, n, sel)
}

// dragBox draws a box on the map of input id with the mouse, from 35 % to 65 % of the view.
func dragBox(id string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		mapSel := fmt.Sprintf(`[data-input=%s] gj-aoi-map`, id)
		if err := click(mapSel + ` button[data-tool=box]`).Do(ctx); err != nil {
			return err
		}
		var nodes []*cdp.Node
		if err := chromedp.Nodes(mapSel+` .gj-map-view`, &nodes, chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		var box []float64
		if err := chromedp.Evaluate(fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`,
			mapSel+` .gj-map-view`), &box).Do(ctx); err != nil {
			return err
		}
		x0, y0 := box[0]+box[2]*0.35, box[1]+box[3]*0.35
		x1, y1 := box[0]+box[2]*0.65, box[1]+box[3]*0.65
		steps := []*input.DispatchMouseEventParams{
			input.DispatchMouseEvent(input.MouseMoved, x0, y0),
			input.DispatchMouseEvent(input.MousePressed, x0, y0).WithButton(input.Left).WithButtons(1).WithClickCount(1),
		}
		for i := 1; i <= 10; i++ {
			f := float64(i) / 10
			steps = append(steps, input.DispatchMouseEvent(input.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f).WithButton(input.Left).WithButtons(1))
		}
		steps = append(steps, input.DispatchMouseEvent(input.MouseReleased, x1, y1).WithButton(input.Left).WithButtons(0).WithClickCount(1))
		for _, s := range steps {
			if err := s.Do(ctx); err != nil {
				return err
			}
			time.Sleep(30 * time.Millisecond)
		}
		return nil
	})
}

// TestBrowserExecuteEcho drives the real UI in Chromium: open the launch URL, test and
// pick the built-in endpoint, open echo, fill every input (drawing the bounding box on
// the map), submit, and see the job succeed. It takes the screenshots of the docs.
func TestBrowserExecuteEcho(t *testing.T) {
	s := start(t)
	ctx, console := browser(t)
	shots := screenshotDir(t)
	png := filepath.Join(t.TempDir(), "pixel.png")
	if err := os.WriteFile(png, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := steps(ctx, t)
	local := `[data-testid=endpoint][data-endpoint=local]`
	run("open the launch URL",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(local, chromedp.ByQuery),
	)
	run("test the built-in endpoint",
		click(local+` [data-testid=test-endpoint]`),
		chromedp.WaitVisible(`#test-local [data-testid=report][data-ok=true]`, chromedp.ByQuery),
		screenshot(shots, "endpoints"),
	)
	run("pick the built-in endpoint",
		click(local+` [data-testid=open-processes]`),
		chromedp.WaitVisible(`[data-testid=process][data-process=echo]`, chromedp.ByQuery),
		screenshot(shots, "processes"),
	)
	var url string
	run("open echo",
		click(`[data-testid=process][data-process=echo] [data-testid=process-link]`),
		chromedp.WaitVisible(`[data-testid=inputs]`, chromedp.ByQuery),
		chromedp.Location(&url),
		screenshot(shots, "process"),
	)
	if !strings.HasSuffix(url, "/endpoints/local/processes/echo") {
		t.Errorf("process page URL %s", url)
	}
	var current string
	run("read the navigation", chromedp.Text(`nav[aria-label=Main] a[aria-current=page]`, &current, chromedp.ByQuery))
	if current != "Processes" {
		t.Errorf("navigation marks %q on a process page", current)
	}
	run("open the execution form",
		click(`[data-testid=execute]`),
		chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
		// A second value for multiStringInput: the form is re-rendered with two rows.
		click(`[data-input=multiStringInput] [data-testid=add-row]`),
		chromedp.WaitVisible(field("multiStringInput", 1, "input[type=text]"), chromedp.ByQuery),
	)
	var hasMap bool
	// The map's module loads after the page (app.js): its element is defined then.
	run("is the map component there", poll(`!document.querySelector("gj-aoi-map:not(:defined)")`),
		chromedp.Evaluate(`!!customElements.get("gj-aoi-map")`, &hasMap))
	t.Logf("map component present: %v", hasMap)
	run("fill every input",
		chromedp.SendKeys(field("stringInput", 0, ".value-control input"), "hello from Chromium", chromedp.ByQuery),
		chromedp.SetValue(field("enumInput", 0, "select"), "Value3", chromedp.ByQuery),
		chromedp.SendKeys(field("numberInput", 0, "input"), "3.25", chromedp.ByQuery),
		chromedp.SendKeys(field("integerInput", 0, "input"), "42", chromedp.ByQuery),
		chromedp.SetValue(field("booleanInput", 0, "select"), "true", chromedp.ByQuery),
		chromedp.SetValue(field("dateTimeInput", 0, "input"), "2024-05-01T12:30:15", chromedp.ByQuery),
		chromedp.SendKeys(field("arrayInput", 0, ".value-control input"), "1, 2, 3", chromedp.ByQuery),
		chromedp.SendKeys(field("multiStringInput", 0, ".value-control input"), "first", chromedp.ByQuery),
		chromedp.SendKeys(field("multiStringInput", 1, ".value-control input"), "second", chromedp.ByQuery),
		chromedp.SendKeys(`[data-input=objectInput] .object-fields input[type=text]`, "probe", chromedp.ByQuery),
		chromedp.SendKeys(`[data-input=objectInput] .object-fields input[inputmode=decimal]`, "2.5", chromedp.ByQuery),
		chromedp.SendKeys(field("geometryInput", 0, ".value-control textarea"), `{"type":"Point","coordinates":[7.44,46.95]}`, chromedp.ByQuery),
		chromedp.SetUploadFiles(field("binaryInput", 0, "input[type=file]"), []string{png}, chromedp.ByQuery),
		// F-17: the file's name is said beside the button, the native control is hidden.
		poll(`document.querySelector("[data-input=binaryInput] [data-b64-status]").textContent.startsWith("pixel.png · ")`),
		chromedp.SendKeys(field("hrefInput", 0, ".value-control input"), "https://example.com/data.tif", chromedp.ByQuery),
	)
	bbox := field("boundingBoxInput", 0, ".value-control textarea")
	if hasMap {
		run("draw the bounding box on the map",
			chromedp.ScrollIntoView(`[data-input=boundingBoxInput] gj-aoi-map`, chromedp.ByQuery),
			dragBox("boundingBoxInput"),
		)
	} else {
		run("type the bounding box", chromedp.SendKeys(bbox, "5.9,45.8,10.5,47.8", chromedp.ByQuery))
	}
	var drawn string
	run("read the bounding box", chromedp.Value(bbox, &drawn, chromedp.ByQuery))
	var bb struct {
		BBox []float64 `json:"bbox"`
	}
	if err := json.Unmarshal([]byte(drawn), &bb); err != nil && !strings.Contains(drawn, ",") || hasMap && len(bb.BBox) != 4 {
		t.Fatalf("bounding box field after drawing: %q", drawn)
	}
	run("screenshot the form", chromedp.ScrollIntoView(`h1`, chromedp.ByQuery), screenshot(shots, "execute-form"))

	// Submitted from the bottom of the long form, the job page shows from its top.
	var scrolled, top float64
	run("submit",
		chromedp.Evaluate(`window.scrollTo(0, document.documentElement.scrollHeight); window.scrollY`, &scrolled),
		click(`[data-testid=submit]`),
		chromedp.WaitVisible(`[data-testid=job-status]`, chromedp.ByQuery),
		htmxIdle(), // HTMX scrolls when the swap settles
		chromedp.Evaluate(`window.scrollY`, &top),
	)
	if scrolled == 0 || top != 0 {
		t.Errorf("the job page opened scrolled to %v (the form was at %v)", top, scrolled)
	}
	// The page follows the job live to its end.
	var status, problems string
	run("wait for the job's end",
		chromedp.WaitVisible(`[data-testid=job-status][data-status=successful], [data-testid=job-status][data-status=failed], [data-testid=job-status][data-status=dismissed]`, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid=job-status]`, "data-status", &status, nil, chromedp.ByQuery),
		chromedp.Text(`main`, &problems, chromedp.ByQuery),
	)
	if status != "successful" {
		t.Fatalf("job status %q\n%s", status, problems)
	}
	run("screenshot the job", screenshot(shots, "job"))

	// The job's request holds every input the form built.
	jobs, err := s.app.Store.ListJobs(context.Background(), storeFilter())
	if err != nil || len(jobs.Jobs) != 1 {
		t.Fatalf("%d jobs stored, %v", len(jobs.Jobs), err)
	}
	j, _ := s.app.Store.Job(context.Background(), jobs.Jobs[0].ID)
	var req struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(j.Request, &req); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"stringInput", "enumInput", "numberInput", "integerInput", "booleanInput", "dateTimeInput",
		"arrayInput", "multiStringInput", "objectInput", "boundingBoxInput", "geometryInput", "binaryInput", "hrefInput"} {
		if _, ok := req.Inputs[id]; !ok {
			t.Errorf("the submitted request lacks %s", id)
		}
	}
	if got := string(req.Inputs["multiStringInput"]); got != `["first","second"]` {
		t.Errorf("multiStringInput %s", got)
	}
	if got := string(req.Inputs["dateTimeInput"]); got != `"2024-05-01T12:30:15Z"` {
		t.Errorf("dateTimeInput %s", got)
	}
	if len(j.AOI) == 0 {
		t.Error("the job has no area of interest")
	}
	console.check(t)
}

func storeFilter() store.Filter { return store.Filter{} }
