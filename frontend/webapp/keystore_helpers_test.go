package webapp

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
	"golang.org/x/net/webdav"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/s3/s3test"
)

// Known secret values: the tests look for them everywhere they must not be.
const (
	passphrase   = "pass-LEAK-CANARY-3a7d1"
	s3AccessKey  = "AKIAGEOJOBSUI"
	s3Secret     = "s3-LEAK-CANARY-9b0c2e"
	eoAccessKey  = "AKIAEODATAUI"
	eoSecret     = "eo-LEAK-CANARY-71f3aa"
	davUser      = "ana"
	davPassword  = "dav-LEAK-CANARY-55e0"
	bearerToken  = "tok-LEAK-CANARY-c4d8f1"
	s3Region     = "eu-central-1"
	inputsBucket = "inputs"
)

var canaries = []string{passphrase, s3Secret, eoSecret, davPassword, bearerToken}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// keysStack is the application with a fresh passphrase keystore (no OS keychain, a
// low scrypt work factor) and every log line captured.
type keysStack struct {
	*stack
	dataDir string
	logs    *syncBuffer
	keys    *keystore.Store
	// bodies are every response body and header block the tests saw.
	bodies []string
}

func startKeys(t *testing.T, web ...Options) *keysStack {
	t.Helper()
	return startKeysClock(t, nil, web...)
}

// startKeysClock is startKeys with the tokens of oidc keys ending by clock
// (application.Options.SignInClock; nil: time.Now).
func startKeysClock(t *testing.T, clock func() time.Time, web ...Options) *keysStack {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := t.TempDir()
	keys, err := keystore.Open(keystore.Config{Dir: dir, Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	s := startWith(t, application.Options{DataDir: dir, LocalFs: afero.NewMemMapFs(), Logger: log, Keystore: keys, SignInClock: clock}, web...)
	if s.app.Keys != keys {
		t.Fatal("App.Keys is not the keystore given")
	}
	return &keysStack{stack: s, dataDir: dir, logs: logs, keys: keys}
}

func (k *keysStack) record(r response) response {
	var h strings.Builder
	_ = r.header.Write(&h)
	k.bodies = append(k.bodies, h.String()+"\n"+r.body)
	return r
}

func (k *keysStack) get(path string, tweak ...func(*http.Request)) response {
	k.t.Helper()
	return k.record(k.stack.get(path, tweak...))
}

func (k *keysStack) post(path string, v url.Values, tweak ...func(*http.Request)) response {
	k.t.Helper()
	return k.record(k.stack.postForm(path, v, tweak...))
}

// noLeaks fails when any response, log line, database file or the keystore file
// holds a secret (the keystore file in the clear).
func (k *keysStack) noLeaks(t *testing.T, extra map[string]string) {
	t.Helper()
	places := map[string]string{"log": k.logs.String()}
	for i, b := range k.bodies {
		places[fmt.Sprintf("response %d", i)] = b
	}
	for name, v := range extra {
		places[name] = v
	}
	files, _ := filepath.Glob(filepath.Join(k.dataDir, "*"))
	more, _ := filepath.Glob(filepath.Join(k.dataDir, "*", "*"))
	files = append(files, more...)
	sawKeystore, sawDB := false, false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a folder
		}
		places["file "+filepath.Base(f)] = string(b)
		sawKeystore = sawKeystore || filepath.Base(f) == keystore.FileName
		sawDB = sawDB || strings.Contains(filepath.Base(f), ".db") || strings.Contains(filepath.Base(f), "sqlite")
	}
	if !sawKeystore || !sawDB {
		t.Errorf("leak search saw keystore file %v, database %v (files %v)", sawKeystore, sawDB, files)
	}
	for where, text := range places {
		for _, c := range canaries {
			if strings.Contains(text, c) {
				i := strings.Index(text, c)
				t.Errorf("%s contains the secret %q: …%s…", where, c, text[max(0, i-200):min(len(text), i+len(c)+50)])
			}
		}
	}
}

// s3Server is gofakes3 behind an AWS Signature V4 check (header or presigned), so
// wrong secrets and unsigned URLs fail as on a real S3 server.
func s3Server(t *testing.T, buckets ...string) (*httptest.Server, *s3mem.Backend) {
	t.Helper()
	be := s3mem.New()
	for _, b := range buckets {
		if err := be.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	secrets := map[string]string{s3AccessKey: s3Secret, eoAccessKey: eoSecret}
	ts := httptest.NewServer(s3test.SigV4(secrets, gofakes3.New(be).Server()))
	t.Cleanup(ts.Close)
	return ts, be
}

func putObject(t *testing.T, be *s3mem.Backend, bucket, key, body string) {
	t.Helper()
	if _, err := be.PutObject(bucket, key, map[string]string{"Content-Type": "text/plain"},
		strings.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
}

// davServer is an x/net/webdav share behind basic authentication.
func davServer(t *testing.T) *httptest.Server {
	t.Helper()
	h := &webdav.Handler{FileSystem: webdav.NewMemFS(), LockSystem: webdav.NewMemLS()}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != davUser || p != davPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="dav"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// ogcServer is a minimal OGC API – Processes landing page and conformance
// declaration that answer only with the bearer token; it counts authorised calls.
func ogcServer(t *testing.T) (*httptest.Server, *int) {
	t.Helper()
	var mu sync.Mutex
	calls := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+bearerToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"type":"about:blank","title":"Unauthorized","status":401}`)
			return
		}
		mu.Lock()
		calls++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimSuffix(r.URL.Path, "/") {
		case "/ogc":
			io.WriteString(w, `{"title":"Secured OGC","links":[{"rel":"http://www.opengis.net/def/rel/ogc/1.0/conformance","href":"/ogc/conformance"},{"rel":"http://www.opengis.net/def/rel/ogc/1.0/processes","href":"/ogc/processes"}]}`)
		case "/ogc/conformance":
			io.WriteString(w, `{"conformsTo":["http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core","http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json"]}`)
		case "/ogc/processes":
			io.WriteString(w, `{"processes":[],"links":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts, &calls
}
