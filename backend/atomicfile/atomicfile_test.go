package atomicfile

import (
	"path/filepath"
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
			if fi.Mode().Perm() != 0o600 {
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
