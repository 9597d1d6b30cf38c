package keystore

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/spf13/afero"
)

// pathLocks serialise, within this process, the sessions renewed through Store
// values sharing one keystore file; the OS file lock does it between processes.
var (
	pathLocksMu sync.Mutex
	pathLocks   = map[string]*sync.Mutex{}
)

func pathLock(path string) *sync.Mutex {
	pathLocksMu.Lock()
	defer pathLocksMu.Unlock()
	l, ok := pathLocks[path]
	if !ok {
		l = &sync.Mutex{}
		pathLocks[path] = l
	}
	return l
}

// lockFile takes the keystore's lock shared by every Store value and process
// using the file (FileName + ".lock" beside it). It returns the unlock function.
func (s *Store) lockFile() (func(), error) {
	l := pathLock(s.path)
	l.Lock()
	if _, ok := s.cfg.Fs.(*afero.OsFs); !ok {
		return l.Unlock, nil
	}
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		l.Unlock()
		return nil, fmt.Errorf("keystore: cannot create %s: %w", s.cfg.Dir, err)
	}
	f, err := os.OpenFile(s.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		l.Unlock()
		return nil, fmt.Errorf("keystore: lock file: %w", err)
	}
	if err := lockOSFile(f); err != nil {
		f.Close()
		l.Unlock()
		return nil, fmt.Errorf("keystore: lock file: %w", err)
	}
	return func() {
		_ = unlockOSFile(f)
		f.Close()
		l.Unlock()
	}, nil
}

// stamp identifies a version of the file cheaply.
type stamp struct {
	mod  time.Time
	size int64
}

func (s *Store) fileStamp() stamp {
	fi, err := s.cfg.Fs.Stat(s.path)
	if err != nil {
		return stamp{size: -1}
	}
	return stamp{fi.ModTime(), fi.Size()}
}

// RenewSession renews the session of the named oidc key under the lock every
// geojobs process sharing the keystore takes for it: it first takes up the
// session in the file when another process wrote it meanwhile (with rotating
// refresh tokens, the one in memory may be spent), then calls renew with the
// current session. When renew returns another session, it is stored and
// written to the file before the lock is released. renew must not call the
// Store's session methods.
func (s *Store) RenewSession(name string, renew func(cur *Session) (*Session, error)) (*Session, error) {
	unlock, err := s.lockFile()
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.mu.RLock()
	known, unlocked := s.known, s.unlocked
	k, ok := s.keys[name]
	s.mu.RUnlock()
	if !unlocked {
		return nil, ErrLocked
	}
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	cur := k.Session
	if now := s.fileStamp(); now != known {
		fresh, err := s.FileSession(name)
		if err != nil {
			return nil, err
		}
		cur = fresh
		if err := s.putSession(name, fresh); err != nil {
			return nil, err
		}
	}
	next, err := renew(cur)
	if err != nil || next == cur {
		return next, err
	}
	return next, s.putSession(name, next)
}

// OnSecrets has fn told the secret values (tokens) of every sign-in session the
// store takes up from now on: a renewal by this process or, read from the file,
// by another one, a new sign-in. A command line adds them to what it redacts
// (safetext.Scrubber) before the tokens are used. fn is called outside the store's
// locks, before the session is written.
func (s *Store) OnSecrets(fn func(secrets ...string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onSecrets = append(slices.Clip(s.onSecrets), fn)
}

// putSession stores the session and writes the file, encrypting outside the
// store's lock (with a passphrase that is a second of scrypt) so that readers
// are not held up.
func (s *Store) putSession(name string, sess *Session) error {
	s.mu.Lock()
	if !s.unlocked {
		s.mu.Unlock()
		return ErrLocked
	}
	k, ok := s.keys[name]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if k.Kind != KindOIDC {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q is not an oidc key", ErrInvalid, name)
	}
	if sess != nil {
		cp := *sess
		sess = &cp
	}
	next := make(map[string]Key, len(s.keys))
	for n, v := range s.keys {
		next[n] = v
	}
	k.Session = sess
	next[name] = k
	s.keys = next
	s.gen++
	gen := s.gen
	rcpt, err := s.recipient()
	watchers := s.onSecrets
	s.mu.Unlock()
	if sess != nil {
		secrets := Key{Session: sess}.Secrets()
		for _, fn := range watchers {
			fn(secrets...)
		}
	}
	if err != nil {
		return err
	}
	ct, err := encryptKeys(next, rcpt)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.unlocked || gen <= s.savedGen {
		return nil // locked meanwhile, or a newer state is written already
	}
	if err := s.writeLocked(ct); err != nil {
		return err
	}
	s.savedGen = gen
	return nil
}
