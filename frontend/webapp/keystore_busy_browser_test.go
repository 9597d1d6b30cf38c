package webapp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserKeyTestBusy (F-29): a key test says "Testing…" while it runs, and the
// HTTP key form shows only the fields of the chosen scheme. The server under test
// answers only when the test has seen the button busy.
func TestBrowserKeyTestBusy(t *testing.T) {
	s := startKeys(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer slow.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}}), http.StatusSeeOther)
	expect(t, s.post("/keystore", url.Values{"name": {"slow"}, "kind": {"http"}, "prefix": {slow.URL + "/"}, "scheme": {"bearer"}, "secret": {bearerToken}}), http.StatusSeeOther)

	ctx, console := browser(t)
	run := steps(ctx, t)
	run("open the key",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.Navigate(s.base+"/keystore/keys/slow"),
		chromedp.WaitVisible(`[data-testid=key-facts]`, chromedp.ByQuery),
		htmxIdle(),
	)
	run("test it: the button says Testing…",
		click(`[data-testid=test-key]`),
		poll(`(() => { const b = document.querySelector("[data-testid=test-key]"); return b.textContent === "Testing…" && b.disabled; })()`),
	)
	close(release)
	run("the result, the button back",
		chromedp.WaitVisible(`[data-testid=key-test-result]`, chromedp.ByQuery),
		poll(`(() => { const b = document.querySelector("[data-testid=test-key]"); return b.textContent === "Test" && !b.disabled; })()`),
	)
	var hidden []bool
	run("the HTTP key form shows the bearer's fields only",
		chromedp.Navigate(s.base+"/keystore/keys/slow/edit"),
		chromedp.WaitVisible(`[data-testid=key-form][data-kind=http]`, chromedp.ByQuery),
		chromedp.Evaluate(`[document.querySelector("#key-username").closest("[data-scheme-only]").hidden, document.querySelector("#key-header").closest("[data-scheme-only]").hidden]`, &hidden),
	)
	if len(hidden) != 2 || !hidden[0] || !hidden[1] {
		t.Errorf("username and header fields hidden for bearer: %v", hidden)
	}
	run("basic shows the username",
		chromedp.SetValue(`[data-testid=key-scheme]`, "basic", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("[data-testid=key-scheme]").dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		poll(`!document.querySelector("#key-username").closest("[data-scheme-only]").hidden`),
	)
	console.check(t)
}
