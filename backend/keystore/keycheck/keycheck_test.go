package keycheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
	"golang.org/x/net/webdav"
)

const (
	token    = "tok-LEAK-CANARY-1f9e"
	davPass  = "dav-LEAK-CANARY-77aa"
	s3Secret = "s3-LEAK-CANARY-c0ffee"
	apiValue = "api-LEAK-CANARY-5150"
)

var canaries = []string{token, davPass, s3Secret, apiValue}

// endpoint answers 200 for the right bearer token or API key, 401 otherwise.
func endpoint(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/ogc/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+token || r.Header.Get("X-API-Key") == apiValue {
			fmt.Fprint(w, `{"title":"landing"}`)
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	})
	mux.HandleFunc("/broken/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusBadGateway) })
	mux.HandleFunc("/login-redirect/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://login.example.net/auth", http.StatusFound)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func davServer(t *testing.T) *httptest.Server {
	h := &webdav.Handler{FileSystem: webdav.NewMemFS(), LockSystem: webdav.NewMemLS()}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ana" || p != davPass {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func s3Server(t *testing.T) *httptest.Server {
	be := s3mem.New()
	_ = be.CreateBucket("results")
	ts := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(ts.Close)
	return ts
}

func TestHTTPKey(t *testing.T) {
	ts := endpoint(t)
	ctx := context.Background()
	k := &keystore.Key{Name: "zoo", Kind: keystore.KindHTTP, Prefix: ts.URL + "/ogc/", Secret: token}
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	rep, err := Key(ctx, k, Options{})
	if err != nil || rep.Status != 200 || !strings.Contains(rep.Detail, "HTTP 200") {
		t.Fatalf("good token: %+v %v", rep, err)
	}
	hk := &keystore.Key{Name: "api", Kind: keystore.KindHTTP, Scheme: keystore.SchemeHeader, Header: "X-API-Key", Prefix: ts.URL + "/ogc/", Secret: apiValue}
	_ = hk.Normalize()
	if _, err := Key(ctx, hk, Options{}); err != nil {
		t.Fatalf("api key: %v", err)
	}
	for _, c := range []struct {
		prefix, secret string
		want           error
		status         string
	}{
		{"/ogc/", "wrong", keystore.ErrDenied, "401"},
		{"/missing/", token, keystore.ErrRemoteNotFound, "404"},
		{"/broken/", token, keystore.ErrUnavailable, "502"},
		{"/login-redirect/", token, keystore.ErrDenied, "login.example.net"},
	} {
		k := &keystore.Key{Name: "x", Kind: keystore.KindHTTP, Prefix: ts.URL + c.prefix, Secret: keystore.Secret(c.secret)}
		_ = k.Normalize()
		_, err := Key(ctx, k, Options{})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.status) {
			t.Errorf("%s: %v, want %v mentioning %s", c.prefix, err, c.want, c.status)
		}
	}
}

// TestNoSecretLeaks runs add, list, test and failing operations with known
// secret values and checks none of them appears in any output, error or log.
func TestNoSecretLeaks(t *testing.T) {
	httpTS, davTS, s3TS := endpoint(t), davServer(t), s3Server(t)
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	record := func(what string, v ...any) {
		fmt.Fprintln(&out, append([]any{what}, v...)...)
		fmt.Fprintf(&out, "%+v %#v\n", v, v)
		log.Debug(what, "values", v)
	}
	fs := afero.NewMemMapFs()
	st, err := keystore.Open(keystore.Config{Fs: fs, Dir: "/d", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Unlock("pass phrase"); err != nil {
		t.Fatal(err)
	}
	keys := []keystore.Key{
		{Name: "zoo", Kind: keystore.KindHTTP, Prefix: httpTS.URL + "/ogc/", Secret: token},
		{Name: "api", Kind: keystore.KindHTTP, Scheme: keystore.SchemeHeader, Header: "X-API-Key", Prefix: httpTS.URL + "/ogc/", Secret: apiValue},
		{Name: "drive", Kind: keystore.KindWebDAV, Endpoint: davTS.URL + "/", Username: "ana", Secret: davPass},
		{Name: "bucket", Kind: keystore.KindS3, AccessKey: "AKID", Bucket: "results", Endpoint: s3TS.URL, PathStyle: true, Secret: s3Secret},
	}
	for _, k := range keys {
		added, err := st.Add(k)
		record("add", added, err)
		_, err = st.Add(k) // duplicate
		record("add again", err)
	}
	bad := keystore.Key{Name: "bad key", Kind: keystore.KindHTTP, Secret: token}
	_, err = st.Add(bad)
	record("add invalid", err)
	list, err := st.List()
	j, _ := json.Marshal(list)
	record("list", list, err, string(j))
	for _, k := range list {
		rep, err := Key(context.Background(), &k, Options{})
		record("test", k.Name, rep, err)
		if k.Name != "bucket" && err != nil { // gofakes3 accepts any S3 key
			t.Errorf("test %s: %v", k.Name, err)
		}
		wrong := k
		wrong.Secret = keystore.Secret(k.Secret.Reveal() + "-wrong")
		rep, err = Key(context.Background(), &wrong, Options{})
		record("test wrong", k.Name, rep, err)
		for _, u := range []keystore.Use{keystore.Input, keystore.Output, keystore.Endpoint} {
			record("use", k.CanUse(u))
		}
		record("credentials", k.Credentials())
	}
	_, err = st.Get("nope")
	record("get missing", err)
	st2, _ := keystore.Open(keystore.Config{Fs: fs, Dir: "/d", Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	record("wrong passphrase", st2.Unlock("nope"))
	raw, _ := afero.ReadFile(fs, "/d/keystore.age")
	out.Write(raw)
	for _, c := range canaries {
		if strings.Contains(out.String(), c) {
			t.Errorf("secret %q leaked into the output", c)
		}
		if strings.Contains(out.String(), c+"-wrong") {
			t.Errorf("wrong secret %q leaked", c)
		}
	}
	if !strings.Contains(out.String(), "HTTP 401") {
		t.Error("the failing tests produced no errors to check")
	}
}

// F-30: a server that answers without credentials proves nothing about the key: the
// check says the key was not checked, rather than that it works.
func TestHTTPKeyAgainstAnOpenServer(t *testing.T) {
	open := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>a plain web server</html>")
	}))
	t.Cleanup(open.Close)
	k := &keystore.Key{Name: "open", Kind: keystore.KindHTTP, Prefix: open.URL + "/", Secret: token}
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	rep, err := Key(context.Background(), k, Options{})
	if err != nil || !rep.Unchecked || !strings.Contains(rep.Detail, "without it") {
		t.Errorf("open server: %+v %v, want unchecked", rep, err)
	}
	// The endpoint that refuses a request without the key: checked.
	ts := endpoint(t)
	k = &keystore.Key{Name: "zoo", Kind: keystore.KindHTTP, Prefix: ts.URL + "/ogc/", Secret: token}
	_ = k.Normalize()
	if rep, err := Key(context.Background(), k, Options{}); err != nil || rep.Unchecked || !strings.Contains(rep.Detail, "refused without it") {
		t.Errorf("guarded server: %+v %v, want checked", rep, err)
	}
}

// F-30: a failed check is explained as the endpoint test explains it, not as the raw
// error: an S3 server that is down gets "Cannot reach …: connection refused. Is the
// server running?".
func TestExplainFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	k := &keystore.Key{Name: "down", Kind: keystore.KindS3, AccessKey: "AKID", Bucket: "results", Endpoint: closed, PathStyle: true, Secret: s3Secret}
	if err := k.Normalize(); err != nil {
		t.Fatal(err)
	}
	// No timeout of the test's own: the check must answer from the refusal, not
	// from a deadline (minio retried a refused connection for seconds; on a busy
	// machine that outlasted a 5 s timeout and the check said "The test failed.").
	_, err = Key(context.Background(), k, Options{})
	if err == nil {
		t.Fatal("a check against a closed port passed")
	}
	if got, want := Explain(k, err), "Cannot reach "+closed+"/: connection refused. Is the server running?"; !strings.HasPrefix(got, want) {
		t.Errorf("explained as %q, want %q…", got, want)
	}
	ts := endpoint(t)
	bad := &keystore.Key{Name: "x", Kind: keystore.KindHTTP, Prefix: ts.URL + "/ogc/", Secret: "wrong"}
	_ = bad.Normalize()
	_, err = Key(context.Background(), bad, Options{})
	if got := Explain(bad, err); !strings.Contains(got, "refused the key") {
		t.Errorf("a wrong token explained as %q", got)
	}
}
