package driver

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/safetext"
)

// ErrorCode classifies transfer errors: it is geojobs' one error vocabulary
// (backend/errs). Callers act on the code, never on the message.
type ErrorCode = errs.Code

// The codes drivers use. Unavailable is the only code that is retried.
const (
	Unknown           = errs.Unknown           // not classified; treated as permanent
	NotFound          = errs.NotFound          // the object does not exist
	PermissionDenied  = errs.PermissionDenied  // credentials missing or refused, or a local file is not writable
	InvalidArgument   = errs.InvalidArgument   // a bad URL, name or option
	Unavailable       = errs.Unavailable       // transient: 5xx, 429, reset, timeout, short body
	Changed           = errs.Changed           // the object changed (ETag or size) since the transfer began
	RangeUnsupported  = errs.Unsupported       // the source ignored a byte range with a non-zero offset
	Canceled          = errs.Canceled          // stopped by the caller
	ResourceExhausted = errs.ResourceExhausted // local disk full
	DataLoss          = errs.DataLoss          // checksum or size mismatch
	AlreadyExists     = errs.Conflict          // another download targets the same file
)

// Error is a classified error from a driver or from the transfer layer.
type Error struct {
	Code ErrorCode
	// Status is the HTTP status (or another protocol's status) when there is one.
	Status int
	// RetryAfter is the delay the server asked for (HTTP Retry-After), zero if none.
	RetryAfter time.Duration
	// Msg is a short description; it must not contain secrets.
	Msg string
	Err error
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Err != nil {
		if s != "" {
			s += ": "
		}
		s += e.Err.Error()
	}
	if s == "" {
		s = e.Code.String()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode implements errs.Coder.
func (e *Error) ErrorCode() errs.Code { return e.Code }

// Errorf returns an *Error with code c and a formatted message.
func Errorf(c ErrorCode, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code c around err, prefixed by msg.
func Wrap(c ErrorCode, err error, msg string) *Error {
	return &Error{Code: c, Msg: msg, Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, else the code of
// another classified error in it (errs.CodeOf: a keystore or store error), else
// Unknown.
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return errs.CodeOf(err)
}

// RedactURL renders u without userinfo, query or fragment, so it can appear in errors
// and logs: presigned URLs carry their signature in the query.
func RedactURL(u *url.URL) string { return safetext.URL(u) }
