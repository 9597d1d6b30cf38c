package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

func TestWriteReplacesWholeAndLeavesNoTemp(t *testing.T) {
	for name, fsys := range map[string]afero.Fs{"mem": afero.NewMemMapFs(), "os": afero.NewOsFs()} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if name == "mem" {
				dir = "/d"
				fsys.MkdirAll(dir, 0o755)
			}
			p := filepath.Join(dir, "state.json")
			if err := Write(fsys, p, []byte("old content, long"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := Write(fsys, p, []byte("new"), 0o600); err != nil {
				t.Fatal(err)
			}
			b, _ := afero.ReadFile(fsys, p)
			if string(b) != "new" {
				t.Fatalf("content %q", b)
			}
			fi, _ := fsys.Stat(p)
			if fi.Mode().Perm() != 0o600 && !(name == "os" && runtime.GOOS == "windows") { // Windows has no permission bits
				t.Errorf("mode %v", fi.Mode().Perm())
			}
			entries, _ := afero.ReadDir(fsys, dir)
			if len(entries) != 1 {
				t.Errorf("left behind: %d entries", len(entries))
			}
		})
	}
}

func TestWriteFailsWithoutFolder(t *testing.T) {
	if err := WriteOS(filepath.Join(t.TempDir(), "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Fatal("wrote into a missing folder")
	}
}

// A data folder deep in a user's profile can pass Windows' old 260-character limit; the
// write, its temporary file and the rename over an existing file must all work there.
func TestWriteLongPathOverExisting(t *testing.T) {
	dir := t.TempDir()
	for len(dir) < 300 {
		dir = filepath.Join(dir, strings.Repeat("d", 40))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "keystore.age")
	for _, content := range []string{"first", "second, longer than the first"} {
		if err := WriteOS(p, []byte(content), 0o600); err != nil {
			t.Fatalf("write %q at a %d-character path: %v", content, len(p), err)
		}
		b, err := os.ReadFile(p)
		if err != nil || string(b) != content {
			t.Fatalf("read back %q, %v; want %q", b, err, content)
		}
	}
}
