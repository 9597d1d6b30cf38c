package keyscmd

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/spf13/afero"
)

// `geojobs keys export`: the store opened with GEOJOBS_KEYSTORE_PASSPHRASE is not
// enough; the passphrase must be typed again at the terminal, and a wrong one exports
// nothing.
func TestExportNeedsFreshPassphrase(t *testing.T) {
	fs := afero.NewMemMapFs()
	o := IO{Getenv: env(map[string]string{PassphraseEnv: phrase}),
		Terminal: func(string) (string, error) { return "", errors.New("no terminal") }}
	st, err := OpenStore(cfg(fs), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Add(keystore.Key{Name: "svc", Kind: keystore.KindHTTP, Scheme: keystore.SchemeBearer,
		Prefix: "https://svc.example.org/", Secret: tokenCanary}); err != nil {
		t.Fatal(err)
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	servicePEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	if b, err := Export(st, "svc", servicePEM, o); !errors.Is(err, keystore.ErrPassphraseRequired) || b != nil ||
		!strings.Contains(err.Error(), PassphraseEnv+" does not confirm") {
		t.Fatalf("without a terminal: %v", err)
	}
	var prompts []string
	typed := "not " + phrase
	o.Terminal = func(p string) (string, error) { prompts = append(prompts, p); return typed, nil }
	if b, err := Export(st, "svc", servicePEM, o); !errors.Is(err, keystore.ErrWrongPassphrase) || b != nil {
		t.Fatalf("wrong passphrase: %v", err)
	}
	typed = phrase
	b, err := Export(st, "svc", servicePEM, o)
	if err != nil || len(prompts) != 2 || !strings.Contains(prompts[1], "confirm the export") {
		t.Fatalf("confirmed: %v, prompts %q", err, prompts)
	}
	var exp keystore.Export
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	plain, err := exp.Open(priv)
	if err != nil || !strings.Contains(string(plain), tokenCanary) || strings.Contains(string(b), tokenCanary) {
		t.Errorf("payload: %v", err)
	}
}
