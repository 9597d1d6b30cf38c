package cmd

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/folderlock"
)

// A second geojobs on a data folder in use says which process holds it and exits
// non-zero, before touching anything (it used to rewrite the first one's stored URLs,
// and local-endpoint resumed the app's jobs).
func TestSecondProcessOnDataFolderRefused(t *testing.T) {
	dir := t.TempDir()
	l, err := folderlock.Acquire(dir, "geojobs serve")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	for _, argv := range [][]string{
		{"geojobs", "serve", "--data-dir", dir},
		{"geojobs", "--no-open", "--data-dir", dir},
		{"geojobs", "local-endpoint", "--addr", "127.0.0.1:0", "--data-dir", dir},
	} {
		code, stderr := runCLI(t, argv...)
		if code == 0 || !strings.Contains(stderr, fmt.Sprintf("pid %d, geojobs serve", os.Getpid())) {
			t.Errorf("%v: exit %d: %s", argv[1:], code, stderr)
		}
	}
	if _, err := os.Stat(dir + "/ui-port"); err == nil {
		t.Error("the refused process wrote the port file")
	}
}
