package keystore

import (
	"errors"
	"testing"

	"github.com/spf13/afero"
	"github.com/zalando/go-keyring"
)

// An unlocked store is not enough to export: the passphrase must be typed again, and
// guessing it through Confirm locks the store.
func TestConfirmPassphrase(t *testing.T) {
	s := openUnlocked(t, testConfig(afero.NewMemMapFs()), passphrase)
	addAll(t, s)
	if !s.ConfirmNeedsPassphrase() {
		t.Fatal("a passphrase store confirms without the passphrase")
	}
	if err := s.Confirm(""); !errors.Is(err, ErrPassphraseRequired) {
		t.Errorf("empty: %v", err)
	}
	if err := s.Confirm(passphrase); err != nil {
		t.Fatalf("right passphrase: %v", err)
	}
	for i := range maxWrongConfirmations {
		if err := s.Confirm("not " + passphrase); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("wrong passphrase %d: %v", i, err)
		}
	}
	if !s.Locked() {
		t.Fatal("guessing the passphrase through Confirm did not lock the store")
	}
	if err := s.Confirm(passphrase); !errors.Is(err, ErrLocked) {
		t.Errorf("locked: %v", err)
	}
}

// A keychain store asks the OS keychain again (its own prompt where it has one).
func TestConfirmKeychain(t *testing.T) {
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	cfg := testConfig(afero.NewMemMapFs())
	cfg.Keychain = KeychainAuto
	s := openUnlocked(t, cfg, "")
	addAll(t, s)
	if s.ConfirmNeedsPassphrase() {
		t.Fatal("a keychain store asks for a passphrase")
	}
	if err := s.Confirm(""); err != nil {
		t.Fatalf("keychain: %v", err)
	}
	if err := keyring.Delete("geojobs", "keystore:/data/keystore.age"); err != nil {
		t.Fatal(err)
	}
	if err := s.Confirm(""); !errors.Is(err, ErrKeychain) {
		t.Errorf("the keychain refused, yet confirmed: %v", err)
	}
}
