package transfer_test

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/file"
)

// Folder writes through a driver under its base, refusing names that would leave it.
func TestFolderPut(t *testing.T) {
	dir := t.TempDir()
	f := transfer.NewFolder(file.Source{}, &url.URL{Scheme: "file", Path: filepath.ToSlash(dir) + "/out"})
	ctx := context.Background()
	if err := f.Put(ctx, "item/a b.tif", bytes.NewReader([]byte("data")), 4, "image/tiff"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out", "item", "a b.tif")); err != nil || string(b) != "data" {
		t.Fatalf("written: %q %v", b, err)
	}
	if u := f.URL("item/a b.tif"); !strings.HasSuffix(u, "/out/item/a%20b.tif") {
		t.Errorf("URL = %s", u)
	}
	for _, bad := range []string{"../escape.tif", "/etc/x", ""} {
		if err := f.Put(ctx, bad, bytes.NewReader(nil), 0, ""); transfer.Code(err) != transfer.InvalidArgument {
			t.Errorf("Put(%q) = %v, want InvalidArgument", bad, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "escape.tif")); err == nil {
		t.Fatal("a name left the folder")
	}
	if err := f.Put(ctx, "short.bin", bytes.NewReader([]byte("abc")), 10, ""); transfer.Code(err) != transfer.DataLoss {
		t.Errorf("short Put: %v, want DataLoss", err)
	}
}
