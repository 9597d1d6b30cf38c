package keystore

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// KindOIDC is a sign-in with an OpenID Connect provider (Keycloak and others)
// for an HTTP endpoint: the key holds the provider (Issuer), the client
// (ClientID, Secret for confidential clients), the Scopes and the Flow, and the
// tokens of the current sign-in (Session). The tokens live only in the
// encrypted keystore file.
const KindOIDC Kind = "oidc"

// OIDCFlow is how an oidc key signs in.
type OIDCFlow string

// The flows.
const (
	// FlowAuthCode is the authorization-code flow with PKCE and a loopback
	// redirect (RFC 8252): the provider's page opens in a browser.
	FlowAuthCode OIDCFlow = "auth-code"
	// FlowDevice is the device authorization grant (RFC 8628): a URL and a code
	// to enter on any device.
	FlowDevice OIDCFlow = "device"
	// FlowClientCredentials is the client-credentials grant for service
	// accounts: no person signs in; the client secret is needed.
	FlowClientCredentials OIDCFlow = "client-credentials"
)

// ParseFlow accepts a flow name.
func ParseFlow(s string) (OIDCFlow, error) {
	switch f := OIDCFlow(strings.ToLower(strings.TrimSpace(s))); f {
	case FlowAuthCode, FlowDevice, FlowClientCredentials:
		return f, nil
	}
	return "", invalid("unknown flow %q (want auth-code, device or client-credentials)", s)
}

// Interactive reports whether the flow needs a person to sign in.
func (f OIDCFlow) Interactive() bool { return f != FlowClientCredentials }

// Session is the current sign-in of an oidc key. The tokens are Secrets: they
// mask themselves everywhere and are only written into the encrypted file.
type Session struct {
	// Subject is the signed-in user's (or service account's) "sub"; Name a
	// readable name (preferred_username or email) when the ID token has one.
	Subject string `json:"subject,omitempty"`
	Name    string `json:"name,omitempty"`
	// Obtained is when the access token was issued to us, Expiry when it ends.
	Obtained time.Time `json:"obtained"`
	Expiry   time.Time `json:"expiry"`
	// RefreshExpiry is when the refresh token ends, when the provider says
	// (Keycloak's refresh_expires_in); zero when unknown or offline.
	RefreshExpiry time.Time `json:"refreshExpiry,omitzero"`

	AccessToken  Secret `json:"accessToken,omitempty"`
	RefreshToken Secret `json:"refreshToken,omitempty"`
	IDToken      Secret `json:"idToken,omitempty"`
}

// CanRefresh reports whether a new access token can be had without a person.
func (s *Session) CanRefresh() bool { return s != nil && !s.RefreshToken.IsZero() }

// Valid reports whether the access token is usable at now with margin to spare.
func (s *Session) Valid(now time.Time, margin time.Duration) bool {
	return s != nil && !s.AccessToken.IsZero() && now.Add(margin).Before(s.Expiry)
}

func (k *Key) normalizeOIDC() error {
	k.Prefix = strings.TrimSpace(k.Prefix)
	if k.Prefix == "" {
		return invalid("an oidc key needs the URL prefix of the endpoint it signs in to")
	}
	if err := checkHTTPURL("prefix", k.Prefix); err != nil {
		return err
	}
	k.Issuer = strings.TrimSuffix(strings.TrimSpace(k.Issuer), "/.well-known/openid-configuration")
	if k.Issuer == "" {
		return invalid("an oidc key needs the issuer URL (Keycloak: https://host/realms/NAME)")
	}
	if err := checkHTTPURL("issuer", k.Issuer); err != nil {
		return err
	}
	if u, _ := url.Parse(k.Issuer); u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return invalid("issuer %q must use https (plain http only for a provider on this machine)", k.Issuer)
	}
	k.ClientID = strings.TrimSpace(k.ClientID)
	if k.ClientID == "" {
		return invalid("an oidc key needs a client id")
	}
	flow, err := ParseFlow(string(k.Flow))
	if err != nil {
		return err
	}
	k.Flow = flow
	if k.Flow == FlowClientCredentials && k.Secret.IsZero() {
		return invalid("the client-credentials flow needs the client secret")
	}
	if strings.ContainsAny(k.Secret.Reveal(), "\r\n") {
		return invalid("the client secret cannot contain line breaks")
	}
	var scopes []string
	for _, s := range k.Scopes {
		scopes = append(scopes, strings.Fields(s)...)
	}
	if len(scopes) == 0 {
		scopes = DefaultScopes(k.Flow)
	}
	if !slices.Contains(scopes, "openid") {
		scopes = append([]string{"openid"}, scopes...)
	}
	k.Scopes = slices.Compact(scopes)
	k.Endpoint, k.Bucket, k.Region, k.AccessKey, k.Username, k.Header, k.Scheme = "", "", "", "", "", "", ""
	k.PathStyle, k.Public, k.Readable = false, false, false
	return nil
}

// DefaultScopes are the scopes of an oidc key that names none: openid, and for
// people offline_access, so a sign-in outlasts a long job (Keycloak's offline
// sessions).
func DefaultScopes(f OIDCFlow) []string {
	if f.Interactive() {
		return []string{"openid", "offline_access"}
	}
	return []string{"openid"}
}

func loopbackHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// TokenSource gives oidc keys their access tokens; backend/oidc implements it.
// It is set on the Store with SetTokenSource so that every credential the store
// hands out (Credentials, Authorizer) can sign requests with a fresh token.
type TokenSource interface {
	// AccessToken returns a valid access token for the key, refreshing it when it
	// is near its end. With no way to get one without a person it must return an
	// error for which errors.Is(err, ErrSignInNeeded) holds.
	AccessToken(ctx context.Context, k *Key) (Secret, error)
	// Renew is called when the server rejected the token rejected: it must get a
	// new one (unless another caller already did) or fail as AccessToken does.
	Renew(ctx context.Context, k *Key, rejected Secret) error
}

// SetTokenSource sets how oidc keys get their tokens.
func (s *Store) SetTokenSource(ts TokenSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = ts
}

// Credentials returns the request credentials for k with the store's token
// source, so oidc keys work too (Key.Credentials cannot sign in).
func (s *Store) Credentials(k *Key) *Credentials {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return &Credentials{key: *k, tokens: s.tokens}
}

// SetSession stores (or, with nil, forgets: sign out) the sign-in of the named
// oidc key and writes the file, under the lock RenewSession takes. It does not
// change the key's Updated time.
func (s *Store) SetSession(name string, sess *Session) error {
	_, err := s.RenewSession(name, func(*Session) (*Session, error) {
		if sess == nil {
			return nil, nil
		}
		return sess, nil
	})
	return err
}

// FileSession reads the named key's session from the file as it is now (another
// geojobs process sharing the data dir may have renewed it). It decrypts the
// file: with a passphrase that takes a second.
func (s *Store) FileSession(name string) (*Session, error) {
	s.mu.RLock()
	if !s.unlocked {
		s.mu.RUnlock()
		return nil, ErrLocked
	}
	id, pass := s.identity, s.passphrase
	s.mu.RUnlock()
	_, keys, err := s.decryptFile(s.path, func() (identities, error) {
		if id != "" {
			return x25519Identities(id)
		}
		return scryptIdentities(pass)
	})
	if err != nil {
		return nil, err
	}
	k, ok := keys[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return k.Session, nil
}
