package errs

import "net/http"

// StatusCanceled is the HTTP status of a request its client gave up on (as nginx and
// gRPC gateways use it).
const StatusCanceled = 499

// Status is the HTTP status that answers an error of code c.
func Status(c Code) int {
	switch c {
	case NotFound:
		return http.StatusNotFound
	case Unauthenticated:
		return http.StatusUnauthorized
	case PermissionDenied:
		return http.StatusForbidden
	case InvalidArgument:
		return http.StatusUnprocessableEntity
	case Unavailable:
		return http.StatusBadGateway
	case Changed:
		return http.StatusPreconditionFailed
	case Unsupported:
		return http.StatusNotImplemented
	case Canceled:
		return StatusCanceled
	case ResourceExhausted:
		return http.StatusInsufficientStorage
	case Conflict:
		return http.StatusConflict
	case Timeout:
		return http.StatusGatewayTimeout
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// Exit statuses of the command line (documented in `geojobs run --help`); a command
// may refine them (run: 1 for a failed job, 5 for output it could not write).
const (
	ExitOK          = 0
	ExitFailed      = 1   // the work failed, or an internal error
	ExitUsage       = 2   // what was asked is wrong: flags, files, values, unknown names
	ExitServer      = 3   // a server erred, was unreachable or refused access
	ExitTimeout     = 4   // a deadline passed
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM)
)

// Exit is the command-line exit status for an error of code c.
func Exit(c Code) int {
	switch c {
	case InvalidArgument, NotFound, Unsupported:
		return ExitUsage
	case Unauthenticated, PermissionDenied, Unavailable, Changed, Conflict, TooLarge:
		return ExitServer
	case Timeout:
		return ExitTimeout
	case Canceled:
		return ExitInterrupted
	}
	return ExitFailed
}

// Title says in a few words, for people, what kind of failure code c is. The error's
// own message (without secrets) gives the detail.
func Title(c Code) string {
	switch c {
	case NotFound:
		return "Not found"
	case Unauthenticated:
		return "Credentials needed"
	case PermissionDenied:
		return "Permission denied"
	case InvalidArgument:
		return "Please check the values"
	case Unavailable:
		return "Unavailable"
	case Changed:
		return "Changed in the meantime"
	case Unsupported:
		return "Not supported"
	case Canceled:
		return "Canceled"
	case ResourceExhausted:
		return "Disk full"
	case DataLoss:
		return "Verification failed"
	case Conflict:
		return "Conflict"
	case Timeout:
		return "Timed out"
	case TooLarge:
		return "Too large"
	}
	return "Something went wrong"
}
