package oidc_test

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
)

// setup is a provider, a gateway in front of a built-in endpoint, and an
// unlocked keystore with a Manager, all on one clock the test advances.
type setup struct {
	clock    *oidctest.Clock
	op       *oidctest.Provider
	gw       *oidctest.Gateway
	endpoint string
	st       *keystore.Store
	m        *oidc.Manager
}

func newSetup(t *testing.T, opts oidctest.Options) *setup {
	t.Helper()
	clock := oidctest.NewClock()
	opts.Now = clock.Now
	op := oidctest.Start(t, opts)
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 2})
	target, _ := url.Parse(ep.URL)
	gw := op.NewGateway(proxyTo(target))
	gs := httptestServer(t, gw)
	st, err := keystore.Open(keystore.Config{Fs: afero.NewMemMapFs(), Dir: "/data", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Unlock("pass phrase"); err != nil {
		t.Fatal(err)
	}
	return &setup{clock: clock, op: op, gw: gw, endpoint: gs.URL + "/", st: st, m: oidc.New(oidc.Config{Store: st, Now: clock.Now})}
}

func (s *setup) addKey(t *testing.T, name string, flow keystore.OIDCFlow) *keystore.Key {
	t.Helper()
	k := keystore.Key{Name: name, Kind: keystore.KindOIDC, Prefix: s.endpoint, Issuer: s.op.Issuer, Flow: flow}
	switch flow {
	case keystore.FlowAuthCode:
		k.ClientID = oidctest.NativeClient
	case keystore.FlowDevice:
		k.ClientID, k.Secret = oidctest.DeviceClient, oidctest.DeviceSecret
	case keystore.FlowClientCredentials:
		k.ClientID, k.Secret = oidctest.ServiceClient, oidctest.ServiceSecret
	}
	added, err := s.st.Add(k)
	if err != nil {
		t.Fatal(err)
	}
	return added
}

func (s *setup) client(t *testing.T, k *keystore.Key) *ogcapi.Client {
	t.Helper()
	c, err := ogcapi.New(s.endpoint, ogcapi.WithCredentials(s.st.Credentials(k)), ogcapi.WithRetry(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAuthCodeFlow(t *testing.T) {
	s := newSetup(t, oidctest.Options{})
	k := s.addKey(t, "zoo", keystore.FlowAuthCode)
	ctx := t.Context()
	c := s.client(t, k)
	if _, err := c.Landing(ctx); !errors.Is(err, keystore.ErrSignInNeeded) {
		t.Fatalf("before signing in: %v, want sign-in needed", err)
	}
	login, err := s.m.Begin(ctx, "zoo")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(login.URL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Fatalf("authorization URL lacks PKCE or a loopback redirect: %s", login.URL)
	}
	done := make(chan error, 1)
	go func() { _, err := login.Wait(ctx); done <- err }()
	if _, err := s.op.SignIn(login.URL); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, _ := s.st.Get("zoo")
	if got.Session == nil || got.Session.Subject != oidctest.Subject || !got.Session.CanRefresh() {
		t.Fatalf("session after sign-in: %+v", got.Session)
	}
	if _, err := c.Landing(ctx); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	if !s.gw.Saw(oidctest.Subject) {
		t.Error("the gateway saw no token of the user")
	}
}

func TestDeviceFlowAndRefresh(t *testing.T) {
	s := newSetup(t, oidctest.Options{AccessTTL: time.Minute})
	k := s.addKey(t, "dev", keystore.FlowDevice)
	ctx := t.Context()
	login, err := s.m.Begin(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if login.UserCode == "" || login.VerificationURI == "" {
		t.Fatalf("device login shows nothing: %+v", login)
	}
	if err := s.op.CompleteDevice(login.UserCode); err != nil {
		t.Fatal(err)
	}
	if _, err := login.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := s.st.Get("dev")
	// Half-way through its life the token is used as it is.
	s.clock.Advance(first.Session.Expiry.Sub(first.Session.Obtained) / 2)
	if tok, err := s.m.AccessToken(ctx, k); err != nil || tok != first.Session.AccessToken {
		t.Fatalf("half-way through its life the token was renewed (%v)", err)
	}
	// Near its end it is renewed by the refresh token.
	s.clock.Advance(first.Session.Expiry.Add(-time.Second / 2).Sub(s.clock.Now()))
	tok, err := s.m.AccessToken(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if tok == first.Session.AccessToken {
		t.Fatal("the token near its end was not renewed")
	}
	again, _ := s.st.Get("dev")
	if again.Session.RefreshToken == first.Session.RefreshToken {
		t.Error("the rotated refresh token was not stored")
	}
	if _, err := s.client(t, k).Landing(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestClientCredentials(t *testing.T) {
	s := newSetup(t, oidctest.Options{})
	k := s.addKey(t, "ci", keystore.FlowClientCredentials)
	ctx := t.Context()
	// No sign-in step: the first request gets a token.
	if _, err := s.client(t, k).Landing(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := s.st.Get("ci")
	if got.Session == nil || got.Session.Subject != oidctest.ServiceClient {
		t.Fatalf("session: %+v", got.Session)
	}
}

func TestRevokedRefreshTokenNeedsSignIn(t *testing.T) {
	s := newSetup(t, oidctest.Options{})
	k := s.addKey(t, "dev", keystore.FlowDevice)
	ctx := t.Context()
	if _, err := s.signInDevice(t, s.m, "dev"); err != nil {
		t.Fatal(err)
	}
	s.op.RevokeRefreshTokens(t)
	cur, _ := s.st.Get("dev")
	err := s.m.Renew(ctx, k, cur.Session.AccessToken)
	if !errors.Is(err, keystore.ErrSignInNeeded) {
		t.Fatalf("renew with a revoked refresh token: %v", err)
	}
	after, _ := s.st.Get("dev")
	if after.Session == nil || after.Session.Subject != oidctest.Subject || after.Session.CanRefresh() || !after.Session.AccessToken.IsZero() {
		t.Fatalf("session after the refusal: %+v", after.Session)
	}
}

// TestRenewAfter401: a server refuses a token the client still thinks valid
// (clocks differ, or the token was revoked): the client renews it once and the
// request goes through.
func TestRenewAfter401(t *testing.T) {
	s := newSetup(t, oidctest.Options{})
	k := s.addKey(t, "zoo", keystore.FlowAuthCode)
	ctx := t.Context()
	if _, err := s.signInBrowser(t, s.m, "zoo"); err != nil {
		t.Fatal(err)
	}
	first, _ := s.st.Get("zoo")
	// This computer's clock is behind: it would send the token on after its end.
	oidc.New(oidc.Config{Store: s.st, Now: func() time.Time { return s.clock.Now().Add(-30 * time.Second) }})
	// Spoil the stored token as a server would see an expired one.
	spoiled := *first.Session
	spoiled.AccessToken = keystore.Secret("not-a-jwt")
	if err := s.st.SetSession("zoo", &spoiled); err != nil {
		t.Fatal(err)
	}
	rejected := s.gw.Rejected.Load()
	if _, err := s.client(t, k).Landing(ctx); err != nil {
		t.Fatalf("after a 401 the token should be renewed: %v", err)
	}
	if s.gw.Rejected.Load() != rejected+1 {
		t.Errorf("gateway rejections: %d, want one", s.gw.Rejected.Load()-rejected)
	}
}

// TestExpiredRefreshTokenNeedsSignIn: the provider's refresh tokens end (here
// after a minute); renewing then says sign-in needed and keeps who was signed in.
func TestExpiredRefreshTokenNeedsSignIn(t *testing.T) {
	s := newSetup(t, oidctest.Options{AccessTTL: 15 * time.Second, RefreshTTL: time.Minute})
	k := s.addKey(t, "zoo", keystore.FlowAuthCode)
	ctx := t.Context()
	if _, err := s.signInBrowser(t, s.m, "zoo"); err != nil {
		t.Fatal(err)
	}
	// Within the refresh token's life an ended access token is renewed.
	s.clock.Advance(20 * time.Second)
	if _, err := s.client(t, k).Landing(ctx); err != nil {
		t.Fatalf("a request after the access token ended: %v", err)
	}
	// A minute after the last renewal its refresh token has ended.
	s.clock.Advance(time.Minute + time.Second)
	cur, _ := s.st.Get("zoo")
	if err := s.m.Renew(ctx, k, cur.Session.AccessToken); !errors.Is(err, keystore.ErrSignInNeeded) {
		t.Fatalf("renew with an expired refresh token: %v", err)
	}
	_, err := s.client(t, k).Landing(ctx)
	if !errors.Is(err, keystore.ErrSignInNeeded) || ogcapi.CodeOf(err) != ogcapi.Unauthorized {
		t.Fatalf("a request after the refusal: %v", err)
	}
	after, _ := s.st.Get("zoo")
	if after.Session == nil || after.Session.Subject != oidctest.Subject || after.Session.CanRefresh() {
		t.Fatalf("session after the refusal: %+v", after.Session)
	}
}

// TestKeycloakRealmIssuer: a Keycloak issuer is https://host/realms/NAME;
// discovery reads NAME's /.well-known/openid-configuration under it, and an
// issuer typed with a trailing slash works too. A sign-in and a request through
// the gateway succeed with it.
func TestKeycloakRealmIssuer(t *testing.T) {
	s := newSetup(t, oidctest.Options{Realm: "eoepca"})
	if !strings.HasSuffix(s.op.Issuer, "/realms/eoepca") {
		t.Fatalf("issuer %s", s.op.Issuer)
	}
	for _, issuer := range []string{s.op.Issuer, s.op.Issuer + "/"} {
		name := "zoo" + strconv.Itoa(len(issuer))
		k, err := s.st.Add(keystore.Key{Name: name, Kind: keystore.KindOIDC, Prefix: s.endpoint, Issuer: issuer,
			ClientID: oidctest.NativeClient, Flow: keystore.FlowAuthCode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.signInBrowser(t, s.m, name); err != nil {
			t.Fatalf("issuer %s: %v", issuer, err)
		}
		if _, err := s.client(t, k).Landing(t.Context()); err != nil {
			t.Fatalf("issuer %s: a request with the token: %v", issuer, err)
		}
	}
	// Another realm of the same server is another issuer: go-oidc's check that
	// the discovered issuer is the one asked for says so.
	k, _ := s.st.Add(keystore.Key{Name: "other", Kind: keystore.KindOIDC, Prefix: s.endpoint,
		Issuer: strings.TrimSuffix(s.op.Issuer, "eoepca") + "other", ClientID: oidctest.NativeClient, Flow: keystore.FlowAuthCode})
	if _, err := s.m.Begin(t.Context(), k.Name); err == nil {
		t.Error("a realm the server does not have: sign-in began")
	}
}
