package keystore

import (
	"errors"
	"fmt"

	"filippo.io/age"
	"github.com/zalando/go-keyring"
)

// keychainProbeUser is looked up to see whether a keychain answers at all.
const keychainProbeUser = "geojobs-keychain-probe"

// keychainAvailable reports whether the OS keychain answers: a lookup of an
// entry that does not exist must say "not found", not fail (no D-Bus session, no
// Secret Service on a headless Linux, an unsupported platform).
func keychainAvailable(service string) bool {
	_, err := keyring.Get(service, keychainProbeUser)
	return err == nil || errors.Is(err, keyring.ErrNotFound)
}

// newKeychainIdentity returns the age identity stored for user, creating and
// storing one when there is none. It returns "" and an error when the keychain
// cannot be used.
func newKeychainIdentity(service, user string) (string, error) {
	s, err := keyring.Get(service, user)
	if err == nil {
		if _, perr := age.ParseX25519Identity(s); perr == nil {
			return s, nil
		}
	} else if !errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("%w: %v", ErrKeychain, err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", fmt.Errorf("keystore: generate identity: %w", err)
	}
	if err := keyring.Set(service, user, id.String()); err != nil {
		return "", fmt.Errorf("%w: %v", ErrKeychain, err)
	}
	return id.String(), nil
}

// keychainIdentity returns the stored identity for an existing keystore.
func keychainIdentity(service, user string) (string, error) {
	s, err := keyring.Get(service, user)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", fmt.Errorf("%w: the keystore is protected by the OS keychain, but the keychain has no entry %q for it (service %q)", ErrKeychain, user, service)
	}
	if err != nil {
		return "", fmt.Errorf("%w: cannot read the keystore's entry: %v", ErrKeychain, err)
	}
	return s, nil
}
