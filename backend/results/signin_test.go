package results

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/oidc"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
)

// A download behind a sign-in that has ended pauses as "sign-in needed" (it has not
// failed), is recorded so across a restart, and goes on once its key is signed in
// again (ResumeSignedIn), as job monitoring does.
func TestDownloadWaitsForSignIn(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // only against a hang
	defer cancel()
	dir := t.TempDir()
	const token = "fresh-access-token-after-sign-in"
	body := strings.Repeat("scene", 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(body))
	}))
	defer srv.Close()
	st, job, ic := sceneJob(ctx, t, dir, srv.URL+"/scene.tif")

	keys, err := keystore.Open(keystore.Config{Dir: dir, Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Unlock("a passphrase for the test"); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Add(keystore.Key{Name: "platform", Kind: keystore.KindOIDC, Prefix: srv.URL + "/",
		Issuer: "https://idp.invalid", ClientID: "geojobs", Flow: keystore.FlowDevice}); err != nil {
		t.Fatal(err)
	}
	oidc.New(oidc.Config{Store: keys}) // the tokens of oidc keys: none, nobody signed in
	open := func() *Downloads {
		d, err := NewDownloads(DownloadsOptions{Store: st,
			Items:    func(context.Context, string) (*stac.ItemCollection, error) { return ic, nil },
			Transfer: transfer.Options{Sources: transfer.DefaultMux(&Authorizer{Fallback: keys.Authorizer(keystore.Download)})}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	waiting := func(d *Downloads, when string) {
		t.Helper()
		p, err := d.Wait(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		f := p.Files[0]
		if f.State != transfer.StatePaused || f.SignIn != "platform" || p.Failed != 0 || f.Error != "" {
			t.Fatalf("%s: file %s, sign-in %q, %q; %d failed", when, f.State, f.SignIn, f.Error, p.Failed)
		}
		recs, err := st.Downloads(ctx, job.ID)
		if err != nil || recs[len(recs)-1].State != store.DownloadPaused {
			t.Fatalf("%s: store %+v, %v", when, recs, err)
		}
	}

	d := open()
	if n, err := d.Start(ctx, job.ID, filepath.Join(dir, "dl"), nil); n != 1 || err != nil {
		t.Fatalf("Start: %d, %v", n, err)
	}
	waiting(d, "signed out")
	d.Close()

	d = open() // a restart: still waiting for the sign-in, not resumed by itself
	defer d.Close()
	if n, err := d.Restore(ctx); n != 1 || err != nil {
		t.Fatalf("Restore: %d, %v", n, err)
	}
	p := d.View(job.ID)
	if f := p.Files[0]; f.State != transfer.StatePaused || f.SignIn != "platform" {
		t.Fatalf("after a restart: file %s, sign-in %q", f.State, f.SignIn)
	}
	if u, err := st.UnfinishedDownloads(ctx); err != nil || len(u) != 1 || u[0].State != store.DownloadPaused || u[0].Error != signInReason+"platform" {
		t.Fatalf("recorded after a restart: %+v, %v", u, err)
	}

	// The person signs in: the download goes on and completes.
	if err := keys.SetSession("platform", &keystore.Session{Obtained: time.Now(), Expiry: time.Now().Add(time.Hour),
		AccessToken: token}); err != nil {
		t.Fatal(err)
	}
	if n := d.ResumeSignedIn(); n != 1 {
		t.Fatalf("ResumeSignedIn: %d", n)
	}
	p, err = d.Wait(ctx, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f := p.Files[0]; f.State != transfer.StateCompleted || f.SignIn != "" || p.Completed != 1 {
		t.Fatalf("after the sign-in: file %s %q, sign-in %q", f.State, f.Error, f.SignIn)
	}
}
