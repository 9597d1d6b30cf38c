package cmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keyscmd"
	"github.com/geojobs/geojobs/backend/oidc/oidctest"
)

// Secrets the hostile server below echoes back, and the terminal escapes it mixes in.
const (
	echoBearer = "bearer-ECHO-canary-7f3a"
	echoAPIKey = "apikey-ECHO-canary-91c2"
	escapes    = "\x1b]0;owned\x07\x1b[2J\r\u009b1A"
)

// hostileOGC is an OGC API – Processes server that puts the credentials it receives
// and terminal escape sequences into everything it answers: status messages, error
// bodies (which end up in log lines) and the failed job's exception.
func hostileOGC(t *testing.T) *httptest.Server {
	var polls atomic.Int32
	echo := func(r *http.Request) string {
		return escapes + " you sent " + r.Header.Get("Authorization") + " and " + r.Header.Get("X-Api-Key") + " " + escapes
	}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/processes/echo":
			writeJSON(w, 200, map[string]any{"id": "echo", "version": "1", "jobControlOptions": []string{"async-execute"},
				"inputs": map[string]any{}, "outputs": map[string]any{}})
		case r.Method == http.MethodPost && r.URL.Path == "/processes/echo/execution":
			w.Header().Set("Location", "/jobs/j1")
			writeJSON(w, 201, map[string]any{"jobID": "j1", "status": "accepted", "message": echo(r)})
		case r.URL.Path == "/jobs/j1":
			switch polls.Add(1) {
			case 1:
				writeJSON(w, 500, map[string]any{"title": "broken", "detail": echo(r)})
			case 2:
				writeJSON(w, 200, map[string]any{"jobID": "j1", "status": "running", "progress": 50, "message": echo(r)})
			default:
				writeJSON(w, 200, map[string]any{"jobID": "j1", "status": "failed", "message": echo(r)})
			}
		case r.URL.Path == "/jobs/j1/results":
			writeJSON(w, 500, map[string]any{"title": echo(r), "detail": echo(r)})
		default:
			writeJSON(w, 404, map[string]any{"title": "not found", "detail": echo(r)})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// assertScrubbed fails when out holds a secret or a control character other than a
// line feed or a tab.
func assertScrubbed(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("%q printed:\n%s", s, out)
		}
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			t.Errorf("control character %U printed:\n%q", r, out)
			break
		}
	}
}

// `geojobs run`: whatever the server echoes of the --header values, and the escape
// sequences it sends, never reach the terminal (status lines, log lines, the error).
func TestRunScrubsServerText(t *testing.T) {
	srv := hostileOGC(t)
	dir := t.TempDir()
	req := filepath.Join(dir, "req.json")
	if err := os.WriteFile(req, []byte(`{"inputs":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := runCLI(t, "geojobs", "--data-dir", dir, "--log-level", "debug", "run", "--api-endpoint", srv.URL+"/",
		"--process-id", "echo", "-e", req, "-o", filepath.Join(dir, "fc.json"),
		"-H", "Authorization: Bearer "+echoBearer, "-H", "X-Api-Key: "+echoAPIKey)
	if code != 1 || !strings.Contains(out, "failed") || !strings.Contains(out, "[redacted]") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	assertScrubbed(t, out, echoBearer, echoAPIKey)
}

// `geojobs download`: item ids and error text of a server that knows a keystore
// secret (the key is for its origin) are printed without it.
func TestDownloadScrubsKeystoreSecrets(t *testing.T) {
	const secret = "keystore-ECHO-canary-55d1"
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ic.json" {
			http.Error(w, "no "+r.Header.Get("Authorization")+escapes, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/geo+json")
		id, _ := json.Marshal(secret + escapes)
		fmt.Fprintf(w, `{"type":"FeatureCollection","features":[{"type":"Feature","stac_version":"1.0.0","id":%s,
			"geometry":null,"properties":{"datetime":"2026-01-01T00:00:00Z"},"links":[],
			"assets":{"a":{"href":%q}}}]}`, id, srv.URL+"/data/"+secret+".tif")
	}))
	t.Cleanup(srv.Close)
	dataDir := t.TempDir()
	keys, err := keystore.Open(keystore.Config{Dir: dataDir, Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.Unlock(dlPass); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Add(keystore.Key{Name: "hostile", Kind: keystore.KindHTTP, Scheme: keystore.SchemeBearer,
		Prefix: srv.URL + "/", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	keys.Lock()
	t.Setenv(keyscmd.PassphraseEnv, dlPass)
	code, out := runCLI(t, "geojobs", "--data-dir", dataDir, "download", srv.URL+"/ic.json", "-d", t.TempDir())
	if code != downloadFailed || !strings.Contains(out, "[redacted]") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	assertScrubbed(t, out, secret)
}

// `geojobs run` with an oidc key: the tokens it gets and renews while it follows the
// job are redacted too, not only the secrets the keystore held when it started. The
// server echoes each token it receives into the job's messages, and ends the job
// once it has seen the token renewed.
func TestRunScrubsRenewedTokens(t *testing.T) {
	op := oidctest.Start(t, oidctest.Options{AccessTTL: 2 * time.Second})
	var mu sync.Mutex
	var seen []string // the tokens received, in order
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mu.Lock()
		if tok != "" && !slices.Contains(seen, tok) {
			seen = append(seen, tok)
		}
		renewed := len(seen) >= 2
		mu.Unlock()
		echo := "you sent " + tok
		switch {
		case r.URL.Path == "/processes/echo":
			writeJSON(w, 200, map[string]any{"id": "echo", "version": "1", "jobControlOptions": []string{"async-execute"},
				"inputs": map[string]any{}, "outputs": map[string]any{}})
		case r.Method == http.MethodPost && r.URL.Path == "/processes/echo/execution":
			w.Header().Set("Location", "/jobs/j1")
			writeJSON(w, 201, map[string]any{"jobID": "j1", "status": "accepted", "message": echo})
		case r.URL.Path == "/jobs/j1" && !renewed:
			writeJSON(w, 200, map[string]any{"jobID": "j1", "status": "running", "message": echo})
		case r.URL.Path == "/jobs/j1":
			writeJSON(w, 200, map[string]any{"jobID": "j1", "status": "failed", "message": echo})
		default:
			writeJSON(w, 404, map[string]any{"title": "not found", "detail": echo})
		}
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	keyring.MockInit() // the keystore in the (in-memory) OS keychain: no scrypt per renewal
	t.Cleanup(keyring.MockInit)
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", "")
	c := &cli{t: t, dir: dir}
	if code, out := c.run(oidctest.ServiceSecret+"\n", nil, "keys", "add", "--name", "service", "--kind", "oidc",
		"--prefix", srv.URL+"/", "--issuer", op.Issuer, "--client-id", oidctest.ServiceClient, "--flow", "client-credentials"); code != 0 {
		t.Fatalf("keys add: %s", out)
	}
	req := filepath.Join(dir, "req.json")
	if err := os.WriteFile(req, []byte(`{"inputs":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := c.run("", nil, "--log-level", "debug", "run", "--api-endpoint", srv.URL+"/", "--process-id", "echo", "--key", "service",
		"-e", req, "-o", filepath.Join(dir, "fc.json"), "--poll-max", "200ms")
	mu.Lock()
	tokens := slices.Clone(seen)
	mu.Unlock()
	if code != 1 || !strings.Contains(out, "[redacted]") || len(tokens) < 2 {
		t.Fatalf("exit %d, %d token(s) seen:\n%s", code, len(tokens), out)
	}
	assertScrubbed(t, c.all.String(), tokens...)
}
