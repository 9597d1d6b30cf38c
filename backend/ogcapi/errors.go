package ogcapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/errs"
)

// Code classifies an error so that callers can act on it without reading messages.
type Code int

// The error codes. OK is the code of a nil error.
const (
	OK               Code = iota
	Unknown               // not classified
	NotFound              // 404/410 without a more precise OGC exception type
	NoSuchProcess         // no-such-process
	NoSuchJob             // no-such-job
	ResultNotReady        // result-not-ready: the job is still accepted or running
	InvalidInput          // 400, invalid-parameter-value, workflow-not-found, …
	Unauthorized          // 401: missing or rejected credentials
	Forbidden             // 403 (other than immutable-process)
	Conflict              // 409, duplicated-process
	Immutable             // immutable-process: a built-in process cannot be replaced or removed
	UnsupportedMedia      // 406/415, unsupported-media-type
	Unavailable           // 429/502/503, connection failures
	Timeout               // the call's time limit or the caller's deadline passed; 408/504
	BadResponse           // malformed JSON, wrong document shape, oversized body, a redirect refused (netpolicy)
	Internal              // 500/501 and other server failures
	Canceled              // the caller's context was canceled
)

var codeNames = [...]string{
	OK: "ok", Unknown: "unknown error", NotFound: "not found", NoSuchProcess: "no such process",
	NoSuchJob: "no such job", ResultNotReady: "result not ready", InvalidInput: "invalid input",
	Unauthorized: "unauthorized", Forbidden: "forbidden", Conflict: "conflict",
	Immutable: "immutable process", UnsupportedMedia: "unsupported media type",
	Unavailable: "unavailable", Timeout: "timeout", BadResponse: "bad response",
	Internal: "server error", Canceled: "canceled",
}

func (c Code) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", int(c))
}

// errsCodes maps the OGC API codes onto geojobs' error vocabulary (backend/errs).
var errsCodes = [...]errs.Code{
	OK: errs.Unknown, Unknown: errs.Unknown, NotFound: errs.NotFound, NoSuchProcess: errs.NotFound,
	NoSuchJob: errs.NotFound, ResultNotReady: errs.Conflict, InvalidInput: errs.InvalidArgument,
	Unauthorized: errs.Unauthenticated, Forbidden: errs.PermissionDenied, Conflict: errs.Conflict,
	Immutable: errs.Conflict, UnsupportedMedia: errs.Unsupported, Unavailable: errs.Unavailable,
	Timeout: errs.Timeout, BadResponse: errs.Unavailable, Internal: errs.Unavailable, Canceled: errs.Canceled,
}

// Errs is c in geojobs' error vocabulary. A server's own failure (500, a bad
// answer) is Unavailable from geojobs' side: the fault is not in the request.
func (c Code) Errs() errs.Code {
	if c >= 0 && int(c) < len(errsCodes) {
		return errsCodes[c]
	}
	return errs.Unknown
}

// APIError is the error of every Client operation: an HTTP error answer (Status > 0,
// with the server's problem details in Exception), a response the client could not
// read (Code BadResponse), or a transport failure (Status 0, cause in Err).
// URL and all text are redacted: credentials never appear in them.
type APIError struct {
	Method string
	URL    string // redacted
	Status int    // HTTP status; 0 when no answer was received
	Code   Code
	// Exception is the server's problem details (RFC 7807 / OGC exception), when it sent any.
	Exception Exception
	// Body is the start of the response body (at most bodySnippetLen bytes, printable text only).
	Body string
	// Location is the Location header of the answer, if any (a 409 duplicated-process may carry it).
	Location string
	Err      error // underlying cause for transport and decoding failures
	// Wait is the server's Retry-After (429/503), zero when it gave none.
	Wait time.Duration
	// Challenge is the WWW-Authenticate header of a 401 ("Bearer realm=…" when the
	// server wants an OAuth 2 / OpenID Connect token), cut to 1 KiB.
	Challenge string

	transient bool // a network failure or this exchange's time limit: a GET may be retried
}

const bodySnippetLen = 512

// RetryAfter is how long the server asked the client to wait (its Retry-After
// header), zero when it did not say. Schedulers that poll use it.
func (e *APIError) RetryAfter() time.Duration { return e.Wait }

// ErrorCode implements errs.Coder.
func (e *APIError) ErrorCode() errs.Code { return e.Code.Errs() }

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(pathOf(e.URL))
	b.WriteString(": ")
	if e.Status > 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	b.WriteString(e.Code.String())
	if d := e.detail(); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	return b.String()
}

// detail is the most useful human text the error carries.
func (e *APIError) detail() string {
	switch {
	case e.Exception.Detail != "":
		return oneLine(e.Exception.Detail, 300)
	case e.Exception.Title != "" && normToken(e.Exception.Title) != normToken(e.Code.String()):
		return oneLine(e.Exception.Title, 300)
	case e.Err != nil:
		return e.Err.Error()
	case e.Body != "" && e.Exception.Type == "":
		return oneLine(e.Body, 200)
	}
	return ""
}

func (e *APIError) Unwrap() error { return e.Err }

// CodeOf returns the Code of err: OK for nil, the APIError's code, InvalidInput for an
// *InputError, Canceled or Timeout for what errs.CodeOf calls so (the context's
// errors among them), Unknown otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return InvalidInput
	}
	switch errs.CodeOf(err) { // the context's errors, as errs reads them
	case errs.Canceled:
		return Canceled
	case errs.Timeout:
		return Timeout
	}
	return Unknown
}

// IsPermanent reports whether repeating the same call cannot help. Unavailable,
// Timeout, ResultNotReady and Internal are transient; everything else (including
// Canceled: the caller gave up) is permanent. A nil error is not permanent.
func IsPermanent(err error) bool {
	switch CodeOf(err) {
	case OK, Unavailable, Timeout, ResultNotReady, Internal:
		return false
	}
	return true
}

// exceptionCodes maps normalised exception types and titles (suffix of the type URI,
// lower case, without '-' and '_') to codes.
var exceptionCodes = map[string]Code{
	"nosuchprocess":              NoSuchProcess,
	"nosuchjob":                  NoSuchJob,
	"resultnotready":             ResultNotReady,
	"invalidparametervalue":      InvalidInput,
	"missingparametervalue":      InvalidInput,
	"invalidqueryparametervalue": InvalidInput,
	"workflownotfound":           InvalidInput,
	"nosuchoutput":               InvalidInput,
	"duplicatedprocess":          Conflict,
	"immutableprocess":           Immutable,
	"unsupportedmediatype":       UnsupportedMedia,
	"unsupportedschema":          UnsupportedMedia,
	"resultnotavailable":         NotFound,
	"notfound":                   NotFound,
	"locked":                     Conflict,
	"serverbusy":                 Unavailable,
}

// classify returns the code for an HTTP error answer. The exception's type suffix wins,
// then its title (ZOO: title "NoSuchJob" with a non-standard type URI), then the status;
// notFound is the code an otherwise unexplained 404 gets (NoSuchJob on /jobs/{id}, …).
//
// A 404 or 410 whose exception says only that a parameter was wrong is a missing
// resource: pygeoapi answers an unknown job on GET /jobs/{id} with 404 and code
// InvalidParameterValue (its description is the job id).
func classify(status int, exc Exception, notFound Code) Code {
	gone := status == http.StatusNotFound || status == http.StatusGone
	for _, s := range []string{typeSuffix(exc.Type), exc.Title} {
		if c, ok := exceptionCodes[normToken(s)]; ok && !(gone && c == InvalidInput) {
			return c
		}
	}
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return InvalidInput
	case http.StatusUnauthorized:
		return Unauthorized
	case http.StatusForbidden:
		return Forbidden
	case http.StatusNotFound, http.StatusGone:
		if notFound != OK {
			return notFound
		}
		return NotFound
	case http.StatusConflict:
		return Conflict
	case http.StatusNotAcceptable, http.StatusUnsupportedMediaType:
		return UnsupportedMedia
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return Timeout
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable:
		return Unavailable
	}
	if status >= 500 {
		return Internal
	}
	return Unknown
}

func typeSuffix(t string) string {
	t = strings.TrimRight(strings.TrimSpace(t), "/")
	if i := strings.LastIndexAny(t, "/#"); i >= 0 {
		return t[i+1:]
	}
	return t
}

func normToken(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r != '-' && r != '_' && r != ' ' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseException reads a problem-details body; anything else gives a zero Exception.
func parseException(body []byte) Exception {
	var raw struct {
		Type     any    `json:"type"`
		Title    any    `json:"title"`
		Status   any    `json:"status"`
		Detail   any    `json:"detail"`
		Instance any    `json:"instance"`
		Code     string `json:"code"`        // OGC API Common / pygeoapi style
		Desc     string `json:"description"` // pygeoapi style
	}
	if json.Unmarshal(body, &raw) != nil {
		return Exception{}
	}
	str := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case nil:
			return ""
		default:
			b, _ := json.Marshal(x)
			return string(b)
		}
	}
	e := Exception{Type: str(raw.Type), Title: str(raw.Title), Detail: str(raw.Detail), Instance: str(raw.Instance)}
	if f, ok := raw.Status.(float64); ok {
		e.Status = int(f)
	}
	if e.Type == "" {
		e.Type = raw.Code
	}
	if e.Detail == "" {
		e.Detail = raw.Desc
	}
	return e
}

// snippet returns the start of body as printable text.
func snippet(body []byte) string {
	if len(body) > bodySnippetLen {
		body = body[:bodySnippetLen]
	}
	s := strings.ToValidUTF8(string(body), "")
	// A cut in the middle of a rune leaves an invalid tail; drop it.
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-size]
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, s)
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
