package ogcapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseChallenge(t *testing.T) {
	for _, tc := range []struct {
		in     string
		scheme string
		params map[string]string
	}{
		{`Bearer`, "Bearer", map[string]string{}},
		{`Bearer realm="eoepca"`, "Bearer", map[string]string{"realm": "eoepca"}},
		{`Bearer realm="a, \"b\"", error="invalid_token", error_description="The access token expired"`, "Bearer",
			map[string]string{"realm": `a, "b"`, "error": "invalid_token", "error_description": "The access token expired"}},
		{`bearer Resource_Metadata="https://rs.example/.well-known/oauth-protected-resource/ogc", scope=openid`, "bearer",
			map[string]string{"resource_metadata": "https://rs.example/.well-known/oauth-protected-resource/ogc", "scope": "openid"}},
		{`Bearer realm="x", Basic realm="y"`, "Bearer", map[string]string{"realm": "x"}},
		{`Negotiate abc==`, "Negotiate", map[string]string{}},
	} {
		ch := ParseChallenge(tc.in)
		if ch.Scheme != tc.scheme || len(ch.Params) != len(tc.params) {
			t.Errorf("%s: %+v", tc.in, ch)
			continue
		}
		for k, v := range tc.params {
			if ch.Params[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.in, k, ch.Params[k], v)
			}
		}
	}
}

// TestProtectedResource: a server behind an OpenID provider names its protected
// resource metadata (RFC 9728) in its Bearer challenge, or publishes it at the
// well-known address; the client reads the provider from it, without sending
// credentials, and refuses metadata for another resource.
func TestProtectedResource(t *testing.T) {
	const issuer = "https://auth.example.com/realms/eoepca"
	var sawAuth bool
	var srvURL string
	resource := func() string { return srvURL + "/ogc-api/" }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /meta", func(w http.ResponseWriter, r *http.Request) {
		sawAuth = sawAuth || r.Header.Get("Authorization") != ""
		w.Write([]byte(`{"resource":"` + resource() + `","authorization_servers":["` + issuer + `"]}`))
	})
	mux.HandleFunc("GET /.well-known/oauth-protected-resource/ogc-api", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"resource":"` + resource() + `","authorization_servers":["` + issuer + `"]}`))
	})
	mux.HandleFunc("GET /other-meta", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"resource":"https://elsewhere.example/","authorization_servers":["` + issuer + `"]}`))
	})
	mux.HandleFunc("/ogc-api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="eoepca", resource_metadata="`+srvURL+r.URL.Query().Get("meta")+`"`)
		if r.URL.Query().Get("meta") == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eoepca"`)
		}
		http.Error(w, "sign in", http.StatusUnauthorized)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	srvURL = srv.URL
	c, err := New(srv.URL+"/ogc-api/", WithRetry(0), WithCredentials(Bearer("static-token")))
	if err != nil {
		t.Fatal(err)
	}
	challenge := func(meta string) Challenge {
		t.Helper()
		u := c.endpointURL("x")
		u.RawQuery = "meta=" + meta
		_, err := c.getJSON(t.Context(), u, NotFound, new(any))
		ch, ok := BearerChallenge(err)
		if !ok {
			t.Fatalf("no Bearer challenge in %v", err)
		}
		return ch
	}
	for _, meta := range []string{"/meta", ""} {
		md, err := c.ProtectedResource(t.Context(), challenge(meta))
		if err != nil || len(md.AuthorizationServers) != 1 || md.AuthorizationServers[0] != issuer {
			t.Errorf("metadata %q: %+v, %v", meta, md, err)
		}
	}
	if sawAuth {
		t.Error("the metadata request carried the endpoint's credentials")
	}
	if _, err := c.ProtectedResource(t.Context(), challenge("/other-meta")); CodeOf(err) != BadResponse ||
		!strings.Contains(err.Error(), "another resource") {
		t.Errorf("metadata for another resource: %v", err)
	}
	if _, ok := BearerChallenge(errors.New("plain")); ok {
		t.Error("a plain error is a Bearer challenge")
	}
}
