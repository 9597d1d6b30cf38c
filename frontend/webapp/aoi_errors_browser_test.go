package webapp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// F-17: a problem with an area of interest is said once, not by the map and by the
// server's check in two wordings: the page puts the server's message inside the map,
// which says it in its message line until the text changes, or says its own instead.
// The page holds one message, not two with one hidden.
func TestBrowserAOIErrorSaidOnce(t *testing.T) {
	s := start(t)
	ctx, console := browser(t)
	run := steps(ctx, t)
	messages := func(id string) string {
		return fmt.Sprintf(`Array.from(document.querySelectorAll("[data-input=%s] .field-error, [data-input=%s] .gj-map-error"))
			.filter(e => e.textContent.trim() !== "").map(e => e.textContent.trim())`, id, id)
	}
	visible := func(id string) string {
		return fmt.Sprintf(`Array.from(document.querySelectorAll("[data-input=%s] .field-error, [data-input=%s] .gj-map-error"))
			.filter(e => e.offsetParent !== null && e.textContent.trim() !== "").map(e => e.textContent.trim())`, id, id)
	}
	check := func(pid, id, value string) (said, shown []string) {
		run("check "+value+" on "+pid,
			chromedp.Navigate(s.base+"/endpoints/local/processes/"+pid+"/execute"),
			chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
			htmxIdle(),
			chromedp.SendKeys(field(id, 0, ".value-control textarea"), value, chromedp.ByQuery),
			click(`[data-testid=validate]`),
			chromedp.WaitVisible(`[data-testid=problems]`, chromedp.ByQuery),
			htmxIdle(),
			poll(fmt.Sprintf(`document.querySelector("[data-input=%s] gj-aoi-map").hasAttribute("data-invalid")`, id)),
			chromedp.Evaluate(messages(id), &said),
			chromedp.Evaluate(visible(id), &shown),
		)
		return said, shown
	}
	run("open the app", chromedp.Navigate(s.srv.LaunchURL()), chromedp.WaitVisible(`[data-testid=endpoint-list]`, chromedp.ByQuery))

	// Text the map cannot read (three numbers), and a box upside down, which the map
	// and the server's area check both refuse: the map's message, once.
	for _, value := range []string{"5.9,45.8,10.5", "5.9,47.8,10.5,45.8"} {
		said, shown := check("synthetic-scene", "aoi", value)
		if len(said) != 1 || len(shown) != 1 {
			t.Errorf("%s: the area's problem is in the page %d times (%q), shown %d times (%q)", value, len(said), said, len(shown), shown)
		}
	}

	// A polygon the map draws but the server refuses (its ring crosses itself): the
	// server's message, said by the map until the text changes.
	bowtie := `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`
	said, shown := check("echo", "geometryInput", bowtie)
	if len(said) != 1 || len(shown) != 1 || !strings.Contains(shown[0], "crosses itself") {
		t.Errorf("bowtie: in the page %q, shown %q; want the server's message once", said, shown)
	}
	run("change the text",
		chromedp.SendKeys(field("geometryInput", 0, ".value-control textarea"), " ", chromedp.ByQuery),
		poll(`!document.querySelector("[data-input=geometryInput] gj-aoi-map").hasAttribute("data-invalid")`),
		chromedp.Evaluate(visible("geometryInput"), &shown),
	)
	if len(shown) != 0 {
		t.Errorf("after the text changed: %q still shown", shown)
	}
	console.check(t)
}
