package driver

import (
	"errors"
	"fmt"
	"net/url"
	"time"
)

// ErrorCode classifies transfer errors. Callers act on the code, never on the message.
type ErrorCode int

// The error codes. Unavailable is the only code that is retried.
const (
	Unknown           ErrorCode = iota // not classified; treated as permanent
	NotFound                           // the object does not exist
	PermissionDenied                   // credentials missing or refused, or a local file is not writable
	InvalidArgument                    // a bad URL, name or option
	Unavailable                        // transient: 5xx, 429, reset, timeout, short body
	Changed                            // the object changed (ETag or size) since the transfer began
	RangeUnsupported                   // the source ignored a byte range with a non-zero offset
	Canceled                           // stopped by the caller
	ResourceExhausted                  // local disk full
	DataLoss                           // checksum or size mismatch
	AlreadyExists                      // another download targets the same file
)

var codeNames = [...]string{"Unknown", "NotFound", "PermissionDenied", "InvalidArgument", "Unavailable",
	"Changed", "RangeUnsupported", "Canceled", "ResourceExhausted", "DataLoss", "AlreadyExists"}

func (c ErrorCode) String() string {
	if int(c) >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

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

// Errorf returns an *Error with code c and a formatted message.
func Errorf(c ErrorCode, format string, args ...any) *Error {
	return &Error{Code: c, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with code c around err, prefixed by msg.
func Wrap(c ErrorCode, err error, msg string) *Error {
	return &Error{Code: c, Msg: msg, Err: err}
}

// CodeOf returns the code of the first *Error in err's chain, or Unknown.
func CodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Unknown
}

// RedactURL renders u without userinfo, query or fragment, so it can appear in errors
// and logs: presigned URLs carry their signature in the query.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = ""
		c.ForceQuery = false
		return c.String() + "?…"
	}
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}
