package oidc_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
)

// signInDevice signs the device key name in as the test user.
func (s *setup) signInDevice(t *testing.T, m *oidc.Manager, name string) (*keystore.Session, error) {
	t.Helper()
	login, err := m.Begin(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.op.CompleteDevice(login.UserCode); err != nil {
		t.Fatal(err)
	}
	return login.Wait(t.Context())
}

// signInBrowser signs the auth-code key name in as the test user.
func (s *setup) signInBrowser(t *testing.T, m *oidc.Manager, name string) (*keystore.Session, error) {
	t.Helper()
	login, err := m.Begin(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	go s.op.SignIn(login.URL)
	return login.Wait(t.Context())
}

// TestIDTokenClockSkew: a provider whose clock is ahead issues ID tokens "in
// the future"; up to the allowed skew (2 min) the sign-in works, beyond it it
// is refused with words that point at the clock.
func TestIDTokenClockSkew(t *testing.T) {
	for _, tc := range []struct {
		ahead time.Duration
		ok    bool
	}{{0, true}, {time.Minute + 30*time.Second, true}, {oidc.DefaultSkew + time.Minute, false}} {
		t.Run(tc.ahead.String(), func(t *testing.T) {
			s := newSetup(t, oidctest.Options{IssuedAhead: tc.ahead})
			s.addKey(t, "dev", keystore.FlowDevice)
			sess, err := s.signInDevice(t, s.m, "dev")
			if tc.ok {
				if err != nil || sess.Subject != oidctest.Subject {
					t.Fatalf("provider %s ahead: %v", tc.ahead, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("provider %s ahead: the ID token was accepted", tc.ahead)
			}
			if !errors.Is(err, keystore.ErrDenied) || !strings.Contains(err.Error(), "issued in the future") ||
				!strings.Contains(err.Error(), "check the clock") {
				t.Fatalf("provider %s ahead: %v", tc.ahead, err)
			}
			if k, _ := s.st.Get("dev"); k.Session != nil {
				t.Error("a refused sign-in was stored")
			}
		})
	}
}

// TestIDTokenForAnotherClient: an ID token the provider issued to another
// client (a provider mix-up, or a key with the wrong client id) is refused:
// by its audience when it is not for this client at all, by azp when this
// client is only among its audiences. A token with several audiences whose azp
// is this client is accepted.
func TestIDTokenForAnotherClient(t *testing.T) {
	t.Run("audience", func(t *testing.T) {
		s := newSetup(t, oidctest.Options{})
		s.addKey(t, "dev", keystore.FlowDevice)
		s.addKey(t, "zoo", keystore.FlowAuthCode)
		dev, err := s.signInDevice(t, s.m, "dev")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.signInBrowser(t, swapping(s.st, dev.IDToken), "zoo")
		if err == nil || !strings.Contains(err.Error(), `is for `+oidctest.DeviceClient+`, not for client "`+oidctest.NativeClient+`" (audience)`) {
			t.Fatalf("an ID token for another client: %v", err)
		}
	})
	t.Run("azp", func(t *testing.T) {
		// Tokens are for both clients (a Keycloak audience mapper), azp names the one they were issued to.
		s := newSetup(t, oidctest.Options{ExtraAudience: []string{oidctest.NativeClient}})
		s.addKey(t, "dev", keystore.FlowDevice)
		s.addKey(t, "zoo", keystore.FlowAuthCode)
		dev, err := s.signInDevice(t, s.m, "dev")
		if err != nil {
			t.Fatalf("a token with several audiences and azp = this client: %v", err)
		}
		if aud := audience(t, dev.IDToken); len(aud) != 2 {
			t.Fatalf("the provider's ID token audience: %v", aud)
		}
		if _, err := s.signInBrowser(t, s.m, "zoo"); err != nil {
			t.Fatalf("the auth-code key's own token: %v", err)
		}
		_, err = s.signInBrowser(t, swapping(s.st, dev.IDToken), "zoo")
		if err == nil || !strings.Contains(err.Error(), `issued to client "`+oidctest.DeviceClient+`", not "`+oidctest.NativeClient+`" (azp)`) {
			t.Fatalf("an ID token issued to another client: %v", err)
		}
	})
}

// swapping is a Manager whose token responses carry idToken in place of the
// provider's own ID token, as a mixed-up or malicious provider would send.
func swapping(st *keystore.Store, idToken keystore.Secret) *oidc.Manager {
	return oidc.New(oidc.Config{Store: st, HTTPClient: &http.Client{Transport: swapIDToken{idToken.Reveal()}}})
}

type swapIDToken struct{ idToken string }

func (s swapIDToken) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/token") || res.StatusCode != http.StatusOK {
		return res, err
	}
	var body map[string]any
	err = json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if _, ok := body["id_token"]; ok {
		body["id_token"] = s.idToken
	}
	b, _ := json.Marshal(body)
	res.Body, res.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	res.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return res, nil
}

// audience reads the "aud" of a JWT (the test's own look at the token).
func audience(t *testing.T, tok keystore.Secret) []string {
	t.Helper()
	parts := strings.Split(tok.Reveal(), ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	b, err := base64URL(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Aud []string `json:"aud"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.Aud
}
