package cmd

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeysCommand runs `geojobs keys` end to end on a real data dir with a
// passphrase from the environment, and checks that no secret shows anywhere.
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
	if _, err := run(token+"\n", "add", "--name", "zoo", "--kind", "http", "--prefix", ts.URL+"/"); err != nil {
		t.Fatalf("add: %v", err)
	}
	if _, err := run("wrong-"+token, "add", "--name", "zoo-bad", "--kind", "http", "--scheme", "bearer", "--prefix", ts.URL+"/"); err != nil {
		t.Fatalf("add zoo-bad: %v", err)
	}
	if _, err := run("S3-"+token, "add", "--name", "res", "--kind", "s3", "--access-key", "AKID", "--bucket", "results", "--public"); err != nil {
		t.Fatalf("add s3: %v", err)
	}
	if _, err := run("", "add", "--name", "empty", "--kind", "webdav", "--endpoint", "https://h/", "--username", "u"); err == nil {
		t.Fatal("empty secret accepted")
	}
	out, err := run("", "list")
	if err != nil || !strings.Contains(out, "zoo") || !strings.Contains(out, "res") || !strings.Contains(out, "s3://results/") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if out, err := run("", "test", "zoo"); err != nil || !strings.Contains(out, "HTTP 200") {
		t.Fatalf("test zoo: %v %s", err, out)
	}
	if _, err := run("", "test", "zoo-bad"); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("test zoo-bad: %v", err)
	}
	if _, err := run("", "remove", "zoo-bad"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("", "remove", "zoo-bad"); err == nil {
		t.Fatal("second remove succeeded")
	}
	t.Setenv("GEOJOBS_KEYSTORE_PASSPHRASE", "wrong")
	if _, err := run("", "list"); err == nil || !strings.Contains(err.Error(), "wrong keystore passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
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
