package webapp

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focused describes document.activeElement for the keyboard test.
type focused struct {
	Desc      string  `json:"desc"`
	Visible   bool    `json:"visible"`
	FocusRing bool    `json:"focusRing"` // :focus-visible with a drawn outline
	OutlineW  float64 `json:"outlineW"`
	TestID    string  `json:"testid"`
	Href      string  `json:"href"`
	InMain    bool    `json:"inMain"`
}

const activeJS = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {desc: "body"};
  const cs = getComputedStyle(el), r = el.getBoundingClientRect();
  return {
    desc: el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + (el.textContent || el.value || "").trim().slice(0, 30),
    visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    focusRing: el.matches(":focus-visible") && cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2,
    outlineW: parseFloat(cs.outlineWidth) || 0,
    testid: el.getAttribute("data-testid") || "",
    href: el.getAttribute("href") || "",
    inMain: !!el.closest("main"),
  };
})()`

// TestBrowserKeyboardOnly walks the app with the keyboard alone: Tab from the top of
// a page reaches the skip link, then the Settings link in the navigation, each with a
// visible focus ring; Enter follows it; "g" then a section key moves between sections;
// on the Settings page Tab reaches the Save button, and Enter saves.
func TestBrowserKeyboardOnly(t *testing.T) {
	s := start(t)
	ctx, console := browser(t)
	run := steps(ctx, t)
	var f focused
	// tabTo presses Tab until the focused element satisfies ok, checking on the way
	// that every focused element is visible and shows the focus ring.
	tabTo := func(what string, max int, ok func(focused) bool) {
		t.Helper()
		var path []string
		for range max {
			run("Tab towards "+what, chromedp.KeyEvent(kb.Tab), chromedp.Evaluate(activeJS, &f))
			path = append(path, f.Desc)
			if f.Desc != "body" && (!f.Visible || !f.FocusRing) {
				t.Errorf("focus on %q is not visible (on screen %v, ring %v, outline %.1fpx)", f.Desc, f.Visible, f.FocusRing, f.OutlineW)
			}
			if ok(f) {
				return
			}
		}
		t.Fatalf("%d Tabs did not reach %s; focus went %q", max, what, path)
	}

	run("open the app",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.Navigate(s.base+"/endpoints"),
		chromedp.WaitVisible(`main[data-section=endpoints]`, chromedp.ByQuery),
	)
	tabTo("the skip link", 1, func(f focused) bool { return f.Href == "#main" })
	tabTo("the Settings link", 12, func(f focused) bool { return f.Href == "/settings" && !f.InMain })
	run("Enter follows the link",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`main[data-section=settings] [data-testid=prefs-form]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav a[href="/settings"][aria-current=page]`, chromedp.ByQuery),
	)

	run("g then e: the endpoints",
		chromedp.Evaluate(`document.activeElement && document.activeElement.blur()`, nil),
		chromedp.KeyEvent("g"), chromedp.KeyEvent("e"),
		chromedp.WaitVisible(`main[data-section=endpoints]`, chromedp.ByQuery),
	)
	run("g then s: Settings",
		chromedp.KeyEvent("g"), chromedp.KeyEvent("s"),
		chromedp.WaitVisible(`main[data-section=settings] [data-testid=save-prefs]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav a[href="/settings"][aria-current=page]`, chromedp.ByQuery),
		chromedp.Evaluate(activeJS, &f),
	)
	if !strings.HasPrefix(f.Desc, "main#main ") {
		t.Errorf("after the swap the focus is on %q, want the main region", f.Desc)
	}
	tabTo("the Save button", 10, func(f focused) bool { return f.TestID == "save-prefs" })
	run("Enter saves",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`[data-testid=saved]`, chromedp.ByQuery),
	)

	// Every section: the first Tabs from the top of the page all show where the focus is.
	for _, sec := range []string{"endpoints", "processes", "jobs", "keystore", "settings"} {
		run("open "+sec,
			chromedp.Navigate(s.base+"/"+sec),
			chromedp.WaitVisible(`main[data-section=`+sec+`]`, chromedp.ByQuery),
		)
		seen := map[string]bool{}
		tabTo("the end of "+sec, 40, func(f focused) bool {
			if seen[f.Desc] { // wrapped around
				return true
			}
			seen[f.Desc] = true
			return false
		})
	}
	console.check(t)
}
