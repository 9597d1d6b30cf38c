// Package oidc signs geojobs in to OpenID Connect providers (Keycloak and
// others) for the keystore's oidc keys: discovery, the authorization-code flow
// with PKCE and a loopback redirect (RFC 8252), the device authorization grant
// (RFC 8628) and client credentials; and it keeps the tokens fresh. It is the
// keystore's TokenSource: every credential the keystore hands out for an oidc
// key asks it for a token, refreshed before it expires, and renewed once when a
// server answers 401. Tokens are kept only in the encrypted keystore; nothing
// here logs or returns them except as keystore.Secret.
//
// It does not decide what a missing sign-in means for a job: it says
// keystore.ErrSignInNeeded and the job monitor keeps the job waiting.
package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/geojobs/geojobs/backend/events"
	"github.com/geojobs/geojobs/backend/keystore"
)

// DefaultSkew is the clock difference allowed with the provider when checking
// ID tokens (Keycloak deployments are often a minute off).
const DefaultSkew = 2 * time.Minute

// maxMargin bounds how long before its end a token is renewed.
const maxMargin = time.Minute

// Config configures a Manager.
type Config struct {
	// Store is the keystore holding the oidc keys and their sessions.
	Store *keystore.Store
	// HTTPClient talks to the providers; default: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Skew is the clock skew allowed on ID tokens; default DefaultSkew.
	Skew time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger notes refreshes and failures (never tokens); default discards.
	Logger *slog.Logger
}

// Manager gets, refreshes and forgets the tokens of oidc keys. It implements
// keystore.TokenSource; New sets it on the store. It is safe for concurrent use.
type Manager struct {
	st   *keystore.Store
	hc   *http.Client
	skew time.Duration
	now  func() time.Time
	log  *slog.Logger

	mu        sync.Mutex
	providers map[string]*provider
	keyLocks  map[string]*sync.Mutex
	changes   events.Feed[string]
}

var _ keystore.TokenSource = (*Manager)(nil)

// New returns a Manager for cfg.Store and makes it the store's token source.
func New(cfg Config) *Manager {
	m := &Manager{st: cfg.Store, hc: hcOrDefault(cfg.HTTPClient), skew: cfg.Skew, now: cfg.Now, log: cfg.Logger,
		providers: map[string]*provider{}, keyLocks: map[string]*sync.Mutex{}}
	if m.skew == 0 {
		m.skew = DefaultSkew
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	cfg.Store.SetTokenSource(m)
	return m
}

// Changes subscribes to the names of the keys that were signed in, failed to
// refresh or were signed out, from now on (the application wakes the jobs waiting
// for a sign-in).
func (m *Manager) Changes() *events.Queue[string] { return m.changes.Subscribe() }

func (m *Manager) notify(name string) { m.changes.Publish(name) }

func (m *Manager) keyLock(name string) *sync.Mutex {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.keyLocks[name]
	if !ok {
		l = &sync.Mutex{}
		m.keyLocks[name] = l
	}
	return l
}

// margin is how long before its end a session's token is renewed: a quarter of
// its lifetime, at least a second, at most a minute.
func margin(s *keystore.Session) time.Duration {
	life := s.Expiry.Sub(s.Obtained)
	return min(max(life/4, time.Second), maxMargin)
}

// AccessToken returns a valid access token for the oidc key k (by name: the
// store has the current session), refreshing it when less than a quarter of its
// lifetime is left. Without a refresh token (or with one the provider refuses)
// an interactive key gives ErrSignInNeeded; a client-credentials key asks for a
// new token.
func (m *Manager) AccessToken(ctx context.Context, k *keystore.Key) (keystore.Secret, error) {
	cur, err := m.st.Get(k.Name)
	if err != nil {
		return "", err
	}
	if cur.Session.Valid(m.now(), margin0(cur.Session)) {
		return cur.Session.AccessToken, nil
	}
	s, err := m.renew(ctx, cur, func(s *keystore.Session) bool { return s.Valid(m.now(), margin0(s)) })
	if err != nil {
		return "", err
	}
	return s.AccessToken, nil
}

func margin0(s *keystore.Session) time.Duration {
	if s == nil {
		return 0
	}
	return margin(s)
}

// Renew gets a new token after a server refused rejected, unless the current
// token is already another one.
func (m *Manager) Renew(ctx context.Context, k *keystore.Key, rejected keystore.Secret) error {
	m.log.Info("oidc: the server refused the token; renewing", "key", k.Name)
	cur, err := m.st.Get(k.Name)
	if err != nil {
		return err
	}
	_, err = m.renew(ctx, cur, func(s *keystore.Session) bool { return s.AccessToken != rejected && s.Valid(m.now(), 0) })
	return err
}

// renew gets a new access token for k without a person — by the refresh token,
// or the client credentials — unless good says the session is fine already
// (another caller or another geojobs renewed it). It runs under the keystore's
// session lock (Store.RenewSession), one renewal at a time for all processes.
func (m *Manager) renew(ctx context.Context, k *keystore.Key, good func(*keystore.Session) bool) (*keystore.Session, error) {
	if k.Kind != keystore.KindOIDC {
		return nil, fmt.Errorf("%w: %q is not an oidc key", keystore.ErrInvalid, k.Name)
	}
	l := m.keyLock(k.Name)
	l.Lock()
	defer l.Unlock()
	var signIn error
	s, err := m.st.RenewSession(k.Name, func(cur *keystore.Session) (*keystore.Session, error) {
		if good(cur) {
			return cur, nil
		}
		next, refusal, err := m.fetch(ctx, k, cur)
		signIn = refusal
		return next, err
	})
	if signIn != nil {
		m.notify(k.Name)
		return nil, signIn
	}
	if err != nil {
		return nil, err
	}
	m.log.Debug("oidc: token renewed", "key", k.Name, "expiry", s.Expiry)
	return s, nil
}

// fetch asks the provider for a new token. When the provider refuses the
// refresh token (expired, revoked) it returns the session without its tokens,
// to be stored, and the sign-in-needed error as refusal.
func (m *Manager) fetch(ctx context.Context, k *keystore.Key, old *keystore.Session) (next *keystore.Session, refusal, err error) {
	if k.Flow == keystore.FlowClientCredentials {
		s, err := m.clientCredentials(ctx, k)
		return s, nil, err
	}
	if !old.CanRefresh() {
		return nil, nil, signInNeeded(k, "not signed in")
	}
	p, err := m.discover(ctx, k.Issuer)
	if err != nil {
		return nil, nil, err
	}
	tok, err := p.config(k, "").TokenSource(m.clientContext(ctx), &oauth2.Token{RefreshToken: old.RefreshToken.Reveal()}).Token()
	if err != nil {
		if refused(err) {
			// The refresh token expired or was revoked: keep who it was, drop the tokens.
			m.log.Warn("oidc: the provider refused the refresh token; sign-in needed", "key", k.Name, "err", providerError(err))
			gone := &keystore.Session{Subject: old.Subject, Name: old.Name, Obtained: old.Obtained, Expiry: old.Expiry}
			return gone, signInNeeded(k, "the provider refused to renew the sign-in ("+providerError(err)+")"), nil
		}
		return nil, nil, temporary{fmt.Errorf("%w: renewing the sign-in of key %q at %s: %s", keystore.ErrUnavailable, k.Name, k.Issuer, providerError(err))}
	}
	s, err := m.session(ctx, p, k, tok, "", old)
	return s, nil, err
}

func (m *Manager) clientCredentials(ctx context.Context, k *keystore.Key) (*keystore.Session, error) {
	p, err := m.discover(ctx, k.Issuer)
	if err != nil {
		return nil, err
	}
	cc := clientcredentials.Config{ClientID: k.ClientID, ClientSecret: k.Secret.Reveal(), TokenURL: p.endpoint.TokenURL,
		Scopes: k.Scopes, AuthStyle: oauth2.AuthStyleAutoDetect}
	tok, err := cc.Token(m.clientContext(ctx))
	if err != nil {
		if refused(err) {
			return nil, fmt.Errorf("%w: the provider refused the client credentials of key %q (%s)", keystore.ErrDenied, k.Name, providerError(err))
		}
		return nil, temporary{fmt.Errorf("%w: client credentials of key %q at %s: %s", keystore.ErrUnavailable, k.Name, k.Issuer, providerError(err))}
	}
	return m.session(ctx, p, k, tok, "", nil)
}

// session turns a token response into a Session, verifying its ID token.
func (m *Manager) session(ctx context.Context, p *provider, k *keystore.Key, tok *oauth2.Token, nonce string, old *keystore.Session) (*keystore.Session, error) {
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("%w: the provider sent no access token", keystore.ErrInvalid)
	}
	now := m.now()
	s := &keystore.Session{Obtained: now, Expiry: now.Add(lifetime(tok)), AccessToken: keystore.Secret(tok.AccessToken),
		RefreshToken: keystore.Secret(tok.RefreshToken)}
	if v, ok := tok.Extra("refresh_expires_in").(float64); ok && v > 0 {
		s.RefreshExpiry = now.Add(time.Duration(v) * time.Second)
	}
	if old != nil {
		s.Subject, s.Name = old.Subject, old.Name
		if s.RefreshToken.IsZero() { // the provider keeps the refresh token unchanged
			s.RefreshToken = old.RefreshToken
			s.RefreshExpiry = old.RefreshExpiry
		}
		s.IDToken = old.IDToken
	}
	if raw, _ := tok.Extra("id_token").(string); raw != "" {
		idt, c, err := m.verifyIDToken(ctx, p, k, raw, nonce)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", keystore.ErrDenied, err)
		}
		if s.Subject != "" && idt.Subject != s.Subject {
			return nil, fmt.Errorf("%w: the provider renewed the sign-in for another user", keystore.ErrDenied)
		}
		s.Subject, s.Name, s.IDToken = idt.Subject, c.displayName(), keystore.Secret(raw)
	} else if nonce != "" {
		return nil, fmt.Errorf("%w: the provider sent no ID token (is \"openid\" among the scopes?)", keystore.ErrInvalid)
	}
	if s.Subject == "" {
		s.Subject = unverifiedSubject(tok.AccessToken)
		if s.Subject == "" {
			s.Subject = k.ClientID
		}
	}
	return s, nil
}

// lifetime is how long the access token of tok lasts, by its expires_in: the
// Manager counts it on its own clock (oauth2 sets tok.Expiry by time.Now).
// Without expires_in it assumes a short one: a 401 renews it anyway.
func lifetime(tok *oauth2.Token) time.Duration {
	switch {
	case tok.ExpiresIn > 0:
		return time.Duration(tok.ExpiresIn) * time.Second
	case !tok.Expiry.IsZero(): // a form-encoded answer: oauth2 keeps only Expiry
		return time.Until(tok.Expiry)
	}
	return 5 * time.Minute
}

// unverifiedSubject reads "sub" from a JWT access token for display only
// (geojobs never trusts it; the server checks the token).
func unverifiedSubject(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Sub
}

// refused reports an OAuth error answer meaning "these credentials are no good"
// (as opposed to the provider being unreachable or failing).
func refused(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	switch re.ErrorCode {
	case "invalid_grant", "invalid_client", "unauthorized_client", "invalid_token":
		return true
	}
	return re.Response != nil && (re.Response.StatusCode == http.StatusBadRequest || re.Response.StatusCode == http.StatusUnauthorized)
}

// providerError words an error from the token endpoint without its body (which
// may echo what was sent).
func providerError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := re.ErrorCode
		if msg == "" && re.Response != nil {
			msg = re.Response.Status
		}
		if re.ErrorDescription != "" {
			msg += ": " + re.ErrorDescription
		}
		return msg
	}
	return err.Error()
}

// temporary marks a failure to reach the provider as passing: the ogcapi client
// retries the request as it retries network failures.
type temporary struct{ error }

func (t temporary) Unwrap() error   { return t.error }
func (t temporary) Temporary() bool { return true }

func signInNeeded(k *keystore.Key, why string) error {
	return &keystore.SignInNeededError{Key: k.Name, Reason: why}
}

// SignOut forgets the key's tokens and asks the provider to revoke the refresh
// token (best effort: the tokens are forgotten whatever the provider says).
func (m *Manager) SignOut(ctx context.Context, name string) error {
	l := m.keyLock(name)
	l.Lock()
	defer l.Unlock()
	k, err := m.st.Get(name)
	if err != nil {
		return err
	}
	if k.Session == nil {
		return nil
	}
	if k.Session.CanRefresh() {
		if p, err := m.discover(ctx, k.Issuer); err == nil && p.revocation != "" {
			if err := m.revoke(ctx, p, k, k.Session.RefreshToken); err != nil {
				m.log.Warn("oidc: revoking the refresh token", "key", name, "err", err)
			}
		}
	}
	if err := m.st.SetSession(name, nil); err != nil {
		return err
	}
	m.notify(name)
	return nil
}
