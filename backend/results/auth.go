package results

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
)

// Scoped is credentials that apply only under one URL prefix: same scheme, host and
// port, and a path below Prefix's.
type Scoped struct {
	Prefix string
	Creds  ogcapi.Credentials
}

// Authorizer applies the first Scoped whose prefix covers a request's URL, else
// Fallback (the keystore's Authorizer(keystore.Download), say), else nothing. It is an
// httpget.Authorizer, so downloads and the asset proxy send each secret only where it
// belongs.
type Authorizer struct {
	Scopes   []Scoped
	Fallback httpget.Authorizer
}

var _ httpget.Authorizer = (*Authorizer)(nil)

// Apply adds the credentials that cover req.URL.
func (a *Authorizer) Apply(req *http.Request) error {
	for _, s := range a.Scopes {
		p, err := url.Parse(s.Prefix)
		if err != nil || s.Creds == nil {
			continue
		}
		if under(req.URL, p) {
			return s.Creds.Apply(req)
		}
	}
	if a.Fallback != nil {
		return a.Fallback.Apply(req)
	}
	return nil
}

// under reports whether u is on prefix's origin and, after normalisation, below its
// path (netpolicy.Under): the built-in endpoint's token never reaches the app's own
// pages through ".." or "%2e%2e" in an asset href.
func under(u, prefix *url.URL) bool { return netpolicy.Under(u, prefix) }

func sameOrigin(a, b *url.URL) bool { return netpolicy.SameOrigin(a, b) }

// OriginClient returns a copy of base (nil: a new client) whose requests to origin's
// scheme, host and port carry creds. The http.Client builds redirects from the
// original request, so a redirect elsewhere never carries them. Its transport is
// guarded (guarded): a request under a netpolicy.Scope reaches only what it allows.
func OriginClient(base *http.Client, origin string, creds ogcapi.Credentials) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	}
	c.Transport = guarded(c.Transport)
	if creds == nil {
		return &c
	}
	o, err := url.Parse(origin)
	if err != nil {
		return &c
	}
	c.Transport = &originCredentials{base: c.Transport, origin: o, creds: creds}
	return &c
}

// defaultTransport is http.DefaultTransport under geojobs' network policy, shared.
var defaultTransport = netpolicy.Transport(nil)

// guarded is tr under geojobs' network policy (netpolicy.Guard); nil: defaultTransport.
func guarded(tr http.RoundTripper) http.RoundTripper {
	if tr == nil {
		return defaultTransport
	}
	return netpolicy.Guard(tr)
}

type originCredentials struct {
	base   http.RoundTripper
	origin *url.URL
	creds  ogcapi.Credentials
}

// RoundTrip adds the credentials to a copy of requests for the origin.
func (t *originCredentials) RoundTrip(req *http.Request) (*http.Response, error) {
	if sameOrigin(req.URL, t.origin) {
		req = req.Clone(req.Context())
		if err := t.creds.Apply(req); err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
	}
	return t.base.RoundTrip(req)
}

// AuthClient returns a copy of base whose requests are authorised by auth (nil: none).
// Redirects are new requests, authorised for their own URL. Its transport is guarded
// as OriginClient's.
func AuthClient(base *http.Client, auth httpget.Authorizer) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	}
	c.Transport = guarded(c.Transport)
	if auth == nil {
		return &c
	}
	c.Transport = &authTransport{base: c.Transport, auth: auth}
	return &c
}

type authTransport struct {
	base http.RoundTripper
	auth httpget.Authorizer
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if err := t.auth.Apply(req); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	return t.base.RoundTrip(req)
}
