package endpoints

import (
	"context"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/geojobs/geojobs/backend/oidc/oidctest"
)

// TestBearerEndpointNamesProvider: an endpoint behind an OpenID provider answers
// 401 with WWW-Authenticate: Bearer; when it also publishes its protected
// resource metadata (RFC 9728) the connection test reports the provider, for
// the sign-in set-up to fill in.
func TestBearerEndpointNamesProvider(t *testing.T) {
	e := newEnv(t)
	op := oidctest.Start(t, oidctest.Options{})
	target, _ := url.Parse(e.local.URL)
	for _, published := range []bool{true, false} {
		gw := op.NewGateway(httputil.NewSingleHostReverseProxy(target))
		gw.ResourceMetadata = published
		gs := httptest.NewServer(gw)
		defer gs.Close()
		r, err := e.cat.TestInput(context.Background(), EndpointInput{Title: "Platform", URL: gs.URL + "/ogc/"})
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if published {
			want = op.Issuer
		}
		if r.OK || r.Problem != ProblemUnauthorized || !r.Bearer || r.Issuer != want {
			t.Errorf("metadata published %v: problem %q, bearer %v, issuer %q (want %q)", published, r.Problem, r.Bearer, r.Issuer, want)
		}
	}
}
