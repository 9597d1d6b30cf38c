package webapp

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// inView is JavaScript true when the element sel is within the viewport, below the
// sticky header, and focused (or holds the focus).
func inViewFocused(sel string) string {
	return `(() => { const e = document.querySelector(` + "`" + sel + "`" + `); if (!e) return false;
		const r = e.getBoundingClientRect(); const top = document.querySelector("header") ? document.querySelector("header").getBoundingClientRect().bottom : 0;
		return r.top >= top - 1 && r.top < innerHeight && (e === document.activeElement || e.contains(document.activeElement)); })()`
}

// TestBrowserFeedbackInView (issue 14 §3, F-16): at 1366×900, what an action of the
// execution form answers is in view and focused: the problems after the sticky Submit
// pressed far down the form, the new field after "+ Add a value", the export dialog,
// and the "valid" notice after Check.
func TestBrowserFeedbackInView(t *testing.T) {
	s := start(t)
	ctx, console := browser(t)
	run := steps(ctx, t)
	run("open echo's form",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`nav`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/endpoints/local/processes/echo/execute"),
		chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
		htmxIdle(),
	)
	// "+ Add a value" far down the form: the new field is in view and focused.
	run("add a value",
		chromedp.ScrollIntoView(`[data-input=multiStringInput] [data-testid=add-row]`, chromedp.ByQuery),
		click(`[data-input=multiStringInput] [data-testid=add-row]`),
		poll(`document.querySelectorAll("[data-input=multiStringInput] [data-testid=row]").length === 2`),
		htmxIdle(),
	)
	run("add: in view", poll(inViewFocused(`[data-input=multiStringInput] [data-row="1"] input`)))
	// A wrong value, then the sticky Submit pressed while scrolled to the bottom.
	run("an invalid integer, submit from the bottom",
		chromedp.SetValue(`[data-input=integerInput] input`, "5000", chromedp.ByQuery),
		chromedp.Evaluate(`window.scrollTo(0, document.body.scrollHeight)`, nil),
		click(`[data-testid=submit]`),
		poll(`!!document.querySelector("[data-testid=problems]")`),
		htmxIdle(),
		poll(inViewFocused(`[data-testid=problems]`)),
	)
	run("fix it, then Check from the bottom",
		chromedp.SetValue(`[data-input=integerInput] input`, "5", chromedp.ByQuery),
		chromedp.Evaluate(`window.scrollTo(0, document.body.scrollHeight)`, nil),
		click(`[data-testid=validate]`),
		poll(`!!document.querySelector("[data-testid=notice]")`),
		htmxIdle(),
		poll(inViewFocused(`[data-testid=notice]`)),
	)
	run("export from the bottom",
		chromedp.Evaluate(`window.scrollTo(0, document.body.scrollHeight)`, nil),
		click(`[data-testid=export]`),
		poll(`!!document.querySelector("#export-dialog:modal")`),
		htmxIdle(),
		poll(`(() => { const d = document.querySelector("#export-dialog"); const r = d.getBoundingClientRect();
			return r.top >= 0 && r.top < innerHeight && d.contains(document.activeElement); })()`),
		click(`[data-testid=export-close]`),
		poll(`!document.querySelector("#export-dialog").open`),
	)
	console.check(t)
}
