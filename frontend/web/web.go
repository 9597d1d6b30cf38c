// Package web holds what every page handler shares: handlers that return errors, the
// one error mapper that turns them into a status and a readable message, and page
// rendering that serves a full load, an HTMX swap of the main region, or a single
// fragment from the same component.
package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/frontend/components"
)

// HandlerFunc is a page handler: it renders or returns an error for Handle to map.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h to http.Handler; an error it returns goes through Error.
func Handle(log *slog.Logger, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			Error(w, r, log, err)
		}
	})
}

// Page is what a handler renders.
type Page struct {
	Title   string
	Section components.Section
	Content templ.Component
	// Fragments are the ids of regions (templ.Fragment with the same id as the element)
	// that an HTMX request may target alone.
	Fragments []string
	// Status is the HTTP status (default 200).
	Status int
}

// IsHTMX reports a request made by HTMX (not a history restore, which needs the page).
func IsHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

// Render writes the page: a full document on a normal load, only a targeted fragment
// when an HTMX request targets one of p.Fragments, else only the main region.
func Render(w http.ResponseWriter, r *http.Request, p Page) error {
	var buf bytes.Buffer
	var err error
	target := r.Header.Get("HX-Target")
	switch {
	case IsHTMX(r) && target != "" && slices.Contains(p.Fragments, target):
		err = templ.RenderFragments(r.Context(), &buf, p.Content, target)
	case IsHTMX(r):
		err = components.Main(p.Section, p.Content).Render(r.Context(), &buf)
	default:
		err = components.Page(p.Title, p.Section, p.Content).Render(r.Context(), &buf)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Vary", "HX-Request, HX-Target")
	h.Set("Cache-Control", "no-store")
	if p.Status != 0 {
		w.WriteHeader(p.Status)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Redirect sends the browser to url after a successful POST: an HTMX request swaps the
// new page's main region in, pushes the URL and shows the new page from its top (as a
// navigation would, not at the form's scroll position); any other request gets a 303.
func Redirect(w http.ResponseWriter, r *http.Request, url string) {
	if IsHTMX(r) {
		loc, _ := json.Marshal(map[string]string{"path": url, "target": "#main", "select": "#main", "swap": "outerHTML show:window:top"})
		w.Header().Set("HX-Location", string(loc))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// Attachment sends v as an indented JSON file to save as filename.
func Attachment(w http.ResponseWriter, contentType, filename string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	_, err = w.Write(append(b, '\n'))
	return err
}

// UserError is an error whose message is meant for people, with the status to send.
type UserError struct {
	Status int
	Title  string
	Detail string
	// Link and LinkText lead the way on from the error page; default: the endpoints.
	Link, LinkText string
}

func (e *UserError) Error() string { return e.Title + ": " + e.Detail }

// NotFound is a UserError for a missing page or object.
func NotFound(what string) error {
	return &UserError{Status: http.StatusNotFound, Title: "Not found", Detail: what}
}

// BadRequest is a UserError for a request the page cannot act on.
func BadRequest(detail string) error {
	return &UserError{Status: http.StatusBadRequest, Title: "That did not work", Detail: detail}
}

// Describe maps an error to a status, a title and a detail for people. Internal
// failures get a generic message: their text is for the log only.
func Describe(err error) (status int, title, detail string) {
	var ue *UserError
	var ae *ogcapi.APIError
	switch {
	case errors.As(err, &ue):
		return ue.Status, ue.Title, ue.Detail
	case errors.As(err, &ae):
		return describeAPI(ae)
	}
	// Everything else by its code (backend/errs): the words and the status are the
	// code's; the detail is the error's own message, which classified errors word for
	// people. Unclassified (internal) failures say nothing of their text.
	switch c := errs.CodeOf(err); c {
	case errs.Unknown, errs.Internal, errs.DataLoss:
		return http.StatusInternalServerError, "Something went wrong", "geojobs could not complete this request. The details are in the log."
	case errs.Canceled:
		return errs.Status(c), errs.Title(c), "The request was canceled."
	case errs.Timeout:
		return errs.Status(c), errs.Title(c), "The operation took too long."
	default:
		return errs.Status(c), errs.Title(c), err.Error()
	}
}

// describeAPI explains an error of a remote OGC API server. The server's own words
// (its problem detail) are kept: they are escaped when rendered.
func describeAPI(e *ogcapi.APIError) (int, string, string) {
	if e.Status == 0 {
		// No answer at all: said as the endpoint's connection test says it.
		switch p, msg := endpoints.Explain(e); p {
		case endpoints.ProblemUnreachable:
			return http.StatusBadGateway, "Cannot reach the server", msg
		case endpoints.ProblemTLS:
			return http.StatusBadGateway, "The secure connection failed", msg
		}
	}
	status := http.StatusBadGateway
	title := "The server answered with an error"
	switch e.Code {
	case ogcapi.NoSuchProcess:
		status, title = http.StatusNotFound, "The endpoint has no such process"
	case ogcapi.NoSuchJob:
		status, title = http.StatusNotFound, "The endpoint has no such job"
	case ogcapi.NotFound:
		status, title = http.StatusNotFound, "The endpoint has no such resource"
	case ogcapi.InvalidInput:
		status, title = http.StatusUnprocessableEntity, "The server refused the request"
	case ogcapi.Unauthorized:
		title = "The server wants valid credentials (401)"
		if e.Status == 0 { // refused before sending: the credentials could not be applied
			status, title = http.StatusServiceUnavailable, "The endpoint's credentials could not be used"
		}
	case ogcapi.Forbidden:
		title = "The server refused access (403)"
	case ogcapi.Conflict:
		status, title = http.StatusConflict, "Conflict on the server"
	case ogcapi.Immutable:
		status, title = http.StatusConflict, "This process cannot be changed (it is built in)"
	case ogcapi.UnsupportedMedia:
		title = "The server does not accept this format"
	case ogcapi.Unavailable:
		title = "The server is unavailable"
	case ogcapi.Timeout:
		status, title = http.StatusGatewayTimeout, "The server did not answer in time"
	case ogcapi.BadResponse:
		title = "The server's answer could not be read"
		if errors.Is(e, netpolicy.ErrRefused) {
			title = "The server sent the request elsewhere"
		}
	case ogcapi.Canceled:
		status, title = 499, "Canceled"
	}
	if e.Exception.Title == "" && e.Exception.Detail == "" && looksLikeHTML(e.Body) {
		// A web page where OGC API JSON was expected: say what that means rather than
		// show the page's markup (F-25).
		if status == http.StatusNotFound || e.Code == ogcapi.BadResponse {
			title = "Not an OGC API – Processes server"
		}
		return status, title, fmt.Sprintf("%s %s answered %s with a web page, not OGC API JSON. This URL may not be an OGC API – Processes endpoint: check its path on the Endpoints page (for example …/ogc-api/), and test the connection there.",
			e.Method, e.URL, statusText(e.Status))
	}
	return status, title, e.Error()
}

// looksLikeHTML reports a response body that is an HTML page.
func looksLikeHTML(body string) bool {
	b := strings.ToLower(strings.TrimSpace(body))
	return strings.HasPrefix(b, "<!doctype html") || strings.HasPrefix(b, "<html") || strings.HasPrefix(b, "<head") ||
		strings.HasPrefix(b, "<body") || strings.HasPrefix(b, "<?xml") && strings.Contains(b, "<html")
}

func statusText(code int) string {
	if code == 0 {
		return "nothing"
	}
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}

// Error writes err as a page with a readable message (and logs internal failures).
// For an HTMX request the message replaces the main region.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, title, detail := Describe(err)
	if status >= 500 && status != http.StatusBadGateway && status != http.StatusGatewayTimeout {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if IsHTMX(r) {
		w.Header().Set("HX-Retarget", "#main")
		w.Header().Set("HX-Reswap", "outerHTML")
		w.Header().Set("HX-Reselect", "#main")
	}
	link, linkText := "/endpoints", "Back to the endpoints"
	if ue := (*UserError)(nil); errors.As(err, &ue) && ue.Link != "" {
		link, linkText = ue.Link, ue.LinkText
	}
	if rerr := Render(w, r, Page{Title: title, Content: components.ErrorPage(title, detail, link, linkText), Status: status}); rerr != nil {
		log.Error("render error page", "err", rerr)
	}
}
