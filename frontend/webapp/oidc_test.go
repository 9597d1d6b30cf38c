package webapp

import (
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
)

// TestEndpointOffersSignIn: an endpoint that answers 401 with WWW-Authenticate:
// Bearer offers to set up a sign-in (an oidc key for its URL); once the key is
// added and signed in (client credentials here) the same test connects; and an
// oidc key whose sign-in ended says so with a link to sign in again.
func TestEndpointOffersSignIn(t *testing.T) {
	s := startKeys(t)
	op := oidctest.Start(t, oidctest.Options{AccessTTL: 15 * time.Second})
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 2})
	target, _ := url.Parse(ep.URL)
	gw := op.NewGateway(httputil.NewSingleHostReverseProxy(target))
	gw.ResourceMetadata = true // RFC 9728: the 401 names the metadata, which names the provider
	gs := httptest.NewServer(gw)
	t.Cleanup(gs.Close)
	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}}), 303)

	r := s.post("/endpoints", url.Values{"title": {"Platform"}, "url": {gs.URL + "/"}})
	expect(t, r, 303)
	test := r.header.Get("Location")
	r = s.get(test)
	rep := r.find("[data-testid=report]")
	if rep.AttrOr("data-problem", "") != "unauthorized" || r.find("[data-testid=setup-signin]").Length() != 1 {
		t.Fatalf("a Bearer 401 does not offer a sign-in: %s", rep.Text())
	}
	if !strings.Contains(r.find("[data-testid=endpoint-issuer]").Text(), op.Issuer) {
		t.Errorf("the report does not name the provider the endpoint names")
	}
	setup := r.find("[data-testid=setup-signin]").AttrOr("href", "")
	r = s.get(setup)
	expect(t, r, 200)
	if r.find("[data-testid=key-form]").AttrOr("data-kind", "") != "oidc" || r.find("#key-prefix").AttrOr("value", "") != gs.URL+"/" ||
		r.find("#key-issuer").AttrOr("value", "") != op.Issuer {
		t.Fatalf("the sign-in set-up form is not prefilled for the endpoint and its provider (%s)", setup)
	}
	expect(t, s.post("/keystore", url.Values{"name": {"svc"}, "kind": {"oidc"}, "prefix": {gs.URL + "/"}, "issuer": {op.Issuer},
		"client_id": {oidctest.ServiceClient}, "flow": {"client-credentials"}, "secret": {oidctest.ServiceSecret}}), 303)
	r = s.post("/endpoints/platform", url.Values{"title": {"Platform"}, "url": {gs.URL + "/"}, "credential_key": {"svc"}})
	if r.status != 303 {
		t.Fatalf("editing the endpoint: %d %s", r.status, r.find("[data-testid=error]").Text())
	}
	r = s.get(test)
	if rep := r.find("[data-testid=report]"); rep.AttrOr("data-ok", "") != "true" {
		t.Fatalf("with the sign-in key: %s", rep.Text())
	}
	r = s.get("/keystore")
	if st := r.find("[data-testid=key][data-key=svc] [data-testid=signin-state]"); st.AttrOr("data-state", "") != "signed-in" ||
		!strings.Contains(st.Text(), oidctest.ServiceClient) {
		t.Errorf("keystore list sign-in state: %q", st.Text())
	}
	r = s.get("/endpoints")
	if a := r.find("[data-testid=endpoint-key]"); !strings.Contains(a.AttrOr("href", ""), "/keystore/keys/svc") {
		t.Errorf("the endpoint does not show the key in use")
	}
	k, _ := s.keys.Get("svc")
	tokens := []string{k.Session.AccessToken.Reveal(), oidctest.ServiceSecret}

	// A device key never signed in: the test says sign-in needed and links to the key.
	expect(t, s.post("/keystore", url.Values{"name": {"dev"}, "kind": {"oidc"}, "prefix": {gs.URL + "/"}, "issuer": {op.Issuer},
		"client_id": {oidctest.DeviceClient}, "flow": {"device"}, "secret": {oidctest.DeviceSecret}}), 303)
	s.post("/endpoints/platform", url.Values{"title": {"Platform"}, "url": {gs.URL + "/"}, "credential_key": {"dev"}})
	r = s.get(test)
	if rep := r.find("[data-testid=report]"); rep.AttrOr("data-problem", "") != "sign-in" ||
		r.find("[data-testid=endpoint-sign-in]").AttrOr("href", "") != "/keystore/keys/dev" {
		t.Fatalf("a key never signed in: %s", rep.Text())
	}
	k2, _ := s.keys.Get("dev")
	if k2.Kind != keystore.KindOIDC || k2.Session != nil {
		t.Errorf("dev key: %+v", k2)
	}
	places := map[string]string{"log": s.logs.String()}
	for i, b := range s.bodies {
		places["response "+string(rune('a'+i%26))] = b
	}
	for where, text := range places {
		for _, tok := range tokens {
			if strings.Contains(text, tok) {
				t.Errorf("a token or client secret shows in %s", where)
			}
		}
	}
}
