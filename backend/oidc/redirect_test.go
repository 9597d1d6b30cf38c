package oidc_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/oidc"
)

// A token endpoint that answers with a redirect to another origin (same host, other
// port: net/http alone keeps Authorization there, and a 307 sends the form again)
// gets neither the client's secret nor the form sent on.
func TestTokenRequestNotRedirectedElsewhere(t *testing.T) {
	var mu sync.Mutex
	var loot []string
	other := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		loot = append(loot, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+r.Form.Encode())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"stolen","token_type":"Bearer","expires_in":60}`))
	}))
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		var issuer string
		op := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/.well-known/openid-configuration":
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"issuer": issuer, "authorization_endpoint": issuer + "/auth",
					"token_endpoint": issuer + "/token", "jwks_uri": issuer + "/keys", "response_types_supported": []string{"code"},
					"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"}})
			case "/token":
				http.Redirect(w, r, other.URL+"/token", status)
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
		k, err := st.Add(keystore.Key{Name: "ci", Kind: keystore.KindOIDC, Prefix: "https://api.example.org/", Issuer: issuer,
			Flow: keystore.FlowClientCredentials, ClientID: "svc", Secret: "client-secret-never-sent"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = oidc.New(oidc.Config{Store: st}).AccessToken(t.Context(), k)
		if err == nil || !strings.Contains(err.Error(), "pointing to "+other.URL+"/token") {
			t.Errorf("%d: AccessToken = %v, want the redirect refused", status, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(loot) != 0 {
		t.Errorf("the other origin got %q", loot)
	}
}
