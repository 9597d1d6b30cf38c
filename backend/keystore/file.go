package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/geojobs/geojobs/backend/atomicfile"

	"filippo.io/age"
	"github.com/spf13/afero"
)

// fileVersion is the plaintext format's version.
const fileVersion = 1

// maxFileSize bounds what Unlock reads (a keystore is a few KiB).
const maxFileSize = 16 << 20

type fileDoc struct {
	Version int       `json:"version"`
	Keys    []fileKey `json:"keys"`
}

// keyFields is Key without its methods (so without the masking MarshalJSON).
type keyFields Key

// fileKey stores the secret in the clear inside the encrypted file: the outer
// "secret" field shadows the embedded, masked one.
type fileKey struct {
	keyFields
	SecretValue  string       `json:"secret,omitempty"`
	SessionValue *fileSession `json:"session,omitempty"`
}

// fileSession is Session with its tokens in the clear (inside the encrypted file).
type fileSession struct {
	sessionFields
	AccessToken  string `json:"accessToken,omitempty"`
	RefreshToken string `json:"refreshToken,omitempty"`
	IDToken      string `json:"idToken,omitempty"`
}

type sessionFields Session

func toFileSession(s *Session) *fileSession {
	if s == nil {
		return nil
	}
	return &fileSession{sessionFields: sessionFields(*s), AccessToken: s.AccessToken.Reveal(),
		RefreshToken: s.RefreshToken.Reveal(), IDToken: s.IDToken.Reveal()}
}

func fromFileSession(f *fileSession) *Session {
	if f == nil {
		return nil
	}
	s := Session(f.sessionFields)
	s.AccessToken, s.RefreshToken, s.IDToken = Secret(f.AccessToken), Secret(f.RefreshToken), Secret(f.IDToken)
	return &s
}

type identities []age.Identity

func joinPath(dir, name string) string { return filepath.Join(dir, name) }

// readProtection looks at the age header: a scrypt stanza means a passphrase,
// an X25519 stanza the keychain identity.
func (s *Store) readProtection() (Protection, error) {
	f, err := s.cfg.Fs.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Unprotected, nil
	}
	if err != nil {
		return Unprotected, fmt.Errorf("keystore: cannot open %s: %w", s.path, err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Unprotected, fmt.Errorf("keystore: cannot read %s: %w", s.path, err)
	}
	head = head[:n]
	if !bytes.HasPrefix(head, []byte("age-encryption.org/v1\n")) {
		return Unprotected, s.corrupt("it is not an age file")
	}
	for _, line := range strings.Split(string(head), "\n")[1:] {
		switch {
		case strings.HasPrefix(line, "-> scrypt "):
			return ProtectedByPassphrase, nil
		case strings.HasPrefix(line, "-> X25519 "):
			return ProtectedByKeychain, nil
		case strings.HasPrefix(line, "---"):
			return Unprotected, s.corrupt("its header names no recipient geojobs uses")
		}
	}
	return Unprotected, s.corrupt("its header is incomplete")
}

func (s *Store) corrupt(why string) error {
	msg := fmt.Sprintf("%s: %s; the file is left as it is", s.path, why)
	if ok, _ := afero.Exists(s.cfg.Fs, s.path+BackupSuffix); ok {
		msg += fmt.Sprintf(", and the previous version is kept in %s%s (rename it to %s to go back to it)", s.path, BackupSuffix, FileName)
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, msg)
}

// decryptFile reads and decrypts path, returning the ciphertext and the keys.
func (s *Store) decryptFile(path string, ids func() (identities, error)) ([]byte, map[string]Key, error) {
	f, err := s.cfg.Fs.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("keystore: cannot open %s: %w", path, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	f.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("keystore: cannot read %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, nil, s.corrupt("it is larger than any keystore")
	}
	id, err := ids()
	if err != nil {
		return nil, nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(data), id...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			if _, ok := id[0].(*age.ScryptIdentity); ok {
				return nil, nil, ErrWrongPassphrase
			}
			return nil, nil, fmt.Errorf("%w: the key in the OS keychain does not open %s (was it made on another machine or user account?)", ErrKeychain, path)
		}
		return nil, nil, s.corrupt("cannot decrypt it: " + err.Error())
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, s.corrupt("its content does not authenticate: " + err.Error())
	}
	var doc fileDoc
	if err := json.Unmarshal(plain, &doc); err != nil {
		// Do not quote the JSON error: it may contain plaintext.
		return nil, nil, s.corrupt("its decrypted content is not a keystore")
	}
	clear(plain)
	if doc.Version != fileVersion {
		return nil, nil, fmt.Errorf("%w: %s has format version %d; this geojobs reads version %d", ErrCorrupt, path, doc.Version, fileVersion)
	}
	keys := make(map[string]Key, len(doc.Keys))
	for _, fk := range doc.Keys {
		k := Key(fk.keyFields)
		k.Secret = Secret(fk.SecretValue)
		k.Session = fromFileSession(fk.SessionValue)
		keys[k.Name] = k
	}
	return data, keys, nil
}

func scryptIdentities(passphrase string) (identities, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return identities{id}, nil
}

func x25519Identities(s string) (identities, error) {
	id, err := age.ParseX25519Identity(s)
	if err != nil {
		return nil, fmt.Errorf("%w: the OS keychain entry is not an age identity", ErrKeychain)
	}
	return identities{id}, nil
}

func (s *Store) recipient() (age.Recipient, error) {
	if s.identity != "" {
		id, err := age.ParseX25519Identity(s.identity)
		if err != nil {
			return nil, fmt.Errorf("%w: the OS keychain entry is not an age identity", ErrKeychain)
		}
		return id.Recipient(), nil
	}
	r, err := age.NewScryptRecipient(s.passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	r.SetWorkFactor(s.cfg.ScryptWorkFactor)
	return r, nil
}

// saveLocked encrypts keys and replaces the file atomically, keeping the
// previous version as the backup. s.mu must be held for writing.
func (s *Store) saveLocked(keys map[string]Key) error {
	rcpt, err := s.recipient()
	if err != nil {
		return err
	}
	ct, err := encryptKeys(keys, rcpt)
	if err != nil {
		return err
	}
	if err := s.writeLocked(ct); err != nil {
		return err
	}
	s.keys = keys
	s.gen++
	s.savedGen = s.gen
	return nil
}

// encryptKeys is the file's ciphertext for keys. It touches no Store state, so
// it can run without the lock (scrypt takes a second).
func encryptKeys(keys map[string]Key, rcpt age.Recipient) ([]byte, error) {
	doc := fileDoc{Version: fileVersion, Keys: make([]fileKey, 0, len(keys))}
	for _, k := range keys {
		doc.Keys = append(doc.Keys, fileKey{keyFields: keyFields(k), SecretValue: k.Secret.Reveal(), SessionValue: toFileSession(k.Session)})
	}
	sortFileKeys(doc.Keys)
	plain, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("keystore: encode: %w", err)
	}
	defer clear(plain)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return nil, fmt.Errorf("keystore: encrypt: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("keystore: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("keystore: encrypt: %w", err)
	}
	return buf.Bytes(), nil
}

// writeLocked replaces the file with ct, the previous version becoming the
// backup. s.mu must be held for writing.
func (s *Store) writeLocked(ct []byte) error {
	if err := s.cfg.Fs.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("keystore: cannot create %s: %w", s.cfg.Dir, err)
	}
	if s.fileBytes != nil {
		if err := writeAtomic(s.cfg.Fs, s.path+BackupSuffix, s.fileBytes); err != nil {
			return fmt.Errorf("keystore: cannot write the backup: %w", err)
		}
	}
	if err := writeAtomic(s.cfg.Fs, s.path, ct); err != nil {
		return fmt.Errorf("keystore: cannot write %s: %w", s.path, err)
	}
	s.fileBytes = ct
	s.known = s.fileStamp()
	return nil
}

func sortFileKeys(ks []fileKey) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j].Name < ks[j-1].Name; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// writeAtomic writes the keystore file owner-only, so that a crash leaves the old or the new file.
func writeAtomic(fsys afero.Fs, path string, data []byte) error {
	return atomicfile.Write(fsys, path, data, 0o600)
}
