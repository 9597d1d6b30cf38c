// Package stacsearch finds STAC Items for a process's inputs: it searches STAC APIs
// (item search by GET or POST, with the filter or query extension only where the
// landing page's conformsTo declares it) and static catalogs (catalog.json crawled
// through child and item links, filtered here).
//
// Paging follows the server's "next" links exactly as given: a GET href is requested
// verbatim (its token is opaque), a POST link's body is sent as it is, or merged into
// the previous request when the link says merge. Paging stops on a missing next link or
// an empty page, never on counts, which servers report inconsistently.
//
// The package does not store catalogs, render pages or download assets; backend/stac
// holds the document types it returns.
package stacsearch

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/geojobs/geojobs/backend/safetext"
	"github.com/geojobs/geojobs/backend/stac"
)

// ErrUnsupported: the search asks for something the server does not declare (filter
// without the filter conformance class, query without the query class, item search on
// a server without a search link). Nothing was sent.
var ErrUnsupported = errors.New("stacsearch: not supported by this server")

// ErrInvalid: the search parameters are invalid (bad bbox, datetime, filter JSON).
var ErrInvalid = stac.ErrInvalid

// APIError is a STAC API answer other than 2xx. It is classified by its status (Is
// ErrNotFound, ErrPermissionDenied, ErrUnavailable of backend/stac), never by the
// server's code string, which differs between servers ("NotFound", "NotFoundError").
type APIError struct {
	Status int
	// Code and Description come from a JSON error body; Text is a plain-text body
	// (Planetary Computer answers 400 and 422 in text/plain), cut to one line.
	Code, Description, Text string
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	switch {
	case e.Description != "":
		msg += ": " + e.Description
	case e.Text != "":
		msg += ": " + e.Text
	}
	return msg
}

// Is classifies the error by status, as stac.StatusError does.
func (e *APIError) Is(target error) bool {
	return (&stac.StatusError{StatusCode: e.Status}).Is(target) ||
		(target == ErrInvalid && (e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity))
}

// newAPIError reads an error body: JSON {"code","description"} when it parses as such,
// else text, whatever the Content-Type says.
func newAPIError(status int, contentType string, body []byte) *APIError {
	e := &APIError{Status: status}
	var j struct {
		Code        string `json:"code"`
		Description string `json:"description"`
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if (strings.Contains(mt, "json") || len(body) > 0 && body[0] == '{') && jsonUnmarshal(body, &j) == nil && (j.Code != "" || j.Description != "") {
		e.Code, e.Description = oneLine(j.Code), oneLine(j.Description)
		return e
	}
	e.Text = oneLine(string(body))
	return e
}

func oneLine(s string) string { return safetext.OneLine(s, 200) }
