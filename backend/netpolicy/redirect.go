package netpolicy

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/geojobs/geojobs/backend/safetext"
)

// ErrRefused is wrapped by every refusal of this package (a redirect to another
// scheme, a downgrade to http with credentials, an address the Scope does not
// allow). It is permanent: retrying cannot help.
var ErrRefused = errors.New("refused by geojobs' network policy")

// MaxRedirects is how many redirects a request may follow.
const MaxRedirects = 10

// portable are the request headers that may follow a redirect to another origin:
// nothing in them identifies the user. Everything else (Authorization, Cookie, an
// API-key header of any name, S3 signature headers, Referer, …) is dropped.
var portable = map[string]bool{
	"Accept":          true,
	"Accept-Language": true,
	"Accept-Encoding": true,
	"User-Agent":      true,
	"Range":           true,
	"If-Range":        true,
	"If-Match":        true,
	"If-None-Match":   true,
	"Content-Type":    true,
}

// Credentialed reports whether h carries anything besides portable headers, that
// is, possibly a credential.
func Credentialed(h http.Header) bool {
	for k := range h {
		if !portable[textproto.CanonicalMIMEHeaderKey(k)] {
			return true
		}
	}
	return false
}

// CheckRedirect is the redirect policy of every geojobs HTTP client (install it with
// Client, or wrap an existing policy with WrapCheckRedirect):
//   - at most MaxRedirects;
//   - only http and https: a redirect to file:// or any other scheme ends the request
//     with an error wrapping ErrRefused;
//   - https → http is refused when the first request carried credentials;
//   - a request that is not a GET or HEAD (an execute POST, a deploy, a dismiss
//     DELETE, an upload) is followed only to its own origin and only when the
//     redirect keeps its method (307, 308): net/http turns it into a GET on 301, 302
//     and 303, and what that GET finds is not the answer to what was sent; on another
//     origin its body would go to a server the user did not choose;
//   - on a redirect to an origin other than the first request's, every header but
//     the portable ones is removed (net/http keeps API-key headers, and Authorization
//     across ports of one host name), the Referer included.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", MaxRedirects)
	}
	if len(via) == 0 {
		return nil
	}
	first := via[0]
	s := strings.ToLower(req.URL.Scheme)
	if s != "http" && s != "https" {
		return fmt.Errorf("%w: a redirect to a %q URL is never followed", ErrRefused, req.URL.Scheme)
	}
	if !readOnly(first.Method) {
		if req.Method != first.Method {
			return fmt.Errorf("%w: %s; following it would send a GET instead, and what is there is not the answer to the %s%s",
				ErrRefused, redirected(req, via), first.Method, upgradeHint(first, req))
		}
		if !SameOrigin(req.URL, first.URL) {
			return fmt.Errorf("%w: %s, another site; a %s is never sent on to another site%s",
				ErrRefused, redirected(req, via), first.Method, upgradeHint(first, req))
		}
	}
	if strings.EqualFold(first.URL.Scheme, "https") && s == "http" && (Credentialed(first.Header) || first.URL.User != nil) {
		return fmt.Errorf("%w: a redirect from https to http with credentials is not followed", ErrRefused)
	}
	if !SameOrigin(req.URL, first.URL) {
		for k := range req.Header {
			if !portable[textproto.CanonicalMIMEHeaderKey(k)] {
				delete(req.Header, k)
			}
		}
	}
	return nil
}

// readOnly reports whether a request with method m only reads ("" is GET).
func readOnly(m string) bool {
	return m == "" || m == http.MethodGet || m == http.MethodHead
}

// upgradeHint is what to do when a server sends an http request to its own https
// address (the usual redirect in front of a server): "" otherwise.
func upgradeHint(first, req *http.Request) string {
	if strings.EqualFold(first.URL.Scheme, "http") && strings.EqualFold(req.URL.Scheme, "https") &&
		strings.EqualFold(first.URL.Hostname(), req.URL.Hostname()) {
		return " (the server wants https: give its https address)"
	}
	return ""
}

// redirected says which request was redirected where, for refusals: "the server
// answered POST /processes/echo/execution with 302 Found pointing to https://…".
// Both URLs come from the server: they are shown without user info and query,
// on one line, cut to a readable length.
func redirected(req *http.Request, via []*http.Request) string {
	prev := via[len(via)-1]
	status := "a redirect"
	if req.Response != nil {
		status = req.Response.Status
		if t := http.StatusText(req.Response.StatusCode); t != "" {
			status = fmt.Sprintf("%d %s", req.Response.StatusCode, t)
		}
	}
	method := prev.Method
	if method == "" {
		method = http.MethodGet
	}
	return fmt.Sprintf("the server answered %s %s with %s pointing to %s", method,
		safetext.OneLine(safetext.URL(prev.URL), 200), safetext.OneLine(status, 60),
		safetext.OneLine(safetext.URL(req.URL), 200))
}

// WrapCheckRedirect returns a policy that runs next (when not nil) and then CheckRedirect.
func WrapCheckRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	if next == nil {
		return CheckRedirect
	}
	return func(req *http.Request, via []*http.Request) error {
		if err := next(req, via); err != nil {
			return err
		}
		return CheckRedirect(req, via)
	}
}

// Client returns a copy of base (nil: a new client with DefaultTransport) whose redirect
// policy is CheckRedirect after base's own.
func Client(base *http.Client) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	}
	c.CheckRedirect = WrapCheckRedirect(c.CheckRedirect)
	return &c
}

// GuardRedirects returns a RoundTripper (base nil: http.DefaultTransport) that holds
// every redirect an http.Client follows through it to CheckRedirect, for a library
// whose own http.Client geojobs cannot give its policy (gowebdav follows redirects
// with a policy of its own). A hop CheckRedirect refuses ends the request with its
// error; the headers it would drop are dropped from the hop sent.
func GuardRedirects(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return redirectGuard{base: base}
}

type redirectGuard struct{ base http.RoundTripper }

func (g redirectGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Response == nil { // not a redirect hop
		return g.base.RoundTrip(req)
	}
	// The requests before this hop, first to last: each hop's Response is the
	// redirect that made it, whose Request is the hop before.
	var via []*http.Request
	for prev := req.Response.Request; prev != nil; {
		via = append([]*http.Request{prev}, via...)
		if prev.Response == nil {
			break
		}
		prev = prev.Response.Request
	}
	refuse := func(err error) (*http.Response, error) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	if len(via) == 0 {
		return refuse(fmt.Errorf("%w: a redirect whose first request is not known is not followed", ErrRefused))
	}
	hop := req.Clone(req.Context()) // a RoundTripper must not change the request it is given
	if err := CheckRedirect(hop, via); err != nil {
		return refuse(err)
	}
	return g.base.RoundTrip(hop)
}

// CloseIdleConnections closes base's pooled connections.
func (g redirectGuard) CloseIdleConnections() {
	if c, ok := g.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
