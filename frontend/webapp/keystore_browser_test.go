package webapp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/keystore"
)

// TestBrowserKeystore drives the Keystore page in Chromium: create the keystore with a
// passphrase, add an S3 key, see it masked, test it, edit it without revealing the
// secret (which survives), then pick an object with the execution form's bucket
// picker and check the presigned URL works without credentials. It takes the
// keystore screenshot of the docs.
func TestBrowserKeystore(t *testing.T) {
	s := startKeys(t)
	s3, be := s3Server(t, inputsBucket)
	putObject(t, be, inputsBucket, "scenes/S2B_T31UFQ.tif", "a scene from the bucket")
	ctx, console := browser(t)
	shots := screenshotDir(t)
	run := steps(ctx, t)
	run("create the keystore with a passphrase", s.createKeystore())
	run("add an S3 key", addS3Key("scenes", "Sentinel-2 scenes", s3.URL, inputsBucket))
	run("test the key",
		click(`[data-testid=test-key]`),
		chromedp.WaitVisible(`[data-testid=key-test-result][data-ok=true]`, chromedp.ByQuery),
	)
	var mask, html string
	run("see it masked in the list",
		chromedp.Navigate(s.base+"/keystore"),
		chromedp.WaitVisible(`[data-testid=key][data-key=scenes]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=key][data-key=scenes] [data-testid=secret-mask]`, &mask, chromedp.ByQuery),
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
		screenshot(shots, "keystore"),
	)
	if mask != keystore.Mask || strings.Contains(html, s3Secret) {
		t.Errorf("list shows %q (secret in the page: %v)", mask, strings.Contains(html, s3Secret))
	}
	var secretVisible bool
	var secretValue string
	run("edit it without revealing the secret",
		click(`[data-testid=key][data-key=scenes] [data-testid=edit-key]`),
		chromedp.WaitVisible(`[data-testid=replace]`, chromedp.ByQuery),
		chromedp.Evaluate(`(() => { const e = document.querySelector("#key-secret"); return e.checkVisibility(); })()`, &secretVisible),
		click(`[data-testid=replace]`),
		chromedp.WaitVisible(`#key-secret`, chromedp.ByQuery),
		chromedp.Value(`#key-secret`, &secretValue, chromedp.ByQuery),
		chromedp.SetValue(`#key-description`, "Sentinel-2 scenes, edited", chromedp.ByQuery),
		click(`[data-testid=save-key]`),
		chromedp.WaitVisible(`[data-testid=key-facts]`, chromedp.ByQuery),
		click(`[data-testid=test-key]`),
		chromedp.WaitVisible(`[data-testid=key-test-result][data-ok=true]`, chromedp.ByQuery),
	)
	if secretVisible || secretValue != "" {
		t.Errorf("secret field before Replace visible %v, value %q", secretVisible, secretValue)
	}
	if k, err := s.keys.Get("scenes"); err != nil || k.Secret.Reveal() != s3Secret || k.Description != "Sentinel-2 scenes, edited" {
		t.Errorf("after the edit: %v %v", k, err)
	}

	picker := `[data-testid=input][data-input=hrefInput] [data-testid=bucket-picker]`
	var signed string
	run("pick an object from the bucket in the execution form",
		chromedp.Navigate(s.base+"/endpoints/local/processes/echo/execute"),
		chromedp.WaitVisible(`[data-testid=exec-form]`, chromedp.ByQuery),
		chromedp.ScrollIntoView(picker, chromedp.ByQuery),
		click(picker+` summary`),
		chromedp.WaitVisible(picker+` [data-testid=pick-browse]`, chromedp.ByQuery),
		htmxIdle(),
		click(picker+` [data-testid=pick-browse]`),
		chromedp.WaitVisible(picker+` [data-testid=pick-folder]`, chromedp.ByQuery),
		htmxIdle(),
		click(picker+` [data-testid=pick-folder]`),
		chromedp.WaitVisible(picker+` [data-testid=pick-use]`, chromedp.ByQuery),
		htmxIdle(),
		chromedp.SetValue(picker+` [data-testid=pick-expiry]`, "21600", chromedp.ByQuery),
		click(picker+` [data-testid=pick-use]`),
		chromedp.WaitVisible(`[data-input=hrefInput] input[data-testid=picked]`, chromedp.ByQuery),
		chromedp.Value(`[data-input=hrefInput] input[data-testid=picked]`, &signed, chromedp.ByQuery),
		chromedp.WaitVisible(picker+` [data-testid=pick-msg]`, chromedp.ByQuery),
	)
	u, err := url.Parse(signed)
	if err != nil || u.Query().Get("X-Amz-Expires") != "21600" || !strings.HasSuffix(u.Path, "/scenes/S2B_T31UFQ.tif") {
		t.Fatalf("picked URL %q", signed)
	}
	if body := fetch(t, signed); body != "a scene from the bucket" {
		t.Errorf("the presigned URL gave %q", body)
	}
	u.RawQuery = ""
	if res, err := http.Get(u.String()); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("the object without a signature: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	console.check(t)
	s.noLeaks(t, map[string]string{"browser page": html})
}
