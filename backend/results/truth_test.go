package results_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/internal/waitfor"
)

func twoFiles(t *testing.T) *env {
	tif, png := []byte(strings.Repeat("tiff", 5000)), []byte("png data")
	srv := fileServer(t, map[string][]byte{"/scene.tif": tif, "/thumb.png": png})
	asset := func(href string, b []byte) stac.Asset {
		a := stac.Asset{Href: srv.URL + href}
		a.Set("file:size", len(b))
		a.Set("file:checksum", mh(b))
		return a
	}
	return newEnv(t, &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{
		sceneItem("scene", map[string]stac.Asset{"data": asset("/scene.tif", tif), "thumbnail": asset("/thumb.png", png)})}})
}

func waitAll(t *testing.T, d *results.Downloads, jobID string) results.JobProgress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	p, err := d.Wait(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Downloading again into another folder writes there: issue 14 §5 (it said "2 of 2
// done" and created nothing). Done means the files are in the folder shown.
func TestDownloadsIntoSecondFolder(t *testing.T) {
	e := twoFiles(t)
	d := e.downloads(t, nil)
	defer d.Close()
	a, b := filepath.Join(t.TempDir(), "A"), filepath.Join(t.TempDir(), "B", "second-copy")
	if n, err := d.Start(context.Background(), e.jobID, a, nil); n != 2 || err != nil {
		t.Fatalf("into A: %d queued, %v", n, err)
	}
	waitAll(t, d, e.jobID)
	if n, err := d.Start(context.Background(), e.jobID, b, nil); n != 2 || err != nil {
		t.Fatalf("into B: %d queued, %v", n, err)
	}
	p := waitAll(t, d, e.jobID)
	for _, dir := range []string{a, b} {
		for _, name := range []string{"scene/scene.tif", "scene/thumb.png", transfer.CatalogName} {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	inB := 0
	for _, f := range p.Files {
		if f.Dest == b && f.State == transfer.StateCompleted {
			inB++
		}
	}
	if inB != 2 || p.Completed != 4 {
		t.Fatalf("view: %d completed in B, %d in all; %+v", inB, p.Completed, p.Files)
	}
	// The same folder again queues nothing new (the files are there).
	if n, err := d.Start(context.Background(), e.jobID, b, nil); err != nil || len(d.View(e.jobID).Files) != 4 {
		t.Fatalf("into B again: %d, %v, %d files", n, err, len(d.View(e.jobID).Files))
	}
}

// A folder that cannot be used is refused before anything is queued, with the reason.
func TestDownloadsRefuseBadFolder(t *testing.T) {
	e := twoFiles(t)
	d := e.downloads(t, nil)
	defer d.Close()
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	for dir, code := range map[string]transfer.ErrorCode{
		"/proc/nope/here":                transfer.PermissionDenied,
		filepath.Join(file, "downloads"): transfer.InvalidArgument,
	} {
		if _, err := d.CheckFolder(context.Background(), e.jobID, dir); !errors.Is(err, results.ErrBadFolder) || transfer.Code(err) != code {
			t.Errorf("CheckFolder(%s) = %v, want ErrBadFolder with %v", dir, err, code)
		}
		n, err := d.Start(context.Background(), e.jobID, dir, nil)
		if n != 0 || !errors.Is(err, results.ErrBadFolder) || transfer.Code(err) != code {
			t.Errorf("Start(%s) = %d, %v; want nothing queued and ErrBadFolder with %v", dir, n, err, code)
		}
	}
	if recs, _ := e.st.Downloads(context.Background(), e.jobID); len(recs) != 0 || len(d.View(e.jobID).Files) != 0 {
		t.Fatalf("queued anyway: %d records, %+v", len(recs), d.View(e.jobID).Files)
	}
	if dest, err := d.CheckFolder(context.Background(), e.jobID, filepath.Join(t.TempDir(), "new")); err != nil || !filepath.IsAbs(dest) {
		t.Fatalf("a folder that can be created: %q, %v", dest, err)
	}
}

// A dead asset URL is retried a bounded number of times, with backoff, saying so,
// then fails with the reason (issue 14 §5: it sat at "Downloading 0 B" forever). The
// app's default retry policy is used.
func TestDownloadsDeadURLFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/scene.tif"
	l.Close()
	a := stac.Asset{Href: dead}
	a.Set("file:size", 1000)
	e := newEnv(t, &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{sceneItem("scene", map[string]stac.Asset{"data": a})}})
	var mu sync.Mutex
	var retrying []string
	d, err := results.NewDownloads(results.DownloadsOptions{Store: e.st,
		Items: func(context.Context, string) (*stac.ItemCollection, error) { return e.ic, nil },
		OnProgress: func(p results.JobProgress) {
			mu.Lock()
			defer mu.Unlock()
			for _, f := range p.Files {
				if f.Retrying != "" {
					retrying = append(retrying, f.Retrying)
				}
			}
		},
		Transfer: transfer.Options{ProgressInterval: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Now()
	if n, err := d.Start(context.Background(), e.jobID, t.TempDir(), nil); n != 1 || err != nil {
		t.Fatalf("queued %d, %v", n, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	p, err := d.Wait(ctx, e.jobID)
	if err != nil {
		t.Fatalf("still not failed after %v: %+v", time.Since(start), p.Files)
	}
	f := p.Files[0]
	if f.State != transfer.StateFailed || f.Code != transfer.Unavailable || !strings.Contains(f.Error, "(5 attempts)") ||
		!strings.HasPrefix(f.Error, "Cannot reach 127.0.0.1:") || !strings.Contains(f.Error, "connection refused") {
		t.Fatalf("dead URL: %s %v %q", f.State, f.Code, f.Error)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(retrying) == 0 || !strings.HasPrefix(retrying[0], "Retrying (attempt 2 of 5): Cannot reach 127.0.0.1:") {
		t.Fatalf("no retry shown while waiting: %q", retrying)
	}
	t.Logf("failed after %v; shown: %q", time.Since(start).Round(time.Millisecond), retrying[0])
}

// After a restart the verified files of earlier runs show as done (F-06: the panel
// said "Nothing downloaded yet" beside them); a file deleted since does not.
func TestDownloadsViewAfterRestart(t *testing.T) {
	e := twoFiles(t)
	d := e.downloads(t, nil)
	dest := t.TempDir()
	if n, err := d.Start(context.Background(), e.jobID, dest, nil); n != 2 || err != nil {
		t.Fatalf("%d queued, %v", n, err)
	}
	waitAll(t, d, e.jobID)
	d.Close()

	d2 := e.downloads(t, nil)
	defer d2.Close()
	p := d2.View(e.jobID)
	if p.Completed != 2 || len(p.Files) != 2 || p.Active != 0 || p.Size <= 0 || p.Done != p.Size {
		t.Fatalf("after a restart: %+v", p)
	}
	for _, f := range p.Files {
		if f.State != transfer.StateCompleted || f.Dest != dest {
			t.Errorf("file %+v", f)
		}
	}
	if err := os.Remove(filepath.Join(dest, "scene", "thumb.png")); err != nil {
		t.Fatal(err)
	}
	if p := d2.View(e.jobID); p.Completed != 1 || len(p.Files) != 1 || p.Files[0].Name != "scene/scene.tif" {
		t.Errorf("after deleting a file: %+v", p.Files)
	}
}
