package keystorepage

import (
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/frontend/pagetest"
)

func render(t *testing.T, m SignInModel) *goquery.Document {
	t.Helper()
	return pagetest.Render(t, SignInPage(m))
}

// oidcKey is a signed-in oidc key with tokens that must never be rendered.
func oidcKey(flow keystore.OIDCFlow) keystore.Key {
	return keystore.Key{Name: "platform", Kind: keystore.KindOIDC, Issuer: "https://auth.example.com/realms/eoepca",
		ClientID: "geojobs", Flow: flow, Secret: "client-secret-SECRET",
		Session: &keystore.Session{Subject: "u-1", Name: "ana", Obtained: time.Now(), Expiry: time.Now().Add(5 * time.Minute),
			AccessToken: "access-SECRET", RefreshToken: "refresh-SECRET", IDToken: "id-SECRET"}}
}

// TestSignInPage: the sign-in page says what to do for each flow — open the
// provider's page (or, from the desktop, that it opened in the system browser),
// or enter the device code — and who is signed in once done; never a token or
// the client secret.
func TestSignInPage(t *testing.T) {
	v := viewOf(oidcKey(keystore.FlowAuthCode))
	const authURL = "https://auth.example.com/realms/eoepca/protocol/openid-connect/auth?client_id=geojobs"

	doc := render(t, SignInModel{View: v, Pending: true, URL: authURL})
	if a := doc.Find("[data-testid=signin-link]"); a.AttrOr("href", "") != authURL || !a.HasClass("primary") ||
		doc.Find("[data-testid=signin-opened]").Length() != 0 {
		t.Errorf("browser mode: the page should link to the provider's page")
	}
	if doc.Find("#signin-status[hx-trigger]").Length() != 1 {
		t.Error("a pending sign-in's status does not refresh itself")
	}

	doc = render(t, SignInModel{View: v, Pending: true, URL: authURL, Opened: true})
	if doc.Find("[data-testid=signin-opened]").Length() != 1 || doc.Find("[data-testid=signin-link]").AttrOr("href", "") != authURL {
		t.Errorf("desktop: the page should say the system browser opened, with a link to open it again")
	}

	doc = render(t, SignInModel{View: viewOf(oidcKey(keystore.FlowDevice)), Pending: true,
		VerificationURI: "https://auth.example.com/device", UserCode: "WDJB-MJHT"})
	if doc.Find("[data-testid=signin-code]").Text() != "WDJB-MJHT" ||
		doc.Find("[data-testid=signin-verification]").AttrOr("href", "") != "https://auth.example.com/device" {
		t.Errorf("device flow: the page should show where to go and the code")
	}

	doc = render(t, SignInModel{View: v})
	st := doc.Find("[data-testid=signin-state]")
	if st.AttrOr("data-state", "") != "signed-in" || !strings.Contains(st.Text(), "ana (u-1)") ||
		doc.Find("[data-testid=sign-out]").Length() != 1 || doc.Find("#signin-status[hx-trigger]").Length() != 0 {
		t.Errorf("done: %q", st.Text())
	}

	for _, m := range []SignInModel{{View: v}, {View: v, Pending: true, URL: authURL}, {View: v, Err: "the provider refused"}} {
		html, _ := render(t, m).Html()
		if strings.Contains(html, "SECRET") {
			t.Errorf("a token or the client secret is in the page: %s", html)
		}
	}
}
