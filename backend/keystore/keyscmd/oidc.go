package keyscmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/oidc"
)

// SignedIn says who an oidc key is signed in as, and until when.
func SignedIn(k keystore.Key) string {
	s := k.Session
	switch {
	case s == nil || s.Subject == "":
		return "not signed in"
	case s.AccessToken.IsZero() && !s.CanRefresh():
		return "sign-in needed (was " + who(s) + ")"
	case s.CanRefresh():
		return who(s) + " (renewed as needed)"
	}
	return who(s) + " until " + s.Expiry.Local().Format(time.DateTime)
}

func who(s *keystore.Session) string {
	if s.Name != "" && s.Name != s.Subject {
		return s.Name + " [" + s.Subject + "]"
	}
	return s.Subject
}

// Login runs the sign-in of the named oidc key: for the authorization-code flow
// it opens the provider's page with open (and prints its address in case no
// browser comes up) and waits for the loopback redirect; for the device flow it
// prints the address and the code to enter and waits; client credentials need
// nobody. Nothing it prints is a token.
func Login(ctx context.Context, m *oidc.Manager, name string, w io.Writer, open func(url string) error) error {
	l, err := m.Begin(ctx, name)
	if err != nil {
		return err
	}
	defer l.Cancel()
	switch l.Flow {
	case keystore.FlowAuthCode:
		fmt.Fprintf(w, "Sign in for %q in your browser. If it does not open, go to:\n  %s\n", name, l.URL)
		if open != nil {
			if err := open(l.URL); err != nil {
				fmt.Fprintf(w, "(could not open a browser: %v)\n", err)
			}
		}
	case keystore.FlowDevice:
		fmt.Fprintf(w, "To sign in for %q, go to\n  %s\nand enter the code\n  %s\n", name, l.VerificationURI, l.UserCode)
		if l.VerificationURIComplete != "" {
			fmt.Fprintf(w, "(or open %s)\n", l.VerificationURIComplete)
		}
	}
	fmt.Fprintln(w, "Waiting for the sign-in…")
	s, err := l.Wait(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "signed in %q as %s; the token is valid until %s and is renewed as needed\n",
		name, who(s), s.Expiry.Local().Format(time.DateTime))
	return nil
}

// Logout forgets the key's tokens (and revokes its refresh token at the provider).
func Logout(ctx context.Context, m *oidc.Manager, name string, w io.Writer) error {
	if err := m.SignOut(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(w, "signed out %q\n", name)
	return nil
}
