package jobs

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// TestSignInNeededKeepsJob: a job on a server behind OpenID Connect whose
// sign-in ends half-way — its refresh token revoked, or expired with the
// provider's session — is kept, waiting for a sign-in (stored as such, with the
// key to sign in with; never failed); after signing in again it goes on and
// succeeds. Tokens end when the test advances the clock of the provider, the
// gateway and the oidc.Manager, however long requests take.
func TestSignInNeededKeepsJob(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(op *oidctest.Provider)
	}{
		{"revoked", func(op *oidctest.Provider) { op.RevokeRefreshTokens(t) }},
		// The provider's session ends 30 s after the sign-in: the refresh token
		// expires while the job runs (Keycloak's SSO Session Max).
		{"expired", func(op *oidctest.Provider) { op.EndSessionsAfter(30 * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) { testSignInNeeded(t, tc.end) })
	}
}

func testSignInNeeded(t *testing.T, endSignIn func(*oidctest.Provider)) {
	const ttl = time.Minute
	clock := oidctest.NewClock()
	op := oidctest.Start(t, oidctest.Options{AccessTTL: ttl, Now: clock.Now})
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 4})
	target, _ := url.Parse(ep.URL)
	// The monitor's polls wait until the sign-in has ended and the token with
	// it: none can see the job end before.
	hold := clock.NewHold(ttl)
	gw := httptest.NewServer(hold.Handler(op.NewGateway(httputil.NewSingleHostReverseProxy(target))))
	t.Cleanup(gw.Close)
	t.Cleanup(hold.End)

	ks, err := keystore.Open(keystore.Config{Fs: afero.NewMemMapFs(), Dir: "/data", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Unlock("pass"); err != nil {
		t.Fatal(err)
	}
	k, err := ks.Add(keystore.Key{Name: "platform", Kind: keystore.KindOIDC, Prefix: gw.URL + "/", Issuer: op.Issuer,
		ClientID: oidctest.NativeClient, Flow: keystore.FlowAuthCode})
	if err != nil {
		t.Fatal(err)
	}
	m := oidc.New(oidc.Config{Store: ks, Now: clock.Now})
	ctx := context.Background()
	signIn := func() {
		t.Helper()
		l, err := m.Begin(ctx, "platform")
		if err != nil {
			t.Fatal(err)
		}
		go op.SignIn(l.URL)
		if _, err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	signIn()

	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateEndpoint(ctx, store.Endpoint{ID: "platform", Title: "Platform", URL: gw.URL + "/", CredentialKey: "platform"}); err != nil {
		t.Fatal(err)
	}
	client, err := ogcapi.New(gw.URL+"/", ogcapi.WithRetry(0), ogcapi.WithCredentials(ks.Credentials(k)))
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan Change, 1024)
	cfg := fastConfig()
	cfg.Store, cfg.ClientFor = st, func(context.Context, string) (Remote, error) { return client, nil }
	cfg.OnChange = func(c Change) {
		select {
		case changes <- c:
		default:
		}
	}
	mon, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mon.Run(runCtx) }()
	defer func() { stop(); <-done; st.Close() }()

	req := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage(`1`), "step": json.RawMessage(`0.25`)}}
	j, err := mon.Submit(ctx, Submission{EndpointID: "platform", ProcessID: "countdown", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	endSignIn(op)
	hold.End()
	// With the token ended the monitor finds it cannot renew the sign-in.
	timeout := time.After(waitfor.Guard)
	for waiting := false; !waiting; {
		select {
		case c := <-changes:
			if c.JobID == j.ID && c.SignInKey != "" {
				if c.SignInKey != "platform" || c.UnreachableSince.IsZero() {
					t.Fatalf("waiting for the sign-in of %q (unreachable since %v)", c.SignInKey, c.UnreachableSince)
				}
				waiting = true
			}
			if c.JobID == j.ID && ogcapi.Terminal(c.Status) {
				t.Fatalf("the job ended (%s) while its sign-in was gone", c.Status)
			}
		case <-timeout:
			t.Fatal("no sign-in-needed change")
		}
	}
	got, _ := st.Job(ctx, j.ID)
	if got.Status == ogcapi.StatusFailed || got.UnreachableSince.IsZero() || got.SignInKey != "platform" {
		t.Fatalf("job while the sign-in is gone: %s, unreachable since %v, sign-in key %q", got.Status, got.UnreachableSince, got.SignInKey)
	}
	op.EndSessionsAfter(0)
	if n, _ := mon.Tracked(ctx); n != 1 {
		t.Fatalf("tracked jobs: %d, want the waiting one", n)
	}
	signIn()
	if err := mon.PollUnreachable(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case c := <-changes:
			if c.JobID == j.ID && c.Status == ogcapi.StatusSuccessful {
				if got, _ := st.Job(ctx, j.ID); got.SignInKey != "" || !got.UnreachableSince.IsZero() {
					t.Errorf("a job going on after the sign-in still waits for %q", got.SignInKey)
				}
				return
			}
			if c.JobID == j.ID && c.Status == ogcapi.StatusFailed {
				t.Fatalf("job failed after signing in again: %s", c.Error)
			}
		case <-timeout:
			got, _ := st.Job(ctx, j.ID)
			t.Fatalf("the job did not finish after signing in again: %s %q", got.Status, got.UnreachableReason)
		}
	}
}
