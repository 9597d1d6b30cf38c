package webapp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// systemBrowser is the desktop's OpenURL as the tests have it: it signs in at
// the provider's page it is given, as a person does in the system browser, and
// follows the redirect to the loopback address geojobs listens on. It signs in
// only when the test says go on (a person reads the page first): on a quick
// machine the sign-in could otherwise end before the test reads the page that
// says the browser opened.
type systemBrowser struct {
	op     *oidctest.Provider
	opened chan string
	goOn   chan struct{}
	failed chan error
}

func (b *systemBrowser) open(u string) error {
	b.opened <- u
	go func() {
		<-b.goOn
		if _, err := b.op.SignIn(u); err != nil {
			b.failed <- err
		}
	}()
	return nil
}

// TestDesktopSignInResumesJob: from the desktop window, Sign in opens the
// provider's page in the system browser (Options.OpenURL) and the sign-in comes
// back on the loopback redirect. A job then runs on a platform behind the
// provider; its sign-in ends while it runs (the provider's session expires), and
// the job waits — stored as waiting for that key, never failed — with a Sign in
// button on its page; signing in from there lets it go on to success. No access
// token, refresh token or ID token shows in any page, WebSocket frame, log line
// or file of the data folder (database, keystore). Tokens end when the test
// advances the clock of the provider, the gateway and the app's sign-ins.
func TestDesktopSignInResumesJob(t *testing.T) {
	const ttl = time.Minute
	clock := oidctest.NewClock()
	op := oidctest.Start(t, oidctest.Options{AccessTTL: ttl, Now: clock.Now})
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 2})
	target, _ := url.Parse(ep.URL)
	gw := op.NewGateway(httputil.NewSingleHostReverseProxy(target))
	// The job's polls wait until the sign-in has ended and the token with it:
	// none can see the job end before.
	hold := clock.NewHold(ttl)
	gs := httptest.NewServer(hold.Handler(gw))
	t.Cleanup(gs.Close)
	t.Cleanup(hold.End)
	browser := &systemBrowser{op: op, opened: make(chan string, 4), goOn: make(chan struct{}), failed: make(chan error, 4)}
	s := startKeysClock(t, clock.Now, Options{OpenURL: browser.open})
	signIns := s.app.SignIns.Changes()
	defer signIns.Close()
	var idTokens []string
	// signIn presses a Sign in button (a form posting to action) and waits until
	// the system browser has come back with the sign-in.
	signIn := func(action string) {
		t.Helper()
		r := s.post(action, nil)
		expect(t, r, http.StatusSeeOther)
		r = s.get(r.header.Get("Location"))
		if r.find("[data-testid=signin-opened]").Length() != 1 {
			t.Fatalf("the sign-in page does not say the system browser opened: %s", r.find("[data-testid=signin-status]").Text())
		}
		if u := <-browser.opened; !strings.HasPrefix(u, op.Issuer+"/") {
			t.Fatalf("the system browser was sent to %s", u)
		}
		browser.goOn <- struct{}{}
		// The sign-in is stored before the key's change is announced (a refused
		// renewal announces one too: wait for the stored sign-in).
		timeout := time.After(waitfor.Guard)
		for k, _ := s.keys.Get("platform"); k.Session == nil || !k.Session.CanRefresh(); k, _ = s.keys.Get("platform") {
			select {
			case <-signIns.Ready():
				signIns.Take()
			case err := <-browser.failed:
				t.Fatalf("the system browser: %v", err)
			case <-timeout:
				t.Fatal("no sign-in")
			}
		}
		k, _ := s.keys.Get("platform")
		idTokens = append(idTokens, k.Session.IDToken.Reveal())
		r = s.get("/keystore")
		if st := r.find("[data-testid=key][data-key=platform] [data-testid=signin-state]"); st.AttrOr("data-state", "") != "signed-in" {
			t.Fatalf("the keystore page after the sign-in: %q", st.Text())
		}
	}

	expect(t, s.post("/keystore/unlock", url.Values{"passphrase": {passphrase}, "passphrase2": {passphrase}}), http.StatusSeeOther)
	expect(t, s.post("/keystore", url.Values{"name": {"platform"}, "kind": {"oidc"}, "prefix": {gs.URL + "/"}, "issuer": {op.Issuer},
		"client_id": {oidctest.NativeClient}, "flow": {"auth-code"}}), http.StatusSeeOther)
	expect(t, s.post("/endpoints", url.Values{"title": {"Platform"}, "url": {gs.URL + "/"}, "credential_key": {"platform"}}), http.StatusSeeOther)
	signIn("/keystore/keys/platform/signin")

	changes := s.app.JobChanges()
	defer changes.Close()
	waitChange := func(what string, ok func(jobs.Change) bool) {
		t.Helper()
		timeout := time.After(waitfor.Guard)
		for {
			select {
			case <-changes.Ready():
				for _, c := range changes.Take() {
					if ok(c) {
						return
					}
					if c.Status == ogcapi.StatusFailed {
						t.Fatalf("waiting for %s: the job failed: %s", what, c.Error)
					}
				}
			case <-timeout:
				t.Fatalf("no %s", what)
			}
		}
	}
	j, err := s.app.Monitor.Submit(t.Context(), jobs.Submission{EndpointID: "platform", ProcessID: "countdown",
		Request: &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage(`6`), "step": json.RawMessage(`0.25`)}}})
	if err != nil {
		t.Fatal(err)
	}
	// Every frame the job's page receives.
	var frames struct {
		sync.Mutex
		strings.Builder
	}
	conn := s.subscribe("job:" + j.ID)
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			frames.Lock()
			frames.Write(data)
			frames.WriteString("\n")
			frames.Unlock()
		}
	}()

	// The provider's session ends 30 s after the sign-in, and the token a
	// minute after: the next renewal is refused.
	op.EndSessionsAfter(30 * time.Second)
	hold.End()
	waitChange("sign-in needed", func(c jobs.Change) bool { return c.JobID == j.ID && c.SignInKey == "platform" })
	stored, err := s.app.Store.Job(t.Context(), j.ID)
	if err != nil || stored.SignInKey != "platform" || stored.Status == ogcapi.StatusFailed {
		t.Fatalf("the waiting job as stored: %s, sign-in key %q (%v)", stored.Status, stored.SignInKey, err)
	}
	page := s.get("/jobs/" + j.ID)
	if page.find("[data-testid=job-status]").AttrOr("data-state", "") != "sign-in needed" ||
		page.find("[data-testid=job-sign-in-needed]").Length() != 1 {
		t.Fatalf("the job page of a job waiting for a sign-in: %q", page.find("[data-testid=job-status]").Text())
	}
	action := page.find("form:has([data-testid=job-sign-in])").AttrOr("action", "")
	if action != "/keystore/keys/platform/signin" {
		t.Fatalf("the job page's Sign in posts to %q", action)
	}
	op.EndSessionsAfter(0)
	signIn(action)
	waitChange("the job's results", func(c jobs.Change) bool { return c.JobID == j.ID && c.Results })
	stored, _ = s.app.Store.Job(t.Context(), j.ID)
	if stored.Status != ogcapi.StatusSuccessful || stored.SignInKey != "" || !stored.UnreachableSince.IsZero() {
		t.Fatalf("the job after the sign-in: %s, sign-in key %q", stored.Status, stored.SignInKey)
	}
	s.get("/jobs/" + j.ID)
	s.get("/jobs/" + j.ID + "/results")
	s.get("/keystore")
	conn.Close()
	<-read

	// No token anywhere.
	secrets := append(append(gw.Tokens(), op.RefreshTokens()...), idTokens...)
	if len(gw.Tokens()) < 2 || len(op.RefreshTokens()) < 2 {
		t.Fatalf("too few tokens to look for: %d access, %d refresh", len(gw.Tokens()), len(op.RefreshTokens()))
	}
	places := map[string]string{"log": s.logs.String(), "websocket frames": frames.String()}
	for i, b := range s.bodies {
		places["response "+string(rune('a'+i%26))+"/"+string(rune('0'+i/26))] = b
	}
	filepath.Walk(s.dataDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			places[p] = string(b)
		}
		return nil
	})
	if frames.Len() == 0 {
		t.Error("the job's page received no frame")
	}
	for where, text := range places {
		for _, tok := range secrets {
			if tok != "" && strings.Contains(text, tok) {
				t.Errorf("a token (%.8s…) shows in %s", tok, where)
			}
		}
	}
}
