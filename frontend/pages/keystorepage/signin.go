package keystorepage

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/frontend/web"
)

// SignIns is what the page needs to sign oidc keys in and out (*oidc.Manager).
type SignIns interface {
	Begin(ctx context.Context, name string) (*oidc.Login, error)
	SignOut(ctx context.Context, name string) error
}

var _ SignIns = (*oidc.Manager)(nil)

// signInTimeout bounds a sign-in left open in the browser.
const signInTimeout = 10 * time.Minute

// pending is a sign-in under way: the person is at the provider.
type pending struct {
	login  *oidc.Login
	opened bool // the provider's page was opened in the system browser
	done   bool
	err    error
}

// signIns keeps the sign-ins under way, one per key.
type signIns struct {
	mu sync.Mutex
	m  map[string]*pending
}

// SignInView is an oidc key's sign-in as the page shows it: who and until when,
// never a token.
type SignInView struct {
	// State is "signed-in", "needed" (the sign-in ended: sign in again) or "out".
	State   string
	Subject string
	Expiry  time.Time
	// Renewable: a refresh token is kept, the token is renewed as needed.
	Renewable bool
}

func signInOf(k keystore.Key) *SignInView {
	if k.Kind != keystore.KindOIDC {
		return nil
	}
	s := k.Session
	if s == nil || s.Subject == "" {
		return &SignInView{State: "out"}
	}
	v := &SignInView{Subject: s.Subject, Expiry: s.Expiry, Renewable: s.CanRefresh()}
	if s.Name != "" && s.Name != s.Subject {
		v.Subject = s.Name + " (" + s.Subject + ")"
	}
	switch {
	case s.CanRefresh(), k.Flow == keystore.FlowClientCredentials, s.Valid(time.Now(), 0):
		v.State = "signed-in"
	default:
		v.State = "needed"
	}
	return v
}

// SignInModel is the sign-in page of an oidc key.
type SignInModel struct {
	View View
	// Flow-specific instructions while the person signs in.
	URL, VerificationURI, UserCode string
	// Opened: geojobs opened URL in the system browser (desktop).
	Opened  bool
	Pending bool
	Err     string
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request, m SignInModel, status int) error {
	return h.render(w, r, "Sign in: "+m.View.Key.Name, SignInPage(m), status, "signin-status")
}

// beginSignIn starts the key's sign-in and shows what to do.
func (h *Handler) BeginSignIn(w http.ResponseWriter, r *http.Request) error {
	k, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	if h.signIn == nil || k.Kind != keystore.KindOIDC {
		return web.BadRequest("This key does not sign in: only oidc keys do.")
	}
	l, err := h.signIn.Begin(r.Context(), k.Name)
	if err != nil {
		h.log.Warn("sign-in could not start", "key", k.Name, "code", errs.CodeOf(err).String())
		return h.signInPage(w, r, SignInModel{View: viewOf(*k), Err: signInError(err)}, http.StatusBadGateway)
	}
	p := &pending{login: l}
	if l.URL != "" && h.openURL != nil {
		// The desktop window cannot sign in itself: the system browser does, and
		// comes back to the loopback address the login listens on.
		if err := h.openURL(l.URL); err != nil {
			h.log.Warn("could not open the system browser for the sign-in", "key", k.Name, "err", err)
		} else {
			p.opened = true
		}
	}
	h.pending.mu.Lock()
	if h.pending.m == nil {
		h.pending.m = map[string]*pending{}
	}
	if old := h.pending.m[k.Name]; old != nil && !old.done {
		old.login.Cancel()
	}
	h.pending.m[k.Name] = p
	h.pending.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), signInTimeout)
		defer cancel()
		_, err := l.Wait(ctx)
		h.pending.mu.Lock()
		p.done, p.err = true, err
		h.pending.mu.Unlock()
		if err != nil {
			h.log.Warn("sign-in did not complete", "key", k.Name, "code", errs.CodeOf(err).String())
		} else {
			h.log.Info("signed in", "key", k.Name)
		}
	}()
	web.Redirect(w, r, keyPath(k.Name, "signin"))
	return nil
}

// signInStatus shows the sign-in under way (the page refreshes it until done).
func (h *Handler) SignInStatus(w http.ResponseWriter, r *http.Request) error {
	k, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	m := SignInModel{View: viewOf(*k)}
	h.pending.mu.Lock()
	p := h.pending.m[k.Name]
	if p != nil {
		m.Pending = !p.done
		if p.err != nil {
			m.Err = signInError(p.err)
		}
		if !p.done {
			m.URL, m.VerificationURI, m.UserCode = p.login.URL, p.login.VerificationURI, p.login.UserCode
			m.Opened = p.opened
		}
	}
	h.pending.mu.Unlock()
	return h.signInPage(w, r, m, 0)
}

func (h *Handler) SignOut(w http.ResponseWriter, r *http.Request) error {
	k, ok, err := h.get(w, r)
	if !ok {
		return err
	}
	if h.signIn == nil || k.Kind != keystore.KindOIDC {
		return web.BadRequest("This key does not sign in: only oidc keys do.")
	}
	if err := h.signIn.SignOut(r.Context(), k.Name); err != nil {
		return h.storeErr(w, r, err)
	}
	h.log.Info("signed out", "key", k.Name)
	web.Redirect(w, r, keyPath(k.Name))
	return nil
}

// signInError words a sign-in failure for the page (errors of backend/oidc
// name the key and the provider, never a token).
func signInError(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "The sign-in was not completed in time. Start it again."
	case errors.Is(err, keystore.ErrUnavailable):
		return "The provider could not be reached: " + strings.TrimPrefix(err.Error(), keystore.ErrUnavailable.Error()+": ")
	}
	return err.Error()
}

// flows are the sign-in flows offered, in display order.
var flows = []keystore.OIDCFlow{keystore.FlowAuthCode, keystore.FlowDevice, keystore.FlowClientCredentials}

var flowLabels = map[keystore.OIDCFlow]string{
	keystore.FlowAuthCode:          "In the browser (authorization code with PKCE)",
	keystore.FlowDevice:            "With a code on any device (device authorization)",
	keystore.FlowClientCredentials: "As a service account (client credentials)",
}

func flowLabel(f keystore.OIDCFlow) string { return cmp.Or(flowLabels[f], string(f)) }

func joinScopes(s []string) string { return strings.Join(s, " ") }
