package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/safetext"
)

// provider is a discovered OpenID provider.
type provider struct {
	issuer     string
	op         *gooidc.Provider
	endpoint   oauth2.Endpoint
	revocation string
}

// discover reads issuer/.well-known/openid-configuration; go-oidc checks that
// the document names the same issuer (Keycloak: …/realms/NAME, no trailing slash).
func (m *Manager) discover(ctx context.Context, issuer string) (*provider, error) {
	m.mu.Lock()
	p, ok := m.providers[issuer]
	m.mu.Unlock()
	if ok {
		return p, nil
	}
	op, err := gooidc.NewProvider(m.clientContext(ctx), issuer)
	var mismatch *gooidc.IssuerMismatchError
	if errors.As(err, &mismatch) && strings.TrimRight(mismatch.Discovered, "/") == strings.TrimRight(issuer, "/") {
		// Only a trailing slash differs (Auth0 and others end theirs with one).
		op, err = gooidc.NewProvider(m.clientContext(ctx), mismatch.Discovered)
	}
	if err != nil {
		if errors.As(err, &mismatch) {
			return nil, fmt.Errorf("%w: the provider at %s calls itself %s: use that as the issuer", keystore.ErrInvalid, issuer, mismatch.Discovered)
		}
		return nil, temporary{fmt.Errorf("%w: discovery at %s/.well-known/openid-configuration: %v", keystore.ErrUnavailable, issuer, err)}
	}
	var extra struct {
		Revocation string `json:"revocation_endpoint"`
	}
	_ = op.Claims(&extra)
	p = &provider{issuer: issuer, op: op, endpoint: op.Endpoint(), revocation: extra.Revocation}
	for _, e := range []struct{ name, url string }{{"authorization_endpoint", p.endpoint.AuthURL},
		{"token_endpoint", p.endpoint.TokenURL}, {"device_authorization_endpoint", p.endpoint.DeviceAuthURL},
		{"revocation_endpoint", p.revocation}} {
		if err := webURL(e.url); err != nil {
			return nil, fmt.Errorf("%w: the provider at %s names its %s %s", keystore.ErrInvalid, issuer, e.name, err)
		}
	}
	p.endpoint.AuthStyle = oauth2.AuthStyleAutoDetect
	m.mu.Lock()
	m.providers[issuer] = p
	m.mu.Unlock()
	return p, nil
}

// webURL returns an error when s, an address a provider sent for the browser or for
// geojobs to open, is neither empty nor an absolute http or https URL: a sign-in page
// at "file:///…", "javascript:…" or a desktop application's own scheme would have the
// system browser or the desktop open something other than a web page.
func webURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q, which is not an http or https address", safetext.OneLine(s, 200))
	}
	return nil
}

func (m *Manager) clientContext(ctx context.Context) context.Context {
	return context.WithValue(gooidc.ClientContext(ctx, m.hc), oauth2.HTTPClient, m.hc)
}

// config is the OAuth 2 client of key k at p.
func (p *provider) config(k *keystore.Key, redirect string) *oauth2.Config {
	return &oauth2.Config{ClientID: k.ClientID, ClientSecret: k.Secret.Reveal(), Endpoint: p.endpoint,
		Scopes: k.Scopes, RedirectURL: redirect}
}

// idClaims are the ID-token claims geojobs reads.
type idClaims struct {
	AZP               string `json:"azp"`
	PreferredUsername string `json:"preferred_username"`
	Email             string `json:"email"`
	Name              string `json:"name"`
}

// verifyIDToken checks an ID token: signature against the provider's JWKS,
// issuer, expiry and issue time with the clock skew allowed, the audience
// (it must contain the client id), Keycloak's azp (when present, and always when
// the token has several audiences, it must be this client) and the nonce when
// one was sent. A token meant for another client is refused in words that say so.
func (m *Manager) verifyIDToken(ctx context.Context, p *provider, k *keystore.Key, raw, nonce string) (*gooidc.IDToken, idClaims, error) {
	var c idClaims
	skew := m.skew
	// go-oidc compares "exp" with Now: going back by the skew allows a token
	// that, by this computer's clock, ended less than skew ago.
	v := p.op.Verifier(&gooidc.Config{SkipClientIDCheck: true, Now: func() time.Time { return m.now().Add(-skew) }})
	idt, err := v.Verify(m.clientContext(ctx), raw)
	if err != nil {
		var expired *gooidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, c, fmt.Errorf("the provider's ID token ended at %s, more than %s ago by this computer's clock: check the clock",
				expired.Expiry.UTC().Format(time.RFC3339), skew)
		}
		return nil, c, fmt.Errorf("the provider's ID token does not verify: %w", err)
	}
	if idt.IssuedAt.After(m.now().Add(skew)) {
		return nil, c, fmt.Errorf("the provider's ID token is issued in the future (%s, more than %s ahead of this computer's clock): check the clock",
			idt.IssuedAt.UTC().Format(time.RFC3339), skew)
	}
	if !slices.Contains(idt.Audience, k.ClientID) {
		return nil, c, fmt.Errorf("the provider's ID token is for %s, not for client %q (audience): check the key's client id",
			strings.Join(idt.Audience, ", "), k.ClientID)
	}
	if err := idt.Claims(&c); err != nil {
		return nil, c, fmt.Errorf("the provider's ID token: %w", err)
	}
	if (c.AZP != "" || len(idt.Audience) > 1) && c.AZP != k.ClientID {
		return nil, c, fmt.Errorf("the provider's ID token was issued to client %q, not %q (azp)", c.AZP, k.ClientID)
	}
	if nonce != "" && idt.Nonce != nonce {
		return nil, c, errors.New("the provider's ID token is not for this sign-in (nonce)")
	}
	return idt, c, nil
}

// displayName picks a readable name from the ID token's claims.
func (c idClaims) displayName() string {
	for _, s := range []string{c.PreferredUsername, c.Email, c.Name} {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// hcOrDefault returns hc (or a client with a sane timeout) under geojobs' redirect
// policy: a token or revocation request carries the client's secret and the user's
// codes and tokens, so it is never sent on to another site (netpolicy.CheckRedirect).
func hcOrDefault(hc *http.Client) *http.Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return netpolicy.Client(hc)
}
