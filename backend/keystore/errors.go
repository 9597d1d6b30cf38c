package keystore

import (
	"errors"
	"fmt"
	"slices"

	"github.com/geojobs/geojobs/backend/errs"
)

// Errors are classified by these sentinels; test with errors.Is, or act on their
// code (backend/errs). Messages never contain secret values.
var (
	// ErrLocked: the store is locked; Unlock it first.
	ErrLocked = errs.New(errs.Unauthenticated, "keystore is locked")
	// ErrPassphraseRequired: no OS keychain is available and no passphrase was given.
	ErrPassphraseRequired = errs.New(errs.Unauthenticated, "keystore passphrase required (no OS keychain available)")
	// ErrWrongPassphrase: the passphrase does not open the keystore file.
	ErrWrongPassphrase = errs.New(errs.Unauthenticated, "wrong keystore passphrase")
	// ErrKeychain: the OS keychain could not be used, or does not hold the key
	// that opens the keystore file.
	ErrKeychain = errs.New(errs.Unavailable, "OS keychain")
	// ErrCorrupt: the keystore file cannot be read. It is left as it is, and so
	// is its backup.
	ErrCorrupt = errs.New(errs.Internal, "keystore file is corrupted")
	// ErrNotFound: no key of that name.
	ErrNotFound = errs.New(errs.NotFound, "key not found")
	// ErrExists: a key of that name exists already.
	ErrExists = errs.New(errs.Conflict, "key already exists")
	// ErrInvalid: a key or an argument is not valid.
	ErrInvalid = errs.New(errs.InvalidArgument, "invalid key")
	// ErrNotAllowed: the key cannot be used that way (see Key.CanUse).
	ErrNotAllowed = errs.New(errs.PermissionDenied, "key cannot be used for this")
	// ErrSignInNeeded: an oidc key has no usable token and no way to get one
	// without a person: sign in again (keys login, or Sign in on the Keystore page).
	ErrSignInNeeded = errs.New(errs.Unauthenticated, "sign-in needed")
)

// Errors from the storage a key opens (transfer/s3, transfer/webdav, keycheck). The message
// carries what the server said, never a secret.
var (
	// ErrRemoteNotFound: the bucket, object or path does not exist.
	ErrRemoteNotFound = errs.New(errs.NotFound, "not found on the server")
	// ErrDenied: the server refused the credentials or the operation.
	ErrDenied = errs.New(errs.PermissionDenied, "access denied by the server")
	// ErrUnavailable: the server could not be reached or failed.
	ErrUnavailable = errs.New(errs.Unavailable, "server unavailable")
	// ErrVerify: an upload did not arrive intact.
	ErrVerify = errs.New(errs.DataLoss, "upload verification failed")
)

// NoKeyError says that no key opens a URL: the keystore is locked, or none of its
// keys matches the URL for the use. Its message is for people and names the URL
// (without query: a presigned signature is never shown), never a secret. It
// matches ErrLocked or ErrNotFound with errors.Is.
type NoKeyError struct {
	// URL is the redacted URL; Kind names the kind of key wanted ("S3").
	URL, Kind string
	// Locked: the keystore is locked (it may well hold a key for URL).
	Locked bool
}

func (e *NoKeyError) Error() string { return e.Message("download") }

// Message words the error for an action ("download", "show", "export").
func (e *NoKeyError) Message(action string) string {
	if e.Locked {
		return "Unlock the keystore to " + action + " " + e.URL
	}
	kind := e.Kind
	if kind == "" {
		kind = "matching"
	}
	return "No " + kind + " key in the keystore matches " + e.URL + ": add one on the Keystore page (or with geojobs keys add)"
}

// ErrorCode implements errs.Coder: unlocking (or adding a key) is what is missing.
func (e *NoKeyError) ErrorCode() errs.Code { return errs.Unauthenticated }

// Is makes errors.Is(err, ErrLocked) and errors.Is(err, ErrNotFound) work.
func (e *NoKeyError) Is(target error) bool {
	return (target == ErrLocked && e.Locked) || (target == ErrNotFound && !e.Locked)
}

// NotAllowedError says why a key cannot be used for something (Key.CanUse). Its
// message is the reason alone, for people; it matches ErrNotAllowed with errors.Is.
type NotAllowedError struct{ Why string }

func (e *NotAllowedError) Error() string { return e.Why }

// Is makes errors.Is(err, ErrNotAllowed) work.
func (e *NotAllowedError) Is(target error) bool { return target == ErrNotAllowed }

// ErrorCode implements errs.Coder.
func (e *NotAllowedError) ErrorCode() errs.Code { return errs.PermissionDenied }

// SignInNeededError says that an oidc key's sign-in ended (or never was): a
// person must sign in again (keys login, or Sign in on the Keystore page). It
// matches ErrSignInNeeded with errors.Is; its code is Unauthenticated. Callers
// that keep work waiting for the sign-in take the key's name from it (SignInKey).
type SignInNeededError struct {
	// Key is the oidc key's name; Reason says why, for people (never a secret).
	Key, Reason string
}

func (e *SignInNeededError) Error() string {
	return fmt.Sprintf("sign-in needed for key %q: %s; sign in again (geojobs keys login %s, or Sign in on the Keystore page)",
		e.Key, e.Reason, e.Key)
}

// Is makes errors.Is(err, ErrSignInNeeded) work.
func (e *SignInNeededError) Is(target error) bool { return target == ErrSignInNeeded }

// ErrorCode implements errs.Coder.
func (e *SignInNeededError) ErrorCode() errs.Code { return errs.Unauthenticated }

// SignInKey returns the name of the oidc key whose sign-in err says has ended,
// or "" when err is about something else.
func SignInKey(err error) string {
	var e *SignInNeededError
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}

// DownloadKey returns the key of one of kinds that Match picks for rawURL for a
// download. A nil or locked store, or no such key, fails with a *NoKeyError naming
// where (rawURL with its credentials removed) and kind (the kind of key wanted, in
// the user's words: "S3", "WebDAV").
func (s *Store) DownloadKey(rawURL, where, kind string, kinds ...Kind) (*Key, error) {
	if s == nil {
		return nil, &NoKeyError{URL: where, Kind: kind}
	}
	if s.Locked() {
		return nil, &NoKeyError{URL: where, Kind: kind, Locked: true}
	}
	k, ok := s.Match(rawURL, Download)
	if !ok || !slices.Contains(kinds, k.Kind) {
		return nil, &NoKeyError{URL: where, Kind: kind}
	}
	return k, nil
}
