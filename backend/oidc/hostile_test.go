package oidc_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/oidc"
)

// A provider whose sign-in page (authorization_endpoint) or device verification
// page is not a web address — file:///…, javascript:…, a desktop application's own
// scheme — is refused before anything is opened: the sign-in page goes to the system
// browser (xdg-open and the like open any scheme) and the verification page is a
// link on the key's page. Begin handed them on as they came (2026-12-06).
func TestProviderPagesMustBeWebAddresses(t *testing.T) {
	cases := []struct {
		flow         keystore.OIDCFlow
		auth, verify string
		want         string
	}{
		{keystore.FlowAuthCode, "file:///etc/passwd", "", `authorization_endpoint "file:///etc/passwd"`},
		{keystore.FlowAuthCode, "javascript:alert(1)", "", `authorization_endpoint "javascript:alert(1)"`},
		{keystore.FlowAuthCode, "ms-officecmd:open", "", `authorization_endpoint "ms-officecmd:open"`},
		{keystore.FlowDevice, "/auth", "javascript:alert(1)", `page to enter the code "javascript:alert(1)"`},
		{keystore.FlowDevice, "/auth", "smb://198.51.100.7/share", `page to enter the code "smb://198.51.100.7/share"`},
	}
	for _, c := range cases {
		var issuer string
		op := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/.well-known/openid-configuration":
				auth := c.auth
				if strings.HasPrefix(auth, "/") {
					auth = issuer + auth
				}
				_ = json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "authorization_endpoint": auth,
					"token_endpoint": issuer + "/token", "device_authorization_endpoint": issuer + "/device",
					"jwks_uri": issuer + "/keys", "response_types_supported": []string{"code"},
					"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
			case "/device":
				_ = json.NewEncoder(w).Encode(map[string]any{"device_code": "d", "user_code": "U-C", "verification_uri": c.verify,
					"expires_in": 600, "interval": 5})
			default:
				http.NotFound(w, r)
			}
		}))
		issuer = op.URL
		st, err := keystore.Open(keystore.Config{Fs: afero.NewMemMapFs(), Dir: "/data", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Unlock("pass phrase"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Add(keystore.Key{Name: "k", Kind: keystore.KindOIDC, Prefix: "https://api.example.org/", Issuer: issuer,
			Flow: c.flow, ClientID: "app", Secret: "s3cret-of-the-client"}); err != nil {
			t.Fatal(err)
		}
		login, err := oidc.New(oidc.Config{Store: st}).Begin(t.Context(), "k")
		if err == nil {
			t.Errorf("%s %q %q: Begin gave %q %q, want a refusal", c.flow, c.auth, c.verify, login.URL, login.VerificationURI)
			login.Cancel()
			continue
		}
		if !errors.Is(err, keystore.ErrInvalid) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not an http or https address") {
			t.Errorf("%s: %v, want ErrInvalid naming %s", c.flow, err, c.want)
		}
	}
}
