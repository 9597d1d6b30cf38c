package keystore

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/geojobs/geojobs/backend/netpolicy"
)

// Credentials authorise HTTP requests with a key: HTTP keys by their scheme,
// WebDAV keys with basic authentication, S3 and EODATA keys by signing the
// request with AWS Signature V4. It implements ogcapi.Credentials (Apply only
// adds headers; it is safe for concurrent use).
//
// Apply refuses requests to a host the key is not for, so a redirect or a link
// to elsewhere can never carry the secret away.
type Credentials struct {
	key    Key
	tokens TokenSource // for oidc keys; see Store.Credentials
}

// Credentials returns the request credentials for the key.
func (k *Key) Credentials() *Credentials { return &Credentials{key: *k} }

// String names the key, never the secret.
func (c *Credentials) String() string { return "credentials of " + c.key.String() }

// Apply adds the key's authentication to req.
func (c *Credentials) Apply(req *http.Request) error {
	k := c.key
	if req == nil || req.URL == nil {
		return fmt.Errorf("%w: no request", ErrInvalid)
	}
	if !c.forHost(req) {
		return fmt.Errorf("%w: %s key %q is for %s, not for host %s", ErrNotAllowed, k.Kind, k.Name, k.Target(), req.URL.Host)
	}
	if k.Kind == KindOIDC {
		return c.applyToken(req)
	}
	if k.Secret.IsZero() {
		return fmt.Errorf("%w: key %q has no secret", ErrInvalid, k.Name)
	}
	switch k.Kind {
	case KindHTTP:
		switch k.Scheme {
		case SchemeBasic:
			req.Header.Set("Authorization", "Basic "+basic(k.Username, k.Secret.Reveal()))
		case SchemeHeader:
			req.Header.Set(k.Header, k.Secret.Reveal())
		default:
			req.Header.Set("Authorization", "Bearer "+k.Secret.Reveal())
		}
	case KindWebDAV:
		req.Header.Set("Authorization", "Basic "+basic(k.Username, k.Secret.Reveal()))
	case KindS3, KindEODATA:
		if req.Header.Get("X-Amz-Content-Sha256") == "" {
			req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		}
		signed := signer.SignV4(*req, k.AccessKey, k.Secret.Reveal(), "", k.Region)
		req.Header = signed.Header
	default:
		return fmt.Errorf("%w: unknown key kind %q", ErrInvalid, k.Kind)
	}
	return nil
}

// forHost reports whether req goes to a host the key is for (scheme, host and
// port of one of its URL prefixes).
func (c *Credentials) forHost(req *http.Request) bool {
	for _, p := range c.key.prefixes() {
		if strings.HasPrefix(p, "s3://") {
			continue
		}
		u, err := parseURL(p)
		if err != nil {
			continue
		}
		if netpolicy.SameOrigin(u, req.URL) {
			return true
		}
	}
	return false
}

// applyToken sends the oidc key's access token, fresh from the token source.
func (c *Credentials) applyToken(req *http.Request) error {
	if c.tokens == nil {
		return &SignInNeededError{Key: c.key.Name, Reason: "no token source (use Store.Credentials)"}
	}
	tok, err := c.tokens.AccessToken(req.Context(), &c.key)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.Reveal())
	return nil
}

// Renew asks for a new access token after the server rejected req's (it
// implements ogcapi.Renewer): the ogcapi client and the download engine call it
// on a 401 and retry once. Keys other than oidc keys report not renewed.
func (c *Credentials) Renew(req *http.Request) (bool, error) {
	if c.key.Kind != KindOIDC || c.tokens == nil {
		return false, nil
	}
	rejected := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	if err := c.tokens.Renew(req.Context(), &c.key, Secret(rejected)); err != nil {
		return false, err
	}
	return true, nil
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// URLCredentials authorise each request with the key the store matches for its
// URL and use (Store.Match), and leave requests no key matches untouched. It
// fits the transfer engine's http source (httpget.Authorizer): downloads from
// WebDAV shares, HTTP endpoints and S3 https URLs get their key's credentials.
type URLCredentials struct {
	store *Store
	use   Use
}

// Authorizer returns URLCredentials for use (usually Download).
func (s *Store) Authorizer(use Use) *URLCredentials { return &URLCredentials{store: s, use: use} }

// Apply adds the matching key's credentials to req. A URL that already carries a
// signature (a presigned S3 URL) is left alone: a second authentication would be
// refused by the server.
func (c *URLCredentials) Apply(req *http.Request) error {
	if req == nil || req.URL == nil {
		return fmt.Errorf("%w: no request", ErrInvalid)
	}
	q := req.URL.Query()
	if q.Has("X-Amz-Signature") || q.Has("Signature") {
		return nil
	}
	k, ok := c.store.Match(req.URL.String(), c.use)
	if !ok {
		return nil
	}
	return c.store.Credentials(k).Apply(req)
}

// Renew renews the token of the oidc key matching req's URL (see Credentials.Renew).
func (c *URLCredentials) Renew(req *http.Request) (bool, error) {
	k, ok := c.store.Match(req.URL.String(), c.use)
	if !ok {
		return false, nil
	}
	return c.store.Credentials(k).Renew(req)
}
