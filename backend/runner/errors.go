package runner

import (
	"fmt"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Exit statuses of a run, from the most to the least common. They are part of the
// command line's contract (documented in `geojobs run --help`): scripts and CWL
// runners act on them.
const (
	ExitOK          = 0   // the job succeeded and the ItemCollection was written
	ExitFailed      = 1   // the job failed or was dismissed on the server
	ExitUsage       = 2   // bad flags or request file, unknown process, inputs refused before sending or by the server
	ExitServer      = 3   // the server erred, was unreachable, refused access or answered nonsense
	ExitTimeout     = 4   // --timeout passed before the job finished
	ExitOutput      = 5   // the results could not be turned into a valid ItemCollection or written
	ExitInterrupted = 130 // interrupted (Ctrl-C, SIGTERM); the job may still run unless dismissed
)

// Error is the error of Run: a message for people and the exit status that goes with it.
// The message never contains header values or credentials.
type Error struct {
	Status int    // one of the Exit* constants
	Msg    string // what happened, in one line
	Err    error  // the cause, if any
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode implements the exit-status interface of the command line.
func (e *Error) ExitCode() int { return e.Status }

func errorf(status int, err error, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...), Err: err}
}

// serverStatus maps an ogcapi error to an exit status: what the request got wrong is a
// usage error, everything else is the server's (or the network's).
func serverStatus(err error) int {
	switch ogcapi.CodeOf(err) {
	case ogcapi.InvalidInput, ogcapi.NoSuchProcess, ogcapi.UnsupportedMedia:
		return ExitUsage
	}
	return ExitServer
}
