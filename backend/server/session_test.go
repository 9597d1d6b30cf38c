package server

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadSessionKeptAndPrivate(t *testing.T) {
	p := filepath.Join(t.TempDir(), SessionFile)
	a, err := LoadSession(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("session file mode %v %v", fi.Mode(), err)
	}
	b, err := LoadSession(p)
	if err != nil || b != a {
		t.Fatalf("second launch: %q %v, want the same session", b, err)
	}
	// A file others can read is not trusted.
	os.Chmod(p, 0o644)
	c, err := LoadSession(p)
	if err != nil || c == a {
		t.Fatalf("world-readable session reused: %v", err)
	}
}
