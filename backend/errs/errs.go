// Package errs is geojobs' one error vocabulary: a small set of codes that every
// package attaches to its errors by wrapping (an *Error, or any error with an
// ErrorCode method), and that callers act on — never on a message. The code is
// turned into an HTTP status (Status), a command-line exit status (Exit) and words
// for people (Title) here, and only here.
//
// It is not a logging or formatting package: messages stay with the errors that
// carry them.
package errs

import (
	"context"
	"errors"
	"strconv"
)

// Code classifies an error.
type Code int

// The codes. Unknown is an error nobody classified: treat it as Internal.
const (
	Unknown           Code = iota
	NotFound               // the thing asked for does not exist
	Unauthenticated        // credentials are missing or were not accepted
	PermissionDenied       // the credentials are known but not allowed; a file is not writable
	InvalidArgument        // the request, a value or a name is wrong: asking again will not help
	Unavailable            // transient: the server or the network failed; retrying may help
	Changed                // the object changed since it was first read (ETag, size)
	Unsupported            // the other side cannot do this (a byte range, a format)
	Canceled               // stopped by the caller
	ResourceExhausted      // a local disk is full, a quota is spent
	DataLoss               // what arrived is not what was sent (checksum, size)
	Conflict               // the state does not allow it: exists already, busy, built in
	Timeout                // a deadline passed
	TooLarge               // more data than allowed
	Internal               // a bug or an unexpected state
)

var names = [...]string{"Unknown", "NotFound", "Unauthenticated", "PermissionDenied", "InvalidArgument",
	"Unavailable", "Changed", "Unsupported", "Canceled", "ResourceExhausted", "DataLoss", "Conflict",
	"Timeout", "TooLarge", "Internal"}

func (c Code) String() string {
	if c >= 0 && int(c) < len(names) {
		return names[c]
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Coder is implemented by errors that carry a code (*Error, *ogcapi.APIError, the
// transfer drivers' errors).
type Coder interface {
	ErrorCode() Code
}

// Error is an error with a code.
type Error struct {
	Code Code
	// Msg says what happened; it must not contain secrets.
	Msg string
	Err error
}

func (e *Error) Error() string {
	switch {
	case e.Err != nil && e.Msg != "":
		return e.Msg + ": " + e.Err.Error()
	case e.Err != nil:
		return e.Err.Error()
	case e.Msg != "":
		return e.Msg
	}
	return e.Code.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode implements Coder.
func (e *Error) ErrorCode() Code { return e.Code }

// New returns an error with code c and message msg: a sentinel to compare with
// errors.Is, or a one-off.
func New(c Code, msg string) *Error { return &Error{Code: c, Msg: msg} }

// CodeOf returns the code of the first error in err's chain that has one; for an
// unclassified err, Canceled for context.Canceled, Timeout for a passed deadline,
// Unknown otherwise (nil gives Unknown too).
func CodeOf(err error) Code {
	if err == nil {
		return Unknown
	}
	var c Coder
	if errors.As(err, &c) {
		if code := c.ErrorCode(); code != Unknown {
			return code
		}
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return Unknown
}
