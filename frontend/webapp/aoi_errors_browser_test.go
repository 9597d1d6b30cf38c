package webapp

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// F-17: a malformed area of interest is explained once, not by the map and by the
// server's check in two wordings.
func TestBrowserAOIErrorSaidOnce(t *testing.T) {
	s := start(t)
	ctx, console := browser(t)
	run := steps(ctx, t)
	aoi := field("aoi", 0, ".value-control textarea")
	run("open the form",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`[data-testid=endpoint-list]`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/endpoints/local/processes/synthetic-scene/execute"),
		chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
		htmxIdle(),
	)
	var shown []string
	visible := `Array.from(document.querySelectorAll("[data-input=aoi] .field-error, [data-input=aoi] .gj-map-error"))
		.filter(e => e.offsetParent !== null && e.textContent.trim() !== "").map(e => e.textContent.trim())`
	run("type three numbers and check",
		chromedp.SendKeys(aoi, "5.9,45.8,10.5", chromedp.ByQuery),
		chromedp.Click(`[data-testid=validate]`, chromedp.ByQuery),
		// The server's check answers with its own message (kept in the page for
		// screen readers' summary links), the map with the live one.
		chromedp.WaitReady(`[data-input=aoi] [data-testid=field-error]`, chromedp.ByQuery),
		htmxIdle(),
		chromedp.Poll(`document.querySelector("[data-input=aoi] gj-aoi-map").hasAttribute("data-invalid")`, nil),
		chromedp.Evaluate(visible, &shown),
	)
	if len(shown) != 1 {
		t.Errorf("the area's problem is said %d times: %q", len(shown), shown)
	}
	console.check(t)
}
