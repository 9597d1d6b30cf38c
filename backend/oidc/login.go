package oidc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/geojobs/geojobs/backend/keystore"
)

// CallbackPath is the path of the loopback redirect URI
// (http://127.0.0.1:{port}/callback, RFC 8252 §7.3; the port is any free one).
const CallbackPath = "/callback"

// Login is a sign-in under way. Exactly one of its fields tells the person what
// to do: open URL (authorization code), or go to VerificationURI and enter
// UserCode (device). A client-credentials login needs nobody.
type Login struct {
	Key  string
	Flow keystore.OIDCFlow
	// URL is the provider's sign-in page (authorization code).
	URL string
	// VerificationURI and UserCode are the device flow's; VerificationURIComplete
	// has the code in it, when the provider gives one.
	VerificationURI, VerificationURIComplete, UserCode string
	// Expires is when the sign-in gives up.
	Expires time.Time

	wait   func(ctx context.Context) (*keystore.Session, error)
	cancel func()
}

// Wait waits for the person to sign in (or ctx, or the login's expiry), then
// stores the session in the keystore.
func (l *Login) Wait(ctx context.Context) (*keystore.Session, error) {
	defer l.cancel()
	if !l.Expires.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, l.Expires)
		defer cancel()
	}
	return l.wait(ctx)
}

// Cancel abandons the login (it closes the loopback listener).
func (l *Login) Cancel() { l.cancel() }

// loginTimeout is how long an auth-code sign-in may take.
const loginTimeout = 10 * time.Minute

// Begin starts signing in with the named oidc key: for the authorization-code
// flow it opens a loopback listener on 127.0.0.1 and returns the provider's
// URL to open; for the device flow it asks the provider for a user code.
// Call Wait for the outcome.
func (m *Manager) Begin(ctx context.Context, name string) (*Login, error) {
	k, err := m.st.Get(name)
	if err != nil {
		return nil, err
	}
	if k.Kind != keystore.KindOIDC {
		return nil, fmt.Errorf("%w: %q is a %s key, not an oidc key", keystore.ErrInvalid, name, k.Kind)
	}
	p, err := m.discover(ctx, k.Issuer)
	if err != nil {
		return nil, err
	}
	switch k.Flow {
	case keystore.FlowAuthCode:
		return m.beginAuthCode(p, k)
	case keystore.FlowDevice:
		return m.beginDevice(ctx, p, k)
	default:
		return &Login{Key: name, Flow: k.Flow, cancel: func() {}, wait: func(ctx context.Context) (*keystore.Session, error) {
			s, err := m.renew(ctx, k, func(*keystore.Session) bool { return false })
			if err == nil {
				m.notify(name)
			}
			return s, err
		}}, nil
	}
}

func (m *Manager) finish(ctx context.Context, p *provider, k *keystore.Key, tok *oauth2.Token, nonce string) (*keystore.Session, error) {
	s, err := m.session(ctx, p, k, tok, nonce, nil)
	if err != nil {
		return nil, err
	}
	l := m.keyLock(k.Name)
	l.Lock()
	err = m.st.SetSession(k.Name, s)
	l.Unlock()
	if err != nil {
		return nil, err
	}
	m.log.Info("oidc: signed in", "key", k.Name, "subject", s.Subject, "expiry", s.Expiry)
	m.notify(k.Name)
	return s, nil
}

type callback struct {
	code string
	err  error
}

// beginAuthCode listens on a free loopback port (RFC 8252 §7.3) and builds
// the authorization URL with PKCE (S256), state and nonce.
func (m *Manager) beginAuthCode(p *provider, k *keystore.Key) (*Login, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("oidc: cannot listen for the sign-in redirect: %w", err)
	}
	redirect := "http://" + ln.Addr().String() + CallbackPath
	conf := p.config(k, redirect)
	verifier, state, nonce := oauth2.GenerateVerifier(), randomString(), randomString()
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))

	got := make(chan callback, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+CallbackPath, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("state") != state {
			http.Error(w, "This is not the sign-in geojobs is waiting for.", http.StatusBadRequest)
			return
		}
		cb := callback{code: q.Get("code")}
		if e := q.Get("error"); e != "" || cb.code == "" {
			cb.err = fmt.Errorf("%w: the provider refused the sign-in: %s %s", keystore.ErrDenied, e, q.Get("error_description"))
		}
		select {
		case got <- cb:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		msg := "Signed in: you can close this tab and go back to geojobs."
		if cb.err != nil {
			msg = "The sign-in did not work: " + cb.err.Error()
		}
		fmt.Fprintf(w, "<!doctype html><title>geojobs sign-in</title><p data-testid=\"signin-done\">%s</p>", html.EscapeString(msg))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	login := &Login{Key: k.Name, Flow: k.Flow, URL: authURL, Expires: m.now().Add(loginTimeout)}
	login.cancel = func() { srv.Close() }
	login.wait = func(ctx context.Context) (*keystore.Session, error) {
		var cb callback
		select {
		case cb = <-got:
		case <-ctx.Done():
			return nil, fmt.Errorf("sign-in of key %q: %w", k.Name, ctx.Err())
		}
		if cb.err != nil {
			return nil, cb.err
		}
		tok, err := conf.Exchange(m.clientContext(ctx), cb.code, oauth2.VerifierOption(verifier))
		if err != nil {
			return nil, fmt.Errorf("%w: exchanging the sign-in code: %s", keystore.ErrDenied, providerError(err))
		}
		return m.finish(ctx, p, k, tok, nonce)
	}
	return login, nil
}

func (m *Manager) beginDevice(ctx context.Context, p *provider, k *keystore.Key) (*Login, error) {
	if p.endpoint.DeviceAuthURL == "" {
		return nil, fmt.Errorf("%w: the provider %s offers no device authorization (no device_authorization_endpoint)", keystore.ErrInvalid, k.Issuer)
	}
	conf := p.config(k, "")
	da, err := conf.DeviceAuth(m.clientContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w: asking %s for a device code: %s", keystore.ErrDenied, k.Issuer, providerError(err))
	}
	for _, u := range []string{da.VerificationURI, da.VerificationURIComplete} {
		if err := webURL(u); err != nil {
			return nil, fmt.Errorf("%w: the provider %s gave as the page to enter the code %s", keystore.ErrInvalid, k.Issuer, err)
		}
	}
	login := &Login{Key: k.Name, Flow: k.Flow, VerificationURI: da.VerificationURI,
		VerificationURIComplete: da.VerificationURIComplete, UserCode: da.UserCode, Expires: da.Expiry, cancel: func() {}}
	login.wait = func(ctx context.Context) (*keystore.Session, error) {
		tok, err := conf.DeviceAccessToken(m.clientContext(ctx), da)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("sign-in of key %q: %w", k.Name, ctx.Err())
			}
			return nil, fmt.Errorf("%w: device sign-in: %s", keystore.ErrDenied, providerError(err))
		}
		return m.finish(ctx, p, k, tok, "")
	}
	return login, nil
}

// revoke asks the provider to revoke a token (RFC 7009).
func (m *Manager) revoke(ctx context.Context, p *provider, k *keystore.Key, tok keystore.Secret) error {
	form := url.Values{"token": {tok.Reveal()}, "token_type_hint": {"refresh_token"}}
	if k.Secret.IsZero() {
		form.Set("client_id", k.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.revocation, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !k.Secret.IsZero() {
		req.SetBasicAuth(url.QueryEscape(k.ClientID), url.QueryEscape(k.Secret.Reveal()))
	}
	res, err := m.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("revocation endpoint answered %s", res.Status)
	}
	return nil
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
