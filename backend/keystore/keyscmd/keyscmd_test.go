package keyscmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keycheck"
	"github.com/spf13/afero"
)

const (
	tokenCanary = "tok-CLI-CANARY-a1b2c3"
	passCanary  = "pass-CLI-CANARY-d4e5"
	phrase      = "cli pass phrase"
)

func cfg(fs afero.Fs) keystore.Config {
	return keystore.Config{Fs: fs, Dir: "/data", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10}
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestReadSecret(t *testing.T) {
	for in, want := range map[string]string{"abc\n": "abc", "abc\r\n": "abc", "abc": "abc", "a b\n\n": "a b\n", " x ": " x "} {
		got, err := ReadSecret(strings.NewReader(in))
		if err != nil || got.Reveal() != want {
			t.Errorf("ReadSecret(%q) = %q, %v", in, got.Reveal(), err)
		}
	}
	for _, in := range []string{"", "\n", strings.Repeat("x", 65<<10)} {
		if _, err := ReadSecret(strings.NewReader(in)); !errors.Is(err, keystore.ErrInvalid) {
			t.Errorf("ReadSecret(%d bytes) = %v", len(in), err)
		}
	}
}

func TestOpenStorePassphrase(t *testing.T) {
	fs := afero.NewMemMapFs()
	// No env, no terminal: a clear error.
	_, err := OpenStore(cfg(fs), IO{Getenv: env(nil), Terminal: func(string) (string, error) { return "", errors.New("no tty") }})
	if !errors.Is(err, keystore.ErrPassphraseRequired) || !strings.Contains(err.Error(), PassphraseEnv) {
		t.Fatalf("no passphrase source: %v", err)
	}
	// A new keystore asks twice.
	var prompts []string
	answers := []string{phrase, "different"}
	term := func(p string) (string, error) {
		prompts = append(prompts, p)
		a := answers[0]
		answers = answers[1:]
		return a, nil
	}
	if _, err := OpenStore(cfg(fs), IO{Getenv: env(nil), Terminal: term}); !errors.Is(err, keystore.ErrInvalid) || len(prompts) != 2 {
		t.Fatalf("mismatched repeat: %v after %v", err, prompts)
	}
	// A new keystore's passphrase has the UI's minimum, from a prompt or the environment.
	answers = []string{"short", "short"}
	if _, err := OpenStore(cfg(fs), IO{Getenv: env(nil), Terminal: term}); !errors.Is(err, keystore.ErrInvalid) ||
		!strings.Contains(err.Error(), "at least 8") {
		t.Fatalf("short prompted passphrase: %v", err)
	}
	if _, err := OpenStore(cfg(fs), IO{Getenv: env(map[string]string{PassphraseEnv: "1234567"})}); !errors.Is(err, keystore.ErrInvalid) {
		t.Fatalf("short env passphrase: %v", err)
	}
	st, err := OpenStore(cfg(fs), IO{Getenv: env(map[string]string{PassphraseEnv: phrase})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Add(st, keystore.Key{Name: "k", Kind: keystore.KindHTTP, Prefix: "https://h/"}, IO{In: strings.NewReader(tokenCanary + "\n"), Out: new(bytes.Buffer)}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(cfg(fs), IO{Getenv: env(map[string]string{PassphraseEnv: "wrong"})}); !errors.Is(err, keystore.ErrWrongPassphrase) {
		t.Fatalf("wrong env passphrase: %v", err)
	}
	// Existing keystore: one prompt.
	prompts = nil
	answers = []string{phrase}
	if _, err := OpenStore(cfg(fs), IO{Getenv: env(nil), Terminal: term}); err != nil || len(prompts) != 1 {
		t.Fatalf("prompted unlock: %v, %v", err, prompts)
	}
}

// TestCLINoSecretLeaks drives add / list / test / remove and their failures with
// known secrets and asserts that no output or error shows them.
func TestCLINoSecretLeaks(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+tokenCanary {
			fmt.Fprint(w, "{}")
			return
		}
		http.Error(w, "unauthorised", http.StatusUnauthorized)
	}))
	defer ts.Close()
	fs := afero.NewMemMapFs()
	var out bytes.Buffer
	o := IO{Out: &out, ErrOut: &out, Getenv: env(map[string]string{PassphraseEnv: passCanary})}
	st, err := OpenStore(cfg(fs), o)
	if err != nil {
		t.Fatal(err)
	}
	report := func(err error) {
		if err != nil {
			fmt.Fprintln(&out, "error:", err)
		}
	}
	add := func(k keystore.Key, secret string) {
		o := o
		o.In = strings.NewReader(secret + "\n")
		_, err := Add(st, k, o)
		report(err)
	}
	add(keystore.Key{Name: "zoo", Kind: keystore.KindHTTP, Prefix: ts.URL + "/"}, tokenCanary)
	add(keystore.Key{Name: "zoo-bad", Kind: keystore.KindHTTP, Prefix: ts.URL + "/"}, tokenCanary+"-wrong")
	add(keystore.Key{Name: "zoo", Kind: keystore.KindHTTP, Prefix: ts.URL + "/"}, tokenCanary)       // exists
	add(keystore.Key{Name: "bad name!", Kind: keystore.KindHTTP, Prefix: ts.URL + "/"}, tokenCanary) // invalid
	add(keystore.Key{Name: "dav", Kind: keystore.KindWebDAV, Endpoint: "https://u:" + passCanary + "@h/", Username: "u"}, passCanary)
	add(keystore.Key{Name: "cdse", Kind: keystore.KindEODATA, AccessKey: "AK"}, passCanary)
	report(List(st, &out, false))
	report(List(st, &out, true))
	ctx := context.Background()
	if err := Test(ctx, st, "zoo", &out, keycheck.Options{}); err != nil {
		t.Fatalf("test zoo: %v", err)
	}
	err = Test(ctx, st, "zoo-bad", &out, keycheck.Options{})
	if !errors.Is(err, keystore.ErrDenied) {
		t.Fatalf("test zoo-bad: %v", err)
	}
	report(err)
	report(Test(ctx, st, "missing", &out, keycheck.Options{}))
	report(Remove(st, "zoo-bad", &out))
	report(Remove(st, "zoo-bad", &out))
	_, err = OpenStore(cfg(fs), IO{Getenv: env(map[string]string{PassphraseEnv: "nope"})})
	report(err)

	s := out.String()
	for _, c := range []string{tokenCanary, passCanary} {
		if strings.Contains(s, c) {
			t.Errorf("%q leaked:\n%s", c, s)
		}
	}
	for _, want := range []string{"added http key \"zoo\"", "NAME", "cdse", "s3://eodata/", "input", "••••", "ok: GET", "HTTP 401", "key already exists", "removed \"zoo-bad\"", "wrong keystore passphrase"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	raw, _ := afero.ReadFile(fs, "/data/keystore.age")
	if bytes.Contains(raw, []byte(tokenCanary)) || bytes.Contains(raw, []byte("CANARY")) {
		t.Error("keystore file holds a plaintext secret")
	}
}
