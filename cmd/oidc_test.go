package cmd

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
)

// codeWriter collects a command's output and hands over the device code it prints.
type codeWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	code chan string
	sent bool
	re   *regexp.Regexp // what to hand over; default deviceCodeRE
}

var (
	deviceCodeRE = regexp.MustCompile(`enter the code\n\s+(\S+)`)
	signInURLRE  = regexp.MustCompile(`go to:\n\s+(\S+)`)
)

func (w *codeWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	re := w.re
	if re == nil {
		re = deviceCodeRE
	}
	if m := re.FindStringSubmatch(w.buf.String()); m != nil && !w.sent {
		w.sent = true
		w.code <- m[1]
	}
	return len(p), nil
}

// TestOIDCCommandLine signs in on the command line with the device flow and
// runs a 60-second job and a 2 GiB download through a gateway that accepts only
// the provider's JWTs, with access tokens that last 10 s: both outlive several
// token lifetimes and succeed. No token or secret shows in any output or in the
// database.
func TestOIDCCommandLine(t *testing.T) {
	const ttl = 10 * time.Second
	op := oidctest.Start(t, oidctest.Options{AccessTTL: ttl})
	ep := localeptest.Start(t, localep.Options{MaxConcurrent: 2})
	target, _ := url.Parse(ep.URL)
	big := oidctest.NewBigFile(2<<30, 64<<20) // 2 GiB at 64 MiB/s: about 32 s, during the job
	big.CutAfter = 128 << 20                  // a proxy breaks long responses: the rest is asked for later
	mux := http.NewServeMux()
	mux.Handle("/files/big.bin", big)
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	gw := op.NewGateway(mux)
	gs := httptest.NewServer(gw)
	t.Cleanup(gs.Close)

	dir := t.TempDir()
	// The keystore is protected by the (in-memory) OS keychain: every renewal
	// rewrites it, and a passphrase would cost a second of scrypt each time.
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", "")
	c := &cli{t: t, dir: dir}
	run := c.run

	if code, out := run(oidctest.DeviceSecret+"\n", nil, "keys", "add", "--name", "platform", "--kind", "oidc",
		"--prefix", gs.URL+"/", "--issuer", op.Issuer, "--client-id", oidctest.DeviceClient, "--flow", "device"); code != 0 {
		t.Fatalf("keys add: %s", out)
	}
	// keys login: the test plays the person who enters the code at the provider.
	cw := &codeWriter{code: make(chan string, 1)}
	done := make(chan string, 1)
	go func() {
		code, out := run("", cw, "keys", "login", "platform")
		if code != 0 {
			out = "FAILED: " + out
		}
		done <- out
	}()
	select {
	case userCode := <-cw.code:
		if err := op.CompleteDevice(userCode); err != nil {
			t.Fatal(err)
		}
	case out := <-done:
		t.Fatalf("keys login ended without showing a code: %s", out)
	}
	if out := <-done; !strings.Contains(out, "signed in \"platform\" as") {
		t.Fatalf("keys login: %s", out)
	}
	if _, out := run("", nil, "keys", "list"); !strings.Contains(out, oidctest.Subject) {
		t.Errorf("keys list does not say who is signed in:\n%s", out)
	}

	// A 60-second job, and meanwhile a 2 GiB download of a file behind the same
	// sign-in: both poll or fetch with tokens renewed along the way.
	ic := map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{
		"type": "Feature", "stac_version": "1.0.0", "id": "big", "geometry": nil,
		"properties": map[string]any{"datetime": "2024-01-01T00:00:00Z"}, "links": []any{},
		"assets": map[string]any{"data": map[string]any{"href": gs.URL + "/files/big.bin", "type": "application/octet-stream",
			"file:size": big.Size, "file:checksum": "1220" + big.SHA256()}},
	}}}
	b, _ := json.Marshal(ic)
	icPath := filepath.Join(dir, "items.json")
	os.WriteFile(icPath, b, 0o644)
	req := filepath.Join(dir, "countdown.json")
	os.WriteFile(req, []byte(`{"inputs":{"seconds":60,"step":5}}`), 0o644)

	issued := op.AccessTokensIssued()
	type result struct {
		code int
		out  string
		took time.Duration
	}
	dl := make(chan result, 1)
	start := time.Now()
	go func() {
		code, out := run("", nil, "download", icPath, "--dest", filepath.Join(dir, "dl"), "-q")
		dl <- result{code, out, time.Since(start)}
	}()
	code, out := run("", nil, "run", "--api-endpoint", gs.URL+"/", "--process-id", "countdown", "--key", "platform",
		"-e", req, "-o", filepath.Join(dir, "out.json"), "--async")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, out)
	}
	d := <-dl
	if d.code != 0 {
		t.Fatalf("download: exit %d: %s", d.code, d.out)
	}
	renewed := op.AccessTokensIssued() - issued
	t.Logf("60 s job: %s; 2 GiB download: %s; %d access tokens of %s issued meanwhile; gateway accepted %d requests, refused %d",
		took.Round(time.Second), d.took.Round(time.Second), renewed, ttl, gw.Accepted.Load(), gw.Rejected.Load())
	if took < 60*time.Second || renewed < int64(60*time.Second/ttl)/2 {
		t.Errorf("the job took %s with %d renewals: it did not outlive the tokens", took, renewed)
	}
	if d.took < 3*ttl {
		t.Errorf("the download took %s: it did not outlive several tokens", d.took)
	}
	// Requests for the rest of the file came until the end, each with a token
	// the gateway accepted then: tokens were renewed during the download.
	reqs := big.Requests()
	if int64(len(reqs)) < big.Size/big.CutAfter || reqs[len(reqs)-1].Sub(start) < 2*ttl {
		t.Errorf("%d requests for the file, the last %s after the start: the download did not need renewed tokens",
			len(reqs), reqs[len(reqs)-1].Sub(start).Round(time.Second))
	}
	t.Logf("the file was asked for %d times, the last %s after the start", len(reqs), reqs[len(reqs)-1].Sub(start).Round(time.Second))
	if fi, err := os.Stat(filepath.Join(dir, "dl", "big", "big.bin")); err != nil || fi.Size() != big.Size {
		t.Fatalf("downloaded file: %v", err)
	}
	os.Remove(filepath.Join(dir, "dl", "big", "big.bin"))

	// No token or secret anywhere: outputs, the keystore file, the database.
	st := mustKeystore(t, dir)
	k, _ := st.Get("platform")
	secrets := []string{oidctest.DeviceSecret, k.Session.AccessToken.Reveal(), k.Session.RefreshToken.Reveal(), k.Session.IDToken.Reveal()}
	files := map[string][]byte{"output": c.all.Bytes()}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Size() < 64<<20 {
			files[p], _ = os.ReadFile(p)
		}
		return nil
	})
	for name, data := range files {
		for _, s := range secrets {
			if s != "" && bytes.Contains(data, []byte(s)) {
				t.Errorf("a secret (%.6s…) shows in %s", s, name)
			}
		}
	}
}

func mustKeystore(t *testing.T, dir string) *keystore.Store {
	t.Helper()
	st, err := keystore.Open(keystore.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Unlock(""); err != nil {
		t.Fatal(err)
	}
	return st
}
