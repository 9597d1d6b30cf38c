package cmd

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/keystore"
)

// TestKeysCommand runs `geojobs keys` end to end on a real data dir with a
// passphrase from the environment, and checks that no secret shows anywhere.
//
// Each command opens the keystore, an scrypt derivation of work factor 18 (age's
// own, a second on an idle machine, many on a busy one). The keystore the test starts
// from is made with work factor 10, so the commands that only read it come first and
// cost little; every command that writes it must write it at 18 again (checked).
func TestKeysCommand(t *testing.T) {
	const token, phrase = "tok-CMD-CANARY-9z8y", "pp-CMD-CANARY-7x6w"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer ts.Close()
	dir := t.TempDir()
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", phrase)
	seed, err := keystore.Open(keystore.Config{Dir: dir, Keychain: keystore.KeychainOff, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := seed.Unlock(phrase); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Add(keystore.Key{Name: "zoo-bad", Kind: keystore.KindHTTP, Scheme: keystore.SchemeBearer, Prefix: ts.URL + "/",
		Secret: keystore.Secret("wrong-" + token)}); err != nil {
		t.Fatal(err)
	}
	seed.Lock()
	workFactor := func() string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "keystore.age"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^-> scrypt \S+ (\d+)$`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("keystore.age has no scrypt stanza:\n%.200s", b)
		}
		return string(m[1])
	}
	var all bytes.Buffer
	run := func(stdin string, args ...string) (string, error) {
		root := NewRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetIn(strings.NewReader(stdin))
		root.SetArgs(append([]string{"--data-dir", dir, "keys", "--keychain", "off"}, args...))
		err := root.Execute()
		all.WriteString(out.String())
		if err != nil {
			all.WriteString(err.Error() + "\n")
		}
		return out.String(), err
	}

	// Commands that read the keystore (or refuse before writing it).
	if _, err := run("", "add", "--name", "empty", "--kind", "webdav", "--endpoint", "https://h/", "--username", "u"); err == nil {
		t.Fatal("empty secret accepted")
	}
	if _, err := run("", "test", "zoo-bad"); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("test zoo-bad: %v", err)
	}
	if _, err := run("", "remove", "no-such-key"); err == nil {
		t.Fatal("removing a key that is not there succeeded")
	}
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", "wrong")
	if _, err := run("", "list"); err == nil || !strings.Contains(err.Error(), "wrong keystore passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", phrase)
	if wf := workFactor(); wf != "10" {
		t.Fatalf("a command that only read the keystore rewrote it (work factor %s)", wf)
	}

	// Commands that write it.
	if _, err := run(token+"\n", "add", "--name", "zoo", "--kind", "http", "--prefix", ts.URL+"/"); err != nil {
		t.Fatalf("add: %v", err)
	}
	if wf := workFactor(); wf != "18" {
		t.Errorf("keys add wrote the keystore with scrypt work factor %s, want age's 18", wf)
	}
	if out, err := run("", "test", "zoo"); err != nil || !strings.Contains(out, "HTTP 200") {
		t.Fatalf("test zoo: %v %s", err, out)
	}
	if _, err := run("S3-"+token, "add", "--name", "res", "--kind", "s3", "--access-key", "AKID", "--bucket", "results", "--public"); err != nil {
		t.Fatalf("add s3: %v", err)
	}
	if _, err := run("", "remove", "zoo-bad"); err != nil {
		t.Fatal(err)
	}
	out, err := run("", "list")
	if err != nil || !strings.Contains(out, "zoo") || strings.Contains(out, "zoo-bad") || !strings.Contains(out, "res") || !strings.Contains(out, "s3://results/") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	for _, name := range []string{"keystore.age", "keystore.age.bak"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	if strings.Contains(all.String(), "CANARY") {
		t.Fatalf("a secret leaked:\n%s", all.String())
	}
}
