package webapp

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/prefs"
)

// F-13: a map whose online tiles do not load says so (it showed the offline map and
// said nothing); a map told to stay offline ("none") says nothing.
func TestBrowserMapSaysOffline(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	if err := s.app.Store.SetSetting(ctx, prefs.KeyTilesURL, "https://127.0.0.1:1/{z}/{x}/{y}.png"); err != nil {
		t.Fatal(err)
	}
	bctx, console := browser(t)
	run := steps(bctx, t)
	const aoiMap = `[data-input=aoi] gj-aoi-map`
	var note string
	run("open the form with unreachable tiles",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`[data-testid=endpoint-list]`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/endpoints/local/processes/synthetic-scene/execute"),
		chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
		// The probe tile fails (connection refused): the map says so inside its view.
		pollRes(`(() => { const n = document.querySelector("`+aoiMap+`[data-tiles=offline] .gj-map-view [data-testid=map-offline]");
			return n && n.textContent; })()`, &note),
	)
	if !strings.Contains(note, "Offline map") || !strings.Contains(note, "127.0.0.1:1") {
		t.Errorf("the map says %q", note)
	}
	if err := s.app.Store.SetSetting(ctx, prefs.KeyTilesURL, prefs.TilesNone); err != nil {
		t.Fatal(err)
	}
	var notes int
	run("open it with maps kept offline",
		chromedp.Navigate(s.base+"/endpoints/local/processes/synthetic-scene/execute"),
		chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
		// "none" decides at once, before any probe: once the map is built it is final.
		poll(`customElements.get("gj-aoi-map") !== undefined && document.querySelector("`+aoiMap+` .gj-map-view .ol-viewport") !== null`),
		chromedp.Evaluate(`document.querySelectorAll("[data-testid=map-offline], [data-tiles=offline]").length`, &notes),
	)
	if notes != 0 {
		t.Errorf("a map kept offline on purpose says it fell back (%d notes)", notes)
	}
	console.check(t)
}
