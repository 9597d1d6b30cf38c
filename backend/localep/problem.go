package localep

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Exception types of this server that the standard does not name. They are URNs on
// purpose: they identify a failure kind without pretending to be OGC definitions.
const (
	excJobFailed      = "urn:geojobs:local-endpoint:job-failed"
	excNotImplemented = "urn:geojobs:local-endpoint:not-implemented"
	excBadRequest     = "urn:geojobs:local-endpoint:bad-request"
	excInternal       = "urn:geojobs:local-endpoint:internal-error"
)

// problem is an error that becomes an RFC 7807 / OGC exception response. Handlers
// return it; writeError turns anything else into an opaque 500.
type problem struct {
	Status int
	Type   string
	Title  string
	Detail string
}

func (p *problem) Error() string { return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail) }

func (p *problem) exception() ogcapi.Exception {
	return ogcapi.Exception{Type: p.Type, Title: p.Title, Status: p.Status, Detail: p.Detail}
}

func newProblem(status int, typ, title, format string, args ...any) *problem {
	return &problem{Status: status, Type: typ, Title: title, Detail: fmt.Sprintf(format, args...)}
}

func noSuchProcess(id string) *problem {
	return newProblem(http.StatusNotFound, ogcapi.ExcNoSuchProcess, "No such process", "there is no process %q", id)
}

func noSuchJob(id string) *problem {
	return newProblem(http.StatusNotFound, ogcapi.ExcNoSuchJob, "No such job", "there is no job %q", id)
}

func invalidParameter(format string, args ...any) *problem {
	return newProblem(http.StatusBadRequest, ogcapi.ExcInvalidParameter, "Invalid parameter value", format, args...)
}

func badRequest(format string, args ...any) *problem {
	return newProblem(http.StatusBadRequest, excBadRequest, "Bad request", format, args...)
}

// handlerFunc is an HTTP handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: a *problem is sent as is; any other error is logged and
// sent as a 500 without its text (internal errors may hold paths or other details).
func (s *Server) handle(f handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem
	if !errors.As(err, &p) {
		s.log.Error("local endpoint: internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		p = newProblem(http.StatusInternalServerError, excInternal, "Internal server error",
			"the local endpoint failed to answer; see the geojobs log")
	} else if p.Status >= 500 {
		s.log.Warn("local endpoint: error response", "status", p.Status, "path", r.URL.Path, "detail", p.Detail)
	}
	writeException(w, p.exception())
}

func writeException(w http.ResponseWriter, e ogcapi.Exception) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Del("Content-Length")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// writeJSON sends v as a JSON document with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	return writeJSONBody(w, status, v)
}

// writeJSONCompact is writeJSON without indentation.
func writeJSONCompact(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1)) // the client reads it into one buffer
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// writeJSONBody sends v as JSON under the Content-Type already set.
func writeJSONBody(w http.ResponseWriter, status int, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}
