package ogcapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Challenge is the first challenge of a WWW-Authenticate header (RFC 9110
// §11.6.1): its scheme ("Bearer") and auth-params (realm, error,
// resource_metadata, …) with lower-case names.
type Challenge struct {
	Scheme string
	Params map[string]string
}

// ParseChallenge reads the first challenge of a WWW-Authenticate value. It is
// lenient: what it cannot read ends the parameters.
func ParseChallenge(h string) Challenge {
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	ch := Challenge{Scheme: scheme, Params: map[string]string{}}
	for rest = strings.TrimSpace(rest); rest != ""; {
		name, after, ok := strings.Cut(rest, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || strings.ContainsAny(name, " ,\"") || strings.HasPrefix(after, "=") {
			break // token68, or the next challenge
		}
		after = strings.TrimLeft(after, " ")
		var val string
		if strings.HasPrefix(after, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' && i+1 < len(after) {
					i++
				}
				b.WriteByte(after[i])
			}
			val, rest = b.String(), after[min(i+1, len(after)):]
		} else {
			val, rest, _ = strings.Cut(after, ",")
			val, rest = strings.TrimSpace(val), ","+rest
		}
		ch.Params[name] = val
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, ",") {
			break
		}
		rest = strings.TrimSpace(rest[1:])
	}
	return ch
}

// BearerChallenge returns the challenge of a 401 that asks for a bearer token
// (WWW-Authenticate: Bearer …): the server sits behind an OAuth 2 / OpenID
// Connect provider.
func BearerChallenge(err error) (Challenge, bool) {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		return Challenge{}, false
	}
	ch := ParseChallenge(ae.Challenge)
	return ch, strings.EqualFold(ch.Scheme, "bearer")
}

// WantsBearer reports whether the server answered 401 asking for a bearer token.
func WantsBearer(err error) bool {
	_, ok := BearerChallenge(err)
	return ok
}

// ResourceMetadata is an OAuth 2.0 protected resource's metadata (RFC 9728):
// which authorization servers (OpenID providers) issue its tokens.
type ResourceMetadata struct {
	Resource             string   `json:"resource"`
	AuthorizationServers []string `json:"authorization_servers"`
	ScopesSupported      []string `json:"scopes_supported,omitempty"`
}

// maxResourceMetadata bounds the metadata document.
const maxResourceMetadata = 64 << 10

// ProtectedResource reads the endpoint's protected resource metadata (RFC 9728)
// from the address a Bearer challenge names (resource_metadata), or else from
// the well-known address for the endpoint URL. It is asked without credentials.
// The metadata must be for the endpoint's origin and name an authorization
// server; otherwise the error's code is BadResponse.
func (c *Client) ProtectedResource(ctx context.Context, ch Challenge) (*ResourceMetadata, error) {
	var u *url.URL
	if s := ch.Params["resource_metadata"]; s != "" {
		var err error
		if u, err = c.base.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return nil, &APIError{Method: http.MethodGet, URL: redactURL(c.base), Code: BadResponse,
				Err: fmt.Errorf("the server's resource_metadata is not an http(s) URL")}
		}
	} else {
		// RFC 9728 §3.1: the well-known segment goes between host and path.
		u = &url.URL{Scheme: c.base.Scheme, Host: c.base.Host,
			Path: "/.well-known/oauth-protected-resource" + strings.TrimSuffix(c.base.Path, "/")}
	}
	r := request{method: http.MethodGet, url: u, notFound: NotFound, anonymous: true, maxBody: maxResourceMetadata}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	var md ResourceMetadata
	if err := decodeJSON(resp.body, &md); err != nil {
		return nil, badResponse(r, resp, err)
	}
	res, err := url.Parse(md.Resource)
	switch {
	case err != nil || !c.sameOrigin(res):
		return nil, badResponse(r, resp, fmt.Errorf("the metadata is for another resource (%q), not %s", md.Resource, c.base.Host))
	case len(md.AuthorizationServers) == 0:
		return nil, badResponse(r, resp, errors.New("the metadata names no authorization server"))
	}
	for _, as := range md.AuthorizationServers {
		if a, err := url.Parse(as); err != nil || (a.Scheme != "https" && a.Scheme != "http") || a.Host == "" {
			return nil, badResponse(r, resp, fmt.Errorf("the metadata names an authorization server that is not an http(s) URL"))
		}
	}
	return &md, nil
}
