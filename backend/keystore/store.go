// Package keystore keeps geojobs' named credentials — S3 and EODATA buckets,
// WebDAV shares, HTTP endpoint logins — that processing, transfers and endpoints
// refer to by name. Secrets are typed once and never shown again: the Secret type
// masks itself everywhere, and the store is one age-encrypted file in the data dir
// whose key lives in the OS keychain or comes from a passphrase.
//
// The package holds the model, the use rules, URL matching, the encrypted file
// and request credentials. Talking to S3 and WebDAV lives in transfer/s3 and transfer/webdav;
// checking a key against its server in keycheck.
package keystore

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/folderlock"
)

// FileName is the keystore file inside the data dir; BackupSuffix is appended
// for the previous version.
const (
	FileName     = "keystore.age"
	BackupSuffix = ".bak"
)

// Protection says how the keystore file is encrypted.
type Protection int

// The protections.
const (
	// Unprotected: there is no keystore file yet.
	Unprotected Protection = iota
	// ProtectedByKeychain: an age X25519 identity kept in the OS keychain.
	ProtectedByKeychain
	// ProtectedByPassphrase: age's scrypt passphrase encryption.
	ProtectedByPassphrase
)

func (p Protection) String() string {
	switch p {
	case ProtectedByKeychain:
		return "OS keychain"
	case ProtectedByPassphrase:
		return "passphrase"
	}
	return "none (no keystore file yet)"
}

// KeychainMode chooses whether the OS keychain may be used.
type KeychainMode int

const (
	// KeychainAuto uses the OS keychain for a new keystore when one answers, and a
	// passphrase otherwise.
	KeychainAuto KeychainMode = iota
	// KeychainOff never uses the keychain: new keystores use a passphrase.
	KeychainOff
)

// Config opens a Store.
type Config struct {
	// Fs is the file system; nil means the OS file system.
	Fs afero.Fs
	// Dir is the data dir holding FileName.
	Dir string
	// Keychain chooses whether a new keystore may use the OS keychain. An existing
	// file keeps its protection whatever this says.
	Keychain KeychainMode
	// KeychainService is the keychain service name; default "geojobs".
	KeychainService string
	// ScryptWorkFactor is log2 of age's scrypt work factor for passphrase
	// protection; default 18 (age's own, about a second). Tests lower it.
	ScryptWorkFactor int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Store is the set of keys. It is safe for concurrent use. It starts locked:
// Unlock decrypts the file (or starts an empty store when there is none), Lock
// forgets the plaintext and the master key.
type Store struct {
	cfg  Config
	path string

	mu         sync.RWMutex
	unlocked   bool
	keys       map[string]Key
	protection Protection
	// master material while unlocked: the keychain identity or the passphrase.
	identity   string
	passphrase string
	// fileBytes is the ciphertext last read or written, kept to write the backup.
	fileBytes []byte
	// tokens gives oidc keys their access tokens (SetTokenSource).
	tokens TokenSource
	// gen counts changes to keys, savedGen is the change the file holds; known
	// is the file's version as this Store last read or wrote it.
	gen, savedGen uint64
	known         stamp
	// wrongConfirms counts wrong passphrases given to Confirm in a row.
	wrongConfirms int
	// onSecrets are told the tokens of each session taken up (OnSecrets).
	onSecrets []func(secrets ...string)
}

// Open returns a locked Store for cfg.Dir. It reads nothing secret; it only
// finds out whether the file exists and how it is protected.
func Open(cfg Config) (*Store, error) {
	if cfg.Fs == nil {
		cfg.Fs = afero.NewOsFs()
	}
	if cfg.KeychainService == "" {
		cfg.KeychainService = "geojobs"
	}
	if cfg.ScryptWorkFactor == 0 {
		cfg.ScryptWorkFactor = 18
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: keystore needs a data dir", ErrInvalid)
	}
	s := &Store{cfg: cfg, path: joinPath(cfg.Dir, FileName)}
	p, err := s.readProtection()
	if errors.Is(err, ErrCorrupt) {
		// A damaged file must not keep the app from starting: the store opens locked,
		// and Unlock reports the damage (with the backup's path) where the user asks.
		p, err = ProtectedByPassphrase, nil
	}
	if err != nil {
		return nil, err
	}
	s.protection = p
	return s, nil
}

// Path is the keystore file's path.
func (s *Store) Path() string { return s.path }

// Protection says how the file is (or, before the first save, will be) protected.
func (s *Store) Protection() Protection {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.protection
}

// NeedsPassphrase reports whether Unlock needs a passphrase: the file is
// passphrase-protected, or there is no file and no keychain to use.
func (s *Store) NeedsPassphrase() bool {
	s.mu.RLock()
	p := s.protection
	s.mu.RUnlock()
	switch p {
	case ProtectedByPassphrase:
		return true
	case ProtectedByKeychain:
		return false
	}
	return s.cfg.Keychain == KeychainOff || !keychainAvailable(s.cfg.KeychainService)
}

// Locked reports whether the store is locked.
func (s *Store) Locked() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return !s.unlocked
}

// Lock forgets the keys and the master key (keychain identity or passphrase)
// until the next Unlock.
func (s *Store) Lock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lockLocked()
}

// lockLocked is Lock with s.mu held.
func (s *Store) lockLocked() {
	s.wrongConfirms = 0
	s.unlocked = false
	s.keys = nil
	s.identity = ""
	s.passphrase = ""
	s.fileBytes = nil
}

// MinPassphrase is the shortest passphrase the CLI and the UI accept for a new keystore.
const MinPassphrase = 8

// Unlock opens the store. For a keychain-protected file passphrase is ignored.
// For a passphrase-protected file it must be the passphrase (ErrWrongPassphrase
// otherwise, the file untouched). With no file yet, the store starts empty and
// its first save uses the keychain when Config allows and one answers, else
// passphrase (ErrPassphraseRequired when that is empty). A corrupted file gives
// ErrCorrupt and leaves the file and its backup as they are.
func (s *Store) Unlock(passphrase string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.readProtection()
	if err != nil {
		return err
	}
	s.protection = p
	switch p {
	case Unprotected:
		var id string
		if s.cfg.Keychain != KeychainOff {
			id, _ = newKeychainIdentity(s.cfg.KeychainService, s.keychainUser())
		}
		if id == "" && passphrase == "" {
			return ErrPassphraseRequired
		}
		s.setUnlocked(map[string]Key{}, id, passphrase, nil)
		if id != "" {
			s.protection = ProtectedByKeychain
		} else {
			s.protection = ProtectedByPassphrase
		}
		return nil
	case ProtectedByPassphrase:
		if passphrase == "" {
			return ErrPassphraseRequired
		}
		data, keys, err := s.decryptFile(s.path, func() (identities, error) { return scryptIdentities(passphrase) })
		if err != nil {
			return err
		}
		s.setUnlocked(keys, "", passphrase, data)
		return nil
	default:
		var id string
		data, keys, err := s.decryptFile(s.path, func() (identities, error) {
			var err error
			id, err = keychainIdentity(s.cfg.KeychainService, s.keychainUser())
			if err != nil {
				return nil, err
			}
			return x25519Identities(id)
		})
		if err != nil {
			return err
		}
		s.setUnlocked(keys, id, "", data)
		return nil
	}
}

func (s *Store) setUnlocked(keys map[string]Key, id, pass string, data []byte) {
	s.keys, s.identity, s.passphrase, s.fileBytes = keys, id, pass, data
	s.known = s.fileStamp()
	s.unlocked = true
}

// SetPassphrase re-encrypts the store with passphrase (moving it off the
// keychain if it was there) and saves it.
func (s *Store) SetPassphrase(passphrase string) error {
	if passphrase == "" {
		return fmt.Errorf("%w: empty passphrase", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unlocked {
		return ErrLocked
	}
	prevID, prevPass, prevProt := s.identity, s.passphrase, s.protection
	s.identity, s.passphrase, s.protection = "", passphrase, ProtectedByPassphrase
	if err := s.saveLocked(s.keys); err != nil {
		s.identity, s.passphrase, s.protection = prevID, prevPass, prevProt
		return err
	}
	return nil
}

// beginWrite starts a read-modify-write of the file: it takes the OS lock beside the
// file (another geojobs process, a `geojobs keys add`, may be writing it) and re-reads
// the file when it changed since this Store read it, so no key written meanwhile is
// lost. s.mu must be held for writing.
func (s *Store) beginWrite() (release func(), err error) {
	release = func() {}
	if _, ok := s.cfg.Fs.(*afero.OsFs); ok {
		if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("keystore: cannot create %s: %w", s.cfg.Dir, err)
		}
		if release, err = folderlock.Wait(s.path + ".lock"); err != nil {
			return nil, fmt.Errorf("keystore: lock: %w", err)
		}
	}
	if err := s.refreshLocked(); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// refreshLocked re-reads the file when its bytes differ from those last read or
// written. s.mu must be held for writing.
func (s *Store) refreshLocked() error {
	data, err := afero.ReadFile(s.cfg.Fs, s.path)
	if err != nil || bytes.Equal(data, s.fileBytes) {
		return nil // no file yet (or unreadable: the write will say so)
	}
	data, keys, err := s.decryptFile(s.path, func() (identities, error) {
		if s.identity != "" {
			id, err := age.ParseX25519Identity(s.identity)
			if err != nil {
				return nil, fmt.Errorf("%w: the OS keychain entry is not an age identity", ErrKeychain)
			}
			return identities{id}, nil
		}
		return scryptIdentities(s.passphrase)
	})
	if err != nil {
		return fmt.Errorf("keystore: the file changed and cannot be read again: %w", err)
	}
	s.keys, s.fileBytes = keys, data
	return nil
}

// List returns the keys sorted by name.
func (s *Store) List() ([]Key, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.unlocked {
		return nil, ErrLocked
	}
	out := make([]Key, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Get returns the named key.
func (s *Store) Get(name string) (*Key, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.unlocked {
		return nil, ErrLocked
	}
	k, ok := s.keys[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return &k, nil
}

// Add normalises, validates and saves a new key. ErrExists if the name is taken.
func (s *Store) Add(k Key) (*Key, error) {
	return s.put(k, false)
}

// Update replaces the named key. An empty Secret keeps the stored one, so a form
// can change other fields without the user typing the secret again.
func (s *Store) Update(k Key) (*Key, error) {
	return s.put(k, true)
}

func (s *Store) put(k Key, replace bool) (*Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unlocked {
		return nil, ErrLocked
	}
	release, err := s.beginWrite()
	if err != nil {
		return nil, err
	}
	defer release()
	name := strings.TrimSpace(k.Name)
	old, exists := s.keys[name]
	switch {
	case exists && !replace:
		return nil, fmt.Errorf("%w: %q", ErrExists, name)
	case !exists && replace:
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	if exists {
		if k.Secret.IsZero() && k.Kind == old.Kind {
			k.Secret = old.Secret
		}

		k.Created = old.Created
	} else {
		k.Created = now
	}
	k.Updated = now
	if err := k.Normalize(); err != nil {
		return nil, err
	}
	// Sessions change only by SetSession: a sign-in stays while the provider and
	// the client stay the same.
	k.Session = nil
	if exists && k.Kind == KindOIDC && old.Kind == KindOIDC && k.Issuer == old.Issuer && k.ClientID == old.ClientID {
		k.Session = old.Session
	}
	next := make(map[string]Key, len(s.keys)+1)
	for n, v := range s.keys {
		next[n] = v
	}
	next[k.Name] = k
	if err := s.saveLocked(next); err != nil {
		return nil, err
	}
	return &k, nil
}

// Remove deletes the named key.
func (s *Store) Remove(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unlocked {
		return ErrLocked
	}
	release, err := s.beginWrite()
	if err != nil {
		return err
	}
	defer release()
	if _, ok := s.keys[name]; !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	next := make(map[string]Key, len(s.keys))
	for n, v := range s.keys {
		if n != name {
			next[n] = v
		}
	}
	return s.saveLocked(next)
}

// Match returns the key for rawURL and use: among the keys allowed for use whose
// URL prefix rawURL falls under (s3://bucket/prefix, the bucket's https URLs on
// the key's endpoint, the WebDAV endpoint, the HTTP key's prefix), the one with
// the longest prefix; ties go to the name that sorts first. A locked store
// matches nothing.
func (s *Store) Match(rawURL string, use Use) (*Key, bool) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.unlocked {
		return nil, false
	}
	var best *Key
	bestLen := -1
	for _, k := range s.keys {
		if k.CanUse(use) != nil {
			continue
		}
		n := k.matchLen(u)
		if n < 0 {
			continue
		}
		if n > bestLen || (n == bestLen && k.Name < best.Name) {
			kk := k
			best, bestLen = &kk, n
		}
	}
	return best, best != nil
}

// keychainUser names the keychain entry after the absolute file path, so two
// data dirs have two identities.
func (s *Store) keychainUser() string {
	p := s.path
	if _, ok := s.cfg.Fs.(*afero.OsFs); ok {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
	}
	return "keystore:" + p
}
