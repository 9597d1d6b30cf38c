package netpolicy

import (
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
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
