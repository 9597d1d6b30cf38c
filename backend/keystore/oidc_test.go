package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
)

func TestOIDCKeyNormalize(t *testing.T) {
	ok := Key{Name: "eoepca", Kind: KindOIDC, Prefix: "https://zoo.example.com/", ClientID: "geojobs", Flow: FlowDevice,
		Issuer: "https://auth.example.com/realms/eoepca/.well-known/openid-configuration"}
	k := ok
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	if k.Issuer != "https://auth.example.com/realms/eoepca" || strings.Join(k.Scopes, " ") != "openid offline_access" {
		t.Errorf("normalised: issuer %q scopes %q", k.Issuer, k.Scopes)
	}
	k = ok
	k.Scopes = []string{"profile eoepca"}
	if k.Normalize(); strings.Join(k.Scopes, " ") != "openid profile eoepca" {
		t.Errorf("scopes %q: openid is always asked for", k.Scopes)
	}
	for _, tt := range []struct {
		change func(*Key)
		want   string
	}{
		{func(k *Key) { k.Issuer = "" }, "issuer"},
		{func(k *Key) { k.Issuer = "http://auth.example.com/realms/x" }, "https"},
		{func(k *Key) { k.ClientID = "" }, "client id"},
		{func(k *Key) { k.Flow = "implicit" }, "unknown flow"},
		{func(k *Key) { k.Flow = FlowClientCredentials }, "client secret"},
		{func(k *Key) { k.Prefix = "" }, "URL prefix"},
	} {
		k := ok
		tt.change(&k)
		if err := k.Normalize(); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", k, err, tt.want)
		}
	}
	if err := ok.CanUse(Endpoint); err != nil {
		t.Error(err)
	}
	if err := ok.CanUse(Output); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("an oidc key for outputs: %v", err)
	}
}

// TestSessionKeptSecret: the tokens of a sign-in are in the encrypted file and
// in memory only; every view of the key masks them, and a second Store on the
// same file (another geojobs process) sees a session renewed by the first.
func TestSessionKeptSecret(t *testing.T) {
	const access, refresh, idt = "eyJ-ACCESS-canary-1", "REFRESH-canary-2", "eyJ-ID-canary-3"
	fs := afero.NewMemMapFs()
	st, _ := Open(testConfig(fs))
	if err := st.Unlock(passphrase); err != nil {
		t.Fatal(err)
	}
	k, err := st.Add(Key{Name: "p", Kind: KindOIDC, Prefix: "https://zoo.example.com/", Issuer: "https://auth.example.com/realms/r",
		ClientID: "geojobs", Flow: FlowAuthCode, Secret: "client-SECRET-canary-4"})
	if err != nil {
		t.Fatal(err)
	}
	sess := &Session{Subject: "ana", Obtained: time.Now(), Expiry: time.Now().Add(time.Minute),
		AccessToken: access, RefreshToken: refresh, IDToken: idt}
	if err := st.SetSession("p", sess); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Get("p")
	if got.Session.AccessToken.Reveal() != access || got.Session.Subject != "ana" {
		t.Fatalf("session: %+v", got.Session)
	}
	js, _ := json.Marshal(got)
	views := map[string]string{"json": string(js), "%v": fmt.Sprintf("%v", got), "%+v": fmt.Sprintf("%+v", *got),
		"%#v": fmt.Sprintf("%#v", *got.Session), "session %+v": fmt.Sprintf("%+v", *got.Session)}
	file, _ := afero.ReadFile(fs, st.Path())
	views["file"] = string(file)
	for name, v := range views {
		for _, s := range []string{access, refresh, idt, "client-SECRET-canary-4"} {
			if strings.Contains(v, s) {
				t.Errorf("%s shows a secret: %s", name, v)
			}
		}
	}
	// Another Store on the file: it renews from what the file holds.
	other, _ := Open(testConfig(fs))
	if err := other.Unlock(passphrase); err != nil {
		t.Fatal(err)
	}
	renewed := *sess
	renewed.AccessToken, renewed.RefreshToken = "access-2", "refresh-2"
	if err := st.SetSession("p", &renewed); err != nil {
		t.Fatal(err)
	}
	var seen *Session
	if _, err := other.RenewSession("p", func(cur *Session) (*Session, error) { seen = cur; return cur, nil }); err != nil {
		t.Fatal(err)
	}
	if seen == nil || seen.RefreshToken != "refresh-2" {
		t.Fatalf("the other store renewed from %+v, not from the file's newer session", seen)
	}
	// Editing the key keeps the sign-in; changing the provider drops it.
	k.Description, k.Secret = "edited", ""
	if u, err := st.Update(*k); err != nil || u.Session == nil {
		t.Fatalf("update: %v, session %v", err, u)
	}
	k.Issuer = "https://other.example.com/realms/r"
	if u, err := st.Update(*k); err != nil || u.Session != nil {
		t.Fatalf("update with another issuer kept the sign-in: %v", err)
	}
	if err := st.SetSession("p", nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(file, []byte("age-encryption.org")) {
		t.Error("the file is not an age file")
	}
}
