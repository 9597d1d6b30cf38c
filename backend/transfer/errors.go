package transfer

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"syscall"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/netpolicy"
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

// Reason words a failure for people. A transient one that lasted says who could not
// be reached and why, or what the server answered ("Cannot reach 127.0.0.1:9000:
// connection refused (5 attempts). Is the server running? …"); others say the code's
// title (errs.Title), then the error's message, which transfer and its drivers keep
// free of secrets. A missing key (a *keystore.NoKeyError, or any error with such a
// Message method) says what to do for action ("download", "export") instead. "" for
// nil.
func Reason(err error, action string) string {
	if err == nil {
		return ""
	}
	var nk interface{ Message(action string) string }
	if errors.As(err, &nk) {
		return nk.Message(action) + "."
	}
	if words := unavailable(err); words != "" {
		return words
	}
	if words := missing(err); words != "" {
		return words
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

// unavailable words a transient failure (Code Unavailable) the way the endpoint's
// connection test and the key test say it: who could not be reached and why, or what
// the server answered; once every attempt failed, how many there were and what to
// check. "" for other errors, and for transient ones it cannot word better than
// their text.
func unavailable(err error) string {
	if Code(err) != Unavailable {
		return ""
	}
	var words, advice string
	var de *driver.Error
	if why := netpolicy.NoAnswer(err); why != "" {
		who := netpolicy.Peer(err)
		if who == "" {
			who = "the server"
		}
		words, advice = "Cannot reach "+who+": "+why, "Is the server running? Check your network, VPN or proxy, then retry."
	} else if errors.As(err, &de) && de.Status > 0 {
		words, advice = "The server answered HTTP "+strconv.Itoa(de.Status)+" "+http.StatusText(de.Status), "It may be busy or down for now: retry later."
	} else {
		return ""
	}
	var g *gaveUpError
	if !errors.As(err, &g) {
		return words // still being retried
	}
	return words + " (" + strconv.Itoa(g.attempts) + " attempts). " + advice
}

// missing words a file the server does not have (HTTP 404 or 410) or a host name that
// does not resolve, as unavailable words the transient failures; "" otherwise.
func missing(err error) string {
	if Code(err) != NotFound {
		return ""
	}
	if why := netpolicy.NoAnswer(err); why != "" {
		who := netpolicy.Peer(err)
		if who == "" {
			who = "the server"
		}
		return "Cannot reach " + who + ": " + why + ". Check the address, your network, VPN or proxy."
	}
	var de *driver.Error
	if errors.As(err, &de) && de.Status > 0 {
		return "The server has no such file (HTTP " + strconv.Itoa(de.Status) + " " + http.StatusText(de.Status) +
			"): the results may have been deleted or have expired there."
	}
	return ""
}
