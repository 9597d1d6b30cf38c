package cmd

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
)

// cli runs geojobs command lines in-process on one data folder.
type cli struct {
	t   *testing.T
	dir string
	all bytes.Buffer // everything printed, to look for secrets
	// clock, when set, is the oidc keys' clock (the provider's: oidctest.Clock).
	clock func() time.Time
}

// run runs argv with stdin; out, when set, receives the output as it comes.
func (c *cli) run(stdin string, out *codeWriter, argv ...string) (code int, text string) {
	root, opts := newRoot()
	opts.signInClock = c.clock
	var buf bytes.Buffer
	if out != nil {
		root.SetOut(out)
		root.SetErr(out)
	} else {
		root.SetOut(&buf)
		root.SetErr(&buf)
	}
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--data-dir", c.dir}, argv...))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a sign-in nobody completes ends
	defer cancel()
	err := root.ExecuteContext(ctx)
	text = buf.String()
	if out != nil {
		out.mu.Lock()
		text = out.buf.String()
		out.mu.Unlock()
	}
	if err != nil {
		text += err.Error()
		code = 1
		if e, ok := err.(interface{ ExitCode() int }); ok {
			code = e.ExitCode()
		}
	}
	c.all.WriteString(text)
	return code, text
}

// TestKeysLoginAuthCode signs in on the command line with the authorization
// code flow. First `keys login --browser PROGRAM` starts a browser — this test
// binary, which opens the provider's page, logs in and follows the redirect to
// the loopback address the command waits on; then `--browser none` only prints
// the address, and the test follows it. Each time the key then works against
// a gateway that accepts only the provider's tokens.
func TestKeysLoginAuthCode(t *testing.T) {
	op := oidctest.Start(t, oidctest.Options{AccessTTL: 15 * time.Second})
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 2})
	target, _ := url.Parse(ep.URL)
	gw := op.NewGateway(httputil.NewSingleHostReverseProxy(target))
	gs := httptest.NewServer(gw)
	t.Cleanup(gs.Close)
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", "")
	c := &cli{t: t, dir: t.TempDir()}

	if code, out := c.run("", nil, "keys", "add", "--name", "platform", "--kind", "oidc", "--prefix", gs.URL+"/",
		"--issuer", op.Issuer, "--client-id", oidctest.NativeClient, "--flow", "auth-code"); code != 0 {
		t.Fatalf("keys add: %s", out)
	}
	req := filepath.Join(c.dir, "countdown.json")
	os.WriteFile(req, []byte(`{"inputs":{"seconds":1,"step":0.5}}`), 0o644)
	useKey := func(when string) {
		t.Helper()
		accepted := gw.Accepted.Load()
		code, out := c.run("", nil, "run", "--api-endpoint", gs.URL+"/", "--process-id", "countdown", "--key", "platform",
			"-e", req, "-o", filepath.Join(c.dir, "out.json"))
		if code != 0 || gw.Accepted.Load() == accepted || !gw.Saw(oidctest.Subject) {
			t.Fatalf("%s: run with the key: exit %d: %s", when, code, out)
		}
	}

	// The test binary is the browser (TestMain, GEOJOBS_TEST_BROWSER).
	t.Setenv("GEOJOBS_TEST_BROWSER", "1")
	code, out := c.run("", nil, "keys", "login", "platform", "--browser", os.Args[0])
	if code != 0 || !strings.Contains(out, `signed in "platform" as `+oidctest.Subject) {
		t.Fatalf("keys login --browser: exit %d: %s", code, out)
	}
	if _, out := c.run("", nil, "keys", "list"); !strings.Contains(out, oidctest.Subject) {
		t.Errorf("keys list does not say who is signed in:\n%s", out)
	}
	useKey("after keys login --browser")

	if code, out := c.run("", nil, "keys", "logout", "platform"); code != 0 {
		t.Fatalf("keys logout: %s", out)
	}
	if code, _ := c.run("", nil, "run", "--api-endpoint", gs.URL+"/", "--process-id", "countdown", "--key", "platform",
		"-e", req, "-o", filepath.Join(c.dir, "out.json")); code == 0 {
		t.Fatal("run after logout succeeded")
	}

	// --browser none: the person opens the printed address (here: the test does).
	cw := &codeWriter{code: make(chan string, 1), re: signInURLRE}
	done := make(chan string, 1)
	go func() {
		code, out := c.run("", cw, "keys", "login", "platform", "--browser", "none")
		if code != 0 {
			out = "FAILED: " + out
		}
		done <- out
	}()
	select {
	case u := <-cw.code:
		if !strings.HasPrefix(u, op.Issuer+"/") || !strings.Contains(u, "code_challenge_method=S256") ||
			!strings.Contains(u, "redirect_uri=http%3A%2F%2F127.0.0.1%3A") {
			t.Fatalf("the printed sign-in address: %s", u)
		}
		if _, err := op.SignIn(u); err != nil {
			t.Fatal(err)
		}
	case out := <-done:
		t.Fatalf("keys login --browser none ended without printing an address: %s", out)
	}
	if out := <-done; !strings.Contains(out, `signed in "platform" as `+oidctest.Subject) {
		t.Fatalf("keys login --browser none: %s", out)
	}
	useKey("after keys login --browser none")

	st := mustKeystore(t, c.dir)
	k, _ := st.Get("platform")
	for _, s := range []string{k.Session.AccessToken.Reveal(), k.Session.RefreshToken.Reveal(), k.Session.IDToken.Reveal()} {
		if s == "" || strings.Contains(c.all.String(), s) {
			t.Errorf("a token (%.6s…) is empty or shows in the output", s)
		}
	}
}

// TestRunWaitsForSignIn: `geojobs run --key` on a platform whose sign-in ends
// while the job runs (the provider's session expires) says so and waits; the
// person signs in again with `geojobs keys login` (another command, as from
// another terminal) and the run follows the job to its end. Tokens end when the
// test advances the clock of the provider, the gateway and the commands.
func TestRunWaitsForSignIn(t *testing.T) {
	const ttl = time.Minute
	clock := oidctest.NewClock()
	op := oidctest.Start(t, oidctest.Options{AccessTTL: ttl, Now: clock.Now})
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 2})
	target, _ := url.Parse(ep.URL)
	gw := op.NewGateway(httputil.NewSingleHostReverseProxy(target))
	// Once the job is submitted the token ends; the run's polls wait for that.
	hold := clock.NewHold(ttl)
	held := hold.Handler(gw)
	gs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held.ServeHTTP(w, r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/execution") {
			hold.End()
		}
	}))
	t.Cleanup(gs.Close)
	t.Cleanup(hold.End)
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", "")
	t.Setenv("GEOJOBS_TEST_BROWSER", "1")
	c := &cli{t: t, dir: t.TempDir(), clock: clock.Now}
	if code, out := c.run("", nil, "keys", "add", "--name", "platform", "--kind", "oidc", "--prefix", gs.URL+"/",
		"--issuer", op.Issuer, "--client-id", oidctest.NativeClient, "--flow", "auth-code"); code != 0 {
		t.Fatalf("keys add: %s", out)
	}
	login := func() {
		t.Helper()
		if code, out := c.run("", nil, "keys", "login", "platform", "--browser", os.Args[0]); code != 0 {
			t.Fatalf("keys login: %s", out)
		}
	}
	login()
	req := filepath.Join(c.dir, "countdown.json")
	os.WriteFile(req, []byte(`{"inputs":{"seconds":8,"step":0.5}}`), 0o644)

	// The token of the sign-in is good for the submission, then ends (hold.End);
	// renewing it is refused.
	op.EndSessionsAfter(30 * time.Second)
	cw := &codeWriter{code: make(chan string, 1), re: regexp.MustCompile(`sign-in needed for key "(platform)"`)}
	done := make(chan string, 1)
	go func() {
		code, out := c.run("", cw, "run", "--api-endpoint", gs.URL+"/", "--process-id", "countdown", "--key", "platform",
			"-e", req, "-o", filepath.Join(c.dir, "out.json"), "--async", "--poll-max", "1s")
		if code != 0 {
			out = fmt.Sprintf("FAILED (exit %d): %s", code, out)
		}
		done <- out
	}()
	select {
	case <-cw.code:
	case out := <-done:
		t.Fatalf("the run ended without waiting for the sign-in: %s", out)
	}
	op.EndSessionsAfter(0)
	login()
	out := <-done
	if strings.HasPrefix(out, "FAILED") || !strings.Contains(out, "successful") || !strings.Contains(out, "geojobs keys login platform") {
		t.Fatalf("run after signing in again: %s", out)
	}
	if b, err := os.ReadFile(filepath.Join(c.dir, "out.json")); err != nil || len(b) == 0 {
		t.Fatalf("the results were not written: %v", err)
	}
}
