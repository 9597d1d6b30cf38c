package transfer

import (
	"context"
	"errors"
	"io/fs"
	"syscall"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Error is a classified error; see driver.Error.
type Error = driver.Error

// ErrorCode classifies errors; see driver.ErrorCode.
type ErrorCode = driver.ErrorCode

// The error codes callers act on.
const (
	Unknown           = driver.Unknown
	NotFound          = driver.NotFound
	PermissionDenied  = driver.PermissionDenied
	InvalidArgument   = driver.InvalidArgument
	Unavailable       = driver.Unavailable
	Changed           = driver.Changed
	RangeUnsupported  = driver.RangeUnsupported
	Canceled          = driver.Canceled
	ResourceExhausted = driver.ResourceExhausted
	DataLoss          = driver.DataLoss
	AlreadyExists     = driver.AlreadyExists
)

// Code returns the classification of err: the code of the first *Error in its chain,
// Canceled for context cancellation, Unknown otherwise.
func Code(err error) ErrorCode {
	if err == nil {
		return Unknown
	}
	if c := driver.CodeOf(err); c != Unknown {
		return c
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Canceled
	}
	return Unknown
}

// localError classifies an error from the local file system. what names the file
// (relative to the destination folder).
func localError(op, what string, err error) error {
	msg := "transfer: " + op + " " + what
	var pe *fs.PathError
	inner := err
	if errors.As(err, &pe) {
		inner = pe.Err // the path is already in msg
	}
	switch {
	case isDiskFull(err):
		return driver.Wrap(ResourceExhausted, inner, msg+": disk full")
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return driver.Wrap(PermissionDenied, inner, msg+": permission denied")
	case errors.Is(err, fs.ErrNotExist):
		return driver.Wrap(NotFound, inner, msg)
	}
	return driver.Wrap(Unknown, inner, msg)
}

// maxReason bounds the characters of a Reason.
const maxReason = 800

// Reason words a failure for people, by its code: the code's title (errs.Title),
// then the error's message, which transfer and its drivers keep free of secrets. A
// missing key (a *keystore.NoKeyError, or any error with such a Message method)
// says what to do for action ("download", "export") instead. "" for nil.
func Reason(err error, action string) string {
	if err == nil {
		return ""
	}
	var nk interface{ Message(action string) string }
	if errors.As(err, &nk) {
		return nk.Message(action) + "."
	}
	msg := err.Error()
	if len(msg) > maxReason {
		msg = msg[:maxReason] + "…"
	}
	if c := Code(err); c != Unknown {
		return errs.Title(c) + ": " + msg
	}
	return msg
}
