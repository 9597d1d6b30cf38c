package webapp

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserAssetTableZoom200 (F-31): at 200 % zoom (1366 px shown as 683 CSS px) the
// asset table of the results page loses nothing: every asset's Copy and Open buttons
// are inside their card (not cut off), and the page does not scroll sideways.
func TestBrowserAssetTableZoom200(t *testing.T) {
	s := start(t)
	jobID := runScene(t, s)
	ctx, console := browser(t)
	run := steps(ctx, t)
	run("open the results at 200 %",
		emulation.SetDeviceMetricsOverride(683, 450, 2, false),
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`main`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/jobs/"+jobID+"/results"),
		chromedp.WaitVisible(`[data-testid=assets]`, chromedp.ByQuery),
		htmxIdle(),
		poll(`!document.querySelector(":not(:defined)")`), // the map's module loads after the page
	)
	var clipped []string
	run("measure", chromedp.Evaluate(`(() => {
		const out = [];
		if (document.documentElement.scrollWidth > innerWidth + 1) out.push("the page scrolls sideways: " + document.documentElement.scrollWidth);
		document.querySelectorAll("[data-testid=asset]").forEach(row => {
			const card = row.closest(".card").getBoundingClientRect();
			row.querySelectorAll(".href-row button, .href-row a").forEach(b => {
				const r = b.getBoundingClientRect();
				if (r.right > card.right + 0.5 || r.left < card.left - 0.5 || r.right > innerWidth) out.push(row.dataset.asset + " " + b.textContent + " at " + Math.round(r.left) + ".." + Math.round(r.right) + " outside " + Math.round(card.left) + ".." + Math.round(card.right));
			});
		});
		return out; })()`, &clipped))
	for _, c := range clipped {
		t.Error(c)
	}
	console.check(t)
}
