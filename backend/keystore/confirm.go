package keystore

import (
	"crypto/subtle"
	"fmt"
)

// maxWrongConfirmations is how many wrong confirmations in a row lock the store: then
// only Unlock (an scrypt derivation per guess) goes on, not a cheap comparison.
const maxWrongConfirmations = 5

// Confirm is the fresh confirmation that exporting a key, or revealing anything
// derived from a secret, needs on top of an unlocked store (a session is not enough):
//   - a passphrase-protected store: passphrase must be the keystore's passphrase,
//     typed again (ErrWrongPassphrase otherwise; ErrPassphraseRequired when empty);
//   - a keychain-protected store: the identity is read from the OS keychain again,
//     which is where the keychain asks its user when it is set to (passphrase is
//     ignored); an error when the keychain refuses or changed.
//
// It returns ErrLocked for a locked store. After maxWrongConfirmations wrong
// passphrases in a row the store locks itself.
func (s *Store) Confirm(passphrase string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unlocked {
		return ErrLocked
	}
	if s.identity != "" {
		id, err := keychainIdentity(s.cfg.KeychainService, s.keychainUser())
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(id), []byte(s.identity)) != 1 {
			return fmt.Errorf("%w: the OS keychain's entry changed", ErrKeychain)
		}
		return nil
	}
	if passphrase == "" {
		return ErrPassphraseRequired
	}
	if subtle.ConstantTimeCompare([]byte(passphrase), []byte(s.passphrase)) != 1 {
		s.wrongConfirms++
		if s.wrongConfirms >= maxWrongConfirmations {
			s.lockLocked()
		}
		return ErrWrongPassphrase
	}
	s.wrongConfirms = 0
	return nil
}

// ConfirmNeedsPassphrase reports whether Confirm needs the passphrase typed (a
// passphrase-protected store) rather than asking the OS keychain.
func (s *Store) ConfirmNeedsPassphrase() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.identity == ""
}
