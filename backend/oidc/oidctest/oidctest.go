// Package oidctest runs a real OpenID provider in-process for tests — the
// certified zitadel/oidc OP with its example storage and login page — with
// short token lifetimes, and a gateway that lets requests through to a
// processing server only with a valid JWT access token (checked against the
// provider's JWKS), as a Keycloak-protected platform does. It is for tests only.
package oidctest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The clients the provider knows, and its user.
const (
	// NativeClient is a public client for the authorization-code flow with PKCE
	// and any loopback redirect http://127.0.0.1:{port}/callback.
	NativeClient = "geojobs-native"
	// DeviceClient / DeviceSecret: a confidential client for the device flow.
	DeviceClient = "geojobs-device"
	DeviceSecret = "device-secret-Ew9x"
	// ServiceClient / ServiceSecret: a service account (client credentials).
	ServiceClient = "sid1"
	ServiceSecret = "verysecret"
	// Username / Password sign in on the provider's login page; Subject is the
	// user's "sub".
	Password = "verysecure"
	Subject  = "id1"
)

// Options configure the provider.
type Options struct {
	// AccessTTL is the access tokens' lifetime; default 15 s.
	AccessTTL time.Duration
	// RefreshTTL, when set, is the refresh tokens' lifetime.
	RefreshTTL time.Duration
	// SessionTTL, when set, ends the sign-in that long after it began: its
	// refresh tokens are refused however often they were rotated (Keycloak's
	// "SSO Session Max").
	SessionTTL time.Duration
	// IssuedAhead sets the provider's clock that far ahead of this computer's:
	// its ID tokens are issued in the future.
	IssuedAhead time.Duration
	// Now is this computer's clock, default time.Now. Give a Clock's Now (and
	// the same to the oidc.Manager) for tokens that end when the test advances
	// the clock: the provider issues tokens and ends them, its refresh tokens
	// and its sessions by it (plus IssuedAhead), and its gateways check tokens
	// by it.
	Now func() time.Time
	// Realm, when set, puts the issuer under /realms/REALM as Keycloak does
	// (https://host/realms/NAME); its login pages stay at the root.
	Realm string
	// ExtraAudience is added to the audience of every ID token (as a Keycloak
	// audience mapper does); the authorized party (azp) stays the client.
	ExtraAudience []string
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is the provider's issuer URL (discovery at Issuer/.well-known/openid-configuration).
	Issuer string
	// Username signs in with Password.
	Username string

	st   *storage.Storage
	opts Options

	mu         sync.Mutex
	refresh    map[string]issued // refresh token → how it was issued
	everIssued []string          // every refresh token, for tests that look for leaks
	accesses   atomic.Int64
	sessionTTL atomic.Int64 // time.Duration; 0: sign-ins last
}

type issued struct {
	client  string
	created time.Time
	session time.Time // when the sign-in began
}

// Start runs a provider until t ends.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.AccessTTL == 0 {
		opts.AccessTTL = 15 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hs := httptest.NewUnstartedServer(nil)
	hs.Start()
	t.Cleanup(hs.Close)
	issuer := hs.URL
	if opts.Realm != "" {
		issuer += "/realms/" + opts.Realm
	}
	users := storage.NewUserStore(hs.URL)
	clients := map[string]*storage.Client{
		NativeClient: storage.NativeClient(NativeClient, "http://127.0.0.1/callback"),
		DeviceClient: storage.DeviceClient(DeviceClient, DeviceSecret),
	}
	p := &Provider{Issuer: issuer, Username: users.GetUserByID(Subject).Username,
		st: storage.NewStorageWithClients(users, clients), opts: opts, refresh: map[string]issued{}}
	p.sessionTTL.Store(int64(opts.SessionTTL))
	h := exampleop.SetupServer(issuer, &wrapped{Storage: p.st, p: p}, nil, false)
	if opts.Realm == "" {
		hs.Config.Handler = h
	} else {
		mux := http.NewServeMux()
		mux.Handle("/realms/"+opts.Realm+"/", http.StripPrefix("/realms/"+opts.Realm, h))
		mux.Handle("/", h) // the login pages the provider links at the root
		hs.Config.Handler = mux
	}
	return p
}

// now is the provider's clock.
func (p *Provider) now() time.Time { return p.opts.Now().Add(p.opts.IssuedAhead) }

// RefreshTokens returns every refresh token the provider issued (tests look
// for them where no token may be).
func (p *Provider) RefreshTokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.everIssued)
}

// AccessTokensIssued counts the access tokens issued so far.
func (p *Provider) AccessTokensIssued() int64 { return p.accesses.Load() }

// EndSessionsAfter sets how long sign-ins last (Options.SessionTTL) from now
// on, for sign-ins made before too; 0: they last.
func (p *Provider) EndSessionsAfter(d time.Duration) { p.sessionTTL.Store(int64(d)) }

// RevokeRefreshTokens revokes every refresh token issued so far, as an
// administrator ending the sessions would.
func (p *Provider) RevokeRefreshTokens(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for tok, is := range p.refresh {
		if err := p.st.RevokeToken(context.Background(), tok, Subject, is.client); err != nil {
			t.Logf("oidctest: revoke: %v", err)
		}
		delete(p.refresh, tok)
	}
}

// CompleteDevice approves the device sign-in with userCode as the user (what
// the person does on the provider's /device page).
func (p *Provider) CompleteDevice(userCode string) error {
	return p.st.CompleteDeviceAuthorization(context.Background(), userCode, Subject)
}

// wrapped is the example storage with short token lifetimes, JWT access tokens
// and refresh tokens for the device flow.
type wrapped struct {
	*storage.Storage
	p *Provider
}

func (w *wrapped) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := w.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return jwtClient{c, w.p}, nil
}

func (w *wrapped) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := w.Storage.ClientCredentials(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	return jwtClient{c, w.p}, nil
}

func (w *wrapped) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := w.Storage.AuthRequestByCode(ctx, code)
	if err != nil || len(w.p.opts.ExtraAudience) == 0 {
		return r, err
	}
	return audienceRequest{r, w.p.opts.ExtraAudience}, nil
}

func (w *wrapped) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	s, err := w.Storage.GetDeviceAuthorizatonState(ctx, clientID, deviceCode)
	if err == nil {
		for _, a := range w.p.opts.ExtraAudience {
			if !slices.Contains(s.Audience, a) {
				s.Audience = append(s.Audience, a)
			}
		}
	}
	return s, err
}

// audienceRequest adds audiences to an authorization request's tokens.
type audienceRequest struct {
	op.AuthRequest
	extra []string
}

func (r audienceRequest) GetAudience() []string {
	return append(slices.Clone(r.AuthRequest.GetAudience()), r.extra...)
}

func (w *wrapped) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, _, err := w.Storage.CreateAccessToken(ctx, req)
	w.p.accesses.Add(1)
	return id, w.p.now().Add(w.p.opts.AccessTTL), err
}

func (w *wrapped) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	client := ""
	switch r := req.(type) {
	case *op.DeviceAuthorizationState:
		client = r.ClientID
	case op.RefreshTokenRequest:
		client = r.GetClientID()
	case op.AuthRequest:
		client = r.GetClientID()
	}
	id, refresh, _, err := w.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
	if err != nil {
		return "", "", time.Time{}, err
	}
	w.p.accesses.Add(1)
	now := w.p.now()
	w.p.mu.Lock()
	session := now
	if prev, ok := w.p.refresh[current]; ok && current != "" {
		session = prev.session
	}
	delete(w.p.refresh, current)
	w.p.refresh[refresh] = issued{client: client, created: now, session: session}
	w.p.everIssued = append(w.p.everIssued, refresh)
	w.p.mu.Unlock()
	return id, refresh, w.p.now().Add(w.p.opts.AccessTTL), nil
}

func (w *wrapped) TokenRequestByRefreshToken(ctx context.Context, tok string) (op.RefreshTokenRequest, error) {
	w.p.mu.Lock()
	is, ok := w.p.refresh[tok]
	w.p.mu.Unlock()
	if !ok {
		return nil, op.ErrInvalidRefreshToken
	}
	now := w.p.now()
	if w.p.opts.RefreshTTL > 0 && now.Sub(is.created) > w.p.opts.RefreshTTL {
		return nil, oidc.ErrInvalidGrant().WithDescription("refresh token expired")
	}
	if ttl := time.Duration(w.p.sessionTTL.Load()); ttl > 0 && now.Sub(is.session) > ttl {
		return nil, oidc.ErrInvalidGrant().WithDescription("session expired")
	}
	r, err := w.Storage.TokenRequestByRefreshToken(ctx, tok)
	if err != nil {
		return nil, err
	}
	return refreshRequest{r, is.client}, nil
}

// refreshRequest fixes the client of refresh tokens the example storage issued
// without one (device flow).
type refreshRequest struct {
	op.RefreshTokenRequest
	client string
}

func (r refreshRequest) GetClientID() string {
	if c := r.RefreshTokenRequest.GetClientID(); c != "" {
		return c
	}
	return r.client
}

// jwtClient makes a client's access tokens JWTs (what the gateway checks),
// lets every client refresh, and has the provider issue its tokens by the
// provider's clock.
type jwtClient struct {
	op.Client
	p *Provider
}

// ClockSkew is how far the provider's clock is behind the real one (negative:
// ahead): zitadel takes it off time.Now for the tokens' issue times and adds it
// to the access tokens' ends for expires_in.
func (c jwtClient) ClockSkew() time.Duration { return time.Since(c.p.now()) }

// IDTokenLifetime makes an ID token end a lifetime after it was issued less
// IssuedAhead (by this computer's clock, as with the real clock): zitadel
// sets its end at time.Now + ClockSkew + lifetime, so a test clock apart from
// the real one by d would move it by -2d.
func (c jwtClient) IDTokenLifetime() time.Duration {
	return c.Client.IDTokenLifetime() + 2*time.Until(c.p.opts.Now())
}

func (jwtClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

func (c jwtClient) GrantTypes() []oidc.GrantType {
	g := c.Client.GrantTypes()
	for _, x := range g {
		if x == oidc.GrantTypeRefreshToken {
			return g
		}
	}
	return append(g, oidc.GrantTypeRefreshToken)
}

// Gateway guards a processing server: a request passes only with
// "Authorization: Bearer <JWT>" signed by the provider, issued by it and not
// expired; otherwise 401 with WWW-Authenticate: Bearer. The Authorization
// header is removed before the request goes on.
type Gateway struct {
	// ResourceMetadata, set before use, makes the gateway publish its protected
	// resource metadata (RFC 9728) naming the provider, at
	// /.well-known/oauth-protected-resource, and name it in its challenges.
	ResourceMetadata bool

	issuer   string
	verifier *gooidc.IDTokenVerifier
	next     http.Handler
	// Accepted and Rejected count requests.
	Accepted, Rejected atomic.Int64
	// Subjects seen, for tests that check whose token came.
	mu       sync.Mutex
	subjects map[string]bool
	tokens   map[string]bool
}

// NewGateway guards next with p's tokens.
func (p *Provider) NewGateway(next http.Handler) *Gateway {
	ks := gooidc.NewRemoteKeySet(context.Background(), p.Issuer+"/keys")
	v := gooidc.NewVerifier(p.Issuer, ks, &gooidc.Config{SkipClientIDCheck: true, Now: p.opts.Now})
	return &Gateway{issuer: p.Issuer, verifier: v, next: next, subjects: map[string]bool{}, tokens: map[string]bool{}}
}

const resourceMetadataPath = "/.well-known/oauth-protected-resource"

func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := "http://" + r.Host
	challenge := `Bearer realm="geojobs-test"`
	if g.ResourceMetadata {
		if r.URL.Path == resourceMetadataPath {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"resource": origin + "/", "authorization_servers": []string{g.issuer}})
			return
		}
		challenge += `, resource_metadata="` + origin + resourceMetadataPath + `"`
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		g.Rejected.Add(1)
		w.Header().Set("WWW-Authenticate", challenge)
		http.Error(w, `{"title":"sign in"}`, http.StatusUnauthorized)
		return
	}
	tok, err := g.verifier.Verify(r.Context(), raw)
	if err != nil {
		g.Rejected.Add(1)
		w.Header().Set("WWW-Authenticate", challenge+`, error="invalid_token"`)
		http.Error(w, `{"title":"invalid token","detail":`+strconv.Quote(err.Error())+`}`, http.StatusUnauthorized)
		return
	}
	g.Accepted.Add(1)
	g.mu.Lock()
	g.subjects[tok.Subject] = true
	g.tokens[raw] = true
	g.mu.Unlock()
	r.Header.Del("Authorization")
	g.next.ServeHTTP(w, r)
}

// Tokens returns every access token the gateway accepted (tests look for them
// where no token may be).
func (g *Gateway) Tokens() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for t := range g.tokens {
		out = append(out, t)
	}
	return out
}

// Saw reports whether a token of subject came through.
func (g *Gateway) Saw(subject string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.subjects[subject]
}
