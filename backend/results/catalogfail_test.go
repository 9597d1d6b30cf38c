package results_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// blockCatalog puts a folder where dest's catalog.json goes: writing the local
// catalog fails (as root too, unlike a read-only folder); the returned func
// takes it away.
func blockCatalog(t *testing.T, dest string) func() {
	t.Helper()
	in := filepath.Join(dest, transfer.CatalogName, "in-the-way")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.RemoveAll(filepath.Join(dest, transfer.CatalogName)); err != nil {
			t.Fatal(err)
		}
	}
}

// A download is done only once its local catalog is written: when the write
// fails the file shows failed with the reason (and is recorded so), not done;
// the folder's next download, or Retry (Resume), writes the catalog and the
// file is done.
func TestCatalogWriteFailureIsNotDone(t *testing.T) {
	tif, png := []byte(strings.Repeat("tiff", 500)), []byte("png data")
	srv := fileServer(t, map[string][]byte{"/scene.tif": tif, "/thumb.png": png})
	asset := func(href string, b []byte) stac.Asset {
		a := stac.Asset{Href: srv.URL + href, Type: "image/png"}
		a.Set("file:size", len(b))
		a.Set("file:checksum", mh(b))
		return a
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{
		sceneItem("scene", map[string]stac.Asset{"data": asset("/scene.tif", tif), "thumbnail": asset("/thumb.png", png)})}}
	data := results.AssetRef{Item: "scene", Asset: "data"}
	thumb := results.AssetRef{Item: "scene", Asset: "thumbnail"}
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	failedFirst := func(t *testing.T, e *env, d *results.Downloads, dest string) {
		t.Helper()
		if n, err := d.Start(ctx, e.jobID, dest, []results.AssetRef{data}); n != 1 || err != nil {
			t.Fatalf("Start: %d, %v", n, err)
		}
		p, err := d.Wait(ctx, e.jobID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Completed != 0 || p.Failed != 1 || p.Files[0].State != transfer.StateFailed ||
			!strings.Contains(p.Files[0].Error, "downloaded, but the local catalog (catalog.json) was not written") {
			t.Fatalf("with the catalog write failing: completed %d, failed %d: %+v", p.Completed, p.Failed, p.Files)
		}
		if v := d.View(e.jobID); v.Failed != 1 || v.Files[0].Error != p.Files[0].Error {
			t.Fatalf("View: %+v", v)
		}
		recs, _ := e.st.Downloads(ctx, e.jobID)
		if len(recs) != 1 || recs[0].State != store.DownloadFailed || !strings.Contains(recs[0].Error, "local catalog") {
			t.Fatalf("recorded: %+v", recs)
		}
	}
	done := func(t *testing.T, e *env, d *results.Downloads, dest string, files int) {
		t.Helper()
		p, err := d.Wait(ctx, e.jobID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Completed != files || p.Failed != 0 {
			t.Fatalf("after the catalog was written: completed %d, failed %d: %+v", p.Completed, p.Failed, p.Files)
		}
		item, err := os.ReadFile(filepath.Join(dest, "scene", "scene.json"))
		if err != nil || !strings.Contains(string(item), `"./scene.tif"`) {
			t.Fatalf("local item: %s %v", item, err)
		}
		if _, err := os.ReadFile(filepath.Join(dest, transfer.CatalogName)); err != nil {
			t.Fatal(err)
		}
		recs, _ := e.st.Downloads(ctx, e.jobID)
		for _, r := range recs {
			if r.State != store.DownloadCompleted {
				t.Errorf("recorded: %+v", r)
			}
		}
	}

	// failing downloads the first file into a folder whose catalog cannot be
	// written, and returns what takes the obstacle away.
	failing := func(t *testing.T) (*env, *results.Downloads, string, func()) {
		e := newEnv(t, ic)
		d := e.downloads(t, nil)
		t.Cleanup(func() { d.Close() })
		dest := t.TempDir()
		unblock := blockCatalog(t, dest)
		failedFirst(t, e, d, dest)
		return e, d, dest, unblock
	}

	t.Run("next download", func(t *testing.T) {
		e, d, dest, unblock := failing(t)
		unblock()
		if n, err := d.Start(ctx, e.jobID, dest, []results.AssetRef{thumb}); n != 1 || err != nil {
			t.Fatalf("Start: %d, %v", n, err)
		}
		done(t, e, d, dest, 2)
	})
	t.Run("retry", func(t *testing.T) {
		e, d, dest, unblock := failing(t)
		// Retried with the catalog still in the way: failed again, with the reason.
		if n := d.Resume(e.jobID, ""); n != 1 {
			t.Fatalf("Resume: %d", n)
		}
		if p, _ := d.Wait(ctx, e.jobID); p.Failed != 1 || !strings.Contains(p.Files[0].Error, "local catalog") {
			t.Fatalf("retried with the catalog in the way: %+v", p.Files)
		}
		unblock()
		d.Resume(e.jobID, "")
		done(t, e, d, dest, 1)
	})
}
