package webapp

import (
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// TestBrowserOIDCSignIn signs in to a platform behind an OpenID provider in
// Chromium: add an oidc key (authorization code with PKCE), press Sign in, sign
// in on the provider's own page, come back through the loopback redirect, see
// who is signed in, use the key against a gateway that checks the JWT, and sign
// out. No token appears in any page, log line or file.
func TestBrowserOIDCSignIn(t *testing.T) {
	s := startKeys(t)
	op := oidctest.Start(t, oidctest.Options{AccessTTL: 15 * time.Second})
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 2})
	target, _ := url.Parse(ep.URL)
	gw := op.NewGateway(httputil.NewSingleHostReverseProxy(target))
	gs := httptest.NewServer(gw)
	t.Cleanup(gs.Close)
	signIns := s.app.SignIns.Changes()
	defer signIns.Close()

	ctx, console := browser(t)
	run := steps(ctx, t)
	run("create the keystore", s.createKeystore())
	run("add an oidc key",
		click(`[data-testid=add-key]`),
		chromedp.WaitVisible(`[data-testid=key-form]`, chromedp.ByQuery),
		chromedp.SendKeys(`#key-name`, "platform", chromedp.ByQuery),
		chromedp.SetValue(`#key-kind`, "oidc", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector("#key-kind").dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		chromedp.WaitVisible(`[data-testid=key-form][data-kind=oidc]`, chromedp.ByQuery),
		htmxIdle(),
		chromedp.SendKeys(`#key-prefix`, gs.URL+"/", chromedp.ByQuery),
		chromedp.SendKeys(`#key-issuer`, op.Issuer, chromedp.ByQuery),
		chromedp.SendKeys(`#key-client`, oidctest.NativeClient, chromedp.ByQuery),
		click(`[data-testid=save-key]`),
		chromedp.WaitVisible(`[data-testid=signin-card] [data-testid=signin-state][data-state=out]`, chromedp.ByQuery),
	)
	var authURL string
	run("press Sign in",
		click(`[data-testid=signin-card] [data-testid=sign-in]`),
		chromedp.WaitVisible(`[data-testid=signin-link]`, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid=signin-link]`, "href", &authURL, nil, chromedp.ByQuery),
	)
	if !strings.HasPrefix(authURL, op.Issuer) || !strings.Contains(authURL, "code_challenge=") {
		t.Fatalf("sign-in link %q", authURL)
	}
	// The link opens a new tab; the test follows it in this one.
	run("sign in at the provider",
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(`#username`, chromedp.ByQuery),
		chromedp.SendKeys(`#username`, op.Username, chromedp.ByQuery),
		chromedp.SendKeys(`#password`, oidctest.Password, chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=signin-done]`, chromedp.ByQuery),
	)
	select {
	case <-signIns.Ready():
	case <-time.After(waitfor.Guard):
		t.Fatal("the app did not complete the sign-in")
	}
	var who string
	run("see who is signed in, and use the key",
		chromedp.Navigate(s.base+"/keystore/keys/platform/signin"),
		chromedp.WaitVisible(`[data-testid=signin-state][data-state=signed-in]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid=signin-subject]`, &who, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/keystore/keys/platform"),
		click(`[data-testid=test-key]`),
		chromedp.WaitVisible(`[data-testid=key-test-result][data-ok=true]`, chromedp.ByQuery),
	)
	if !strings.Contains(who, oidctest.Subject) || !gw.Saw(oidctest.Subject) {
		t.Errorf("signed in as %q; the gateway saw the user: %v", who, gw.Saw(oidctest.Subject))
	}
	k, err := s.keys.Get("platform")
	if err != nil || k.Session == nil {
		t.Fatalf("session: %v", err)
	}
	tokens := []string{k.Session.AccessToken.Reveal(), k.Session.RefreshToken.Reveal(), k.Session.IDToken.Reveal()}
	var html string
	run("sign out",
		chromedp.OuterHTML(`html`, &html, chromedp.ByQuery),
		click(`[data-testid=signin-card] [data-testid=sign-out]`),
		chromedp.WaitVisible(`[data-testid=signin-card] [data-testid=signin-state][data-state=out]`, chromedp.ByQuery),
	)
	console.check(t)
	places := map[string]string{"page": html, "log": s.logs.String()}
	files, _ := filepath.Glob(filepath.Join(s.dataDir, "*"))
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			places[f] = string(b)
		}
	}
	for where, text := range places {
		for _, tok := range tokens {
			if tok != "" && strings.Contains(text, tok) {
				t.Errorf("a token shows in %s", where)
			}
		}
	}
}
