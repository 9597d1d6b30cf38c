package ogcapi

import (
	"errors"
	"net/http"
	"strings"
)

// Credentials authorise the requests a Client sends to its endpoint.
//
// Apply must only add headers (or query parameters) to req; it must not read or
// replace the body, and it must be safe for concurrent use. An error from Apply
// aborts the call with Code Unauthorized, or with Code Unavailable (retried like a
// network failure) when the error has a Temporary method reporting true. The Client applies credentials only to
// URLs of the endpoint's own origin (scheme, host and port), never to links that
// point elsewhere (S3 results, tool logs), and strips them on redirects that leave
// the origin. Whatever Apply sets is treated as secret: it is removed from error
// text and never logged.
type Credentials interface {
	Apply(req *http.Request) error
}

// Renewer is implemented by Credentials that may get new ones (OpenID Connect
// tokens). After a 401 answer to a request they authorised, the Client calls
// Renew with that request (its headers hold the refused credentials). When
// Renew reports renewed, the request is sent once more; when it reports not
// renewed with no error (credentials that cannot be renewed), the 401 stands;
// an error ends the call with Code Unauthorized, wrapping it.
type Renewer interface {
	Renew(rejected *http.Request) (renewed bool, err error)
}

// CredentialsFunc adapts a function to Credentials (a keystore that refreshes tokens, …).
type CredentialsFunc func(req *http.Request) error

// Apply calls f(req).
func (f CredentialsFunc) Apply(req *http.Request) error { return f(req) }

type headerCreds struct{ name, value string }

func (h headerCreds) Apply(req *http.Request) error {
	if h.value == "" {
		return errors.New("empty credential")
	}
	req.Header.Set(h.name, h.value)
	return nil
}

// Bearer sends "Authorization: Bearer <token>" (OIDC access tokens, e.g. EOEPCA / ZOO-DRU with Keycloak).
func Bearer(token string) Credentials {
	return headerCreds{name: "Authorization", value: "Bearer " + strings.TrimSpace(token)}
}
