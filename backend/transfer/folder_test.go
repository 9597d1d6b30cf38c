package transfer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/transfer"
)

// The destination folder is checked before anything is queued: usable folders pass,
// the others say why with a code.
func TestCheckFolder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir  string
		need int64
		code transfer.ErrorCode // Unknown: no error
		says string
	}{
		{dir, 0, transfer.Unknown, ""},
		{filepath.Join(dir, "new", "deeper"), 1 << 20, transfer.Unknown, ""},
		{"relative/folder", 0, transfer.InvalidArgument, "not an absolute path"},
		{file, 0, transfer.InvalidArgument, "is a file"},
		{filepath.Join(file, "below"), 0, transfer.InvalidArgument, "is a file"},
		{"/proc/nope/here", 0, transfer.PermissionDenied, "cannot be created (/proc is not writable)"},
		{filepath.Join(dir, "huge"), 1 << 62, transfer.ResourceExhausted, "not enough free space"},
	} {
		err := transfer.CheckFolder(c.dir, c.need)
		if c.code == transfer.Unknown {
			if err != nil {
				t.Errorf("CheckFolder(%s): %v", c.dir, err)
			}
			continue
		}
		if transfer.Code(err) != c.code || !strings.Contains(err.Error(), c.says) {
			t.Errorf("CheckFolder(%s) = %v (code %v), want %v saying %q", c.dir, err, transfer.Code(err), c.code, c.says)
		}
	}
	// Nothing stays behind.
	if _, err := os.Stat(filepath.Join(dir, "new")); err == nil {
		t.Error("CheckFolder created the folder")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("probe files left: %v", entries)
	}
}
