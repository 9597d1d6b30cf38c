package results_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// manyFiles is a server of n files of size bytes each (/f00000.bin, …), like object
// storage: each response waits latency before its first byte. It counts requests by
// method and the most requests in flight at once.
type manyFiles struct {
	*httptest.Server
	n       int
	body    func(i int) []byte
	mu      sync.Mutex
	methods map[string]int
	active  int
	peak    int
	// overlap, when not nil, holds the first request until a second one is in flight
	// (closed then): whether requests overlap is then up to the client alone, not to
	// how quickly the server answers the first.
	overlap chan struct{}
}

func newManyFiles(tb testing.TB, n, size int, latency time.Duration) *manyFiles {
	s := &manyFiles{n: n, methods: map[string]int{}}
	s.body = func(i int) []byte {
		b := []byte(strings.Repeat(fmt.Sprintf("%08d", i), size/8+1))
		return b[:size]
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.methods[r.Method]++
		s.active++
		s.peak = max(s.peak, s.active)
		overlap, first := s.overlap, s.methods[r.Method] == 1 && len(s.methods) == 1
		if overlap != nil && s.active == 2 {
			close(overlap)
			s.overlap = nil
		}
		s.mu.Unlock()
		if overlap != nil && first {
			select {
			case <-overlap:
			case <-time.After(waitfor.Guard): // the client never sent a second request
			case <-r.Context().Done():
				return
			}
		}
		defer func() {
			s.mu.Lock()
			s.active--
			s.mu.Unlock()
		}()
		i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/f"), ".bin"))
		if err != nil || i < 0 || i >= n {
			http.NotFound(w, r)
			return
		}
		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(s.body(i))))
	}))
	tb.Cleanup(s.Close)
	return s
}

// items is one item whose assets are the server's files, with size and checksum.
func (s *manyFiles) items() *stac.ItemCollection {
	assets := map[string]stac.Asset{}
	for i := range s.n {
		b := s.body(i)
		a := stac.Asset{Href: fmt.Sprintf("%s/f%05d.bin", s.URL, i), Type: "application/octet-stream"}
		a.Set("file:size", len(b))
		a.Set("file:checksum", mh(b))
		assets[fmt.Sprintf("f%05d", i)] = a
	}
	return &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{sceneItem("tiles", assets)}}
}

// downloadAll downloads every asset of ic into dest as `geojobs download` does (no
// store) and returns the progress once all are settled.
func downloadAll(tb testing.TB, ic *stac.ItemCollection, dest string) results.JobProgress {
	d, err := results.NewDownloads(results.DownloadsOptions{
		Items: func(context.Context, string) (*stac.ItemCollection, error) { return ic, nil }})
	if err != nil {
		tb.Fatal(err)
	}
	defer d.Close()
	if n, err := d.Start(context.Background(), "", dest, nil); err != nil || n != len(ic.Features[0].Assets) {
		tb.Fatalf("Start = %d, %v", n, err)
	}
	p, err := d.Wait(context.Background(), "")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkDownloadsManySmall downloads 2,000 files of 100 kB from a server that
// answers each request after 20 ms, as object storage does.
func BenchmarkDownloadsManySmall(b *testing.B) {
	for _, c := range []struct{ n, size int }{{2000, 100_000}, {200, 1 << 20}} {
		b.Run(fmt.Sprintf("%dx%d", c.n, c.size), func(b *testing.B) {
			srv := newManyFiles(b, c.n, c.size, 20*time.Millisecond)
			ic := srv.items()
			b.SetBytes(int64(c.n * c.size))
			for b.Loop() {
				dest := b.TempDir()
				if p := downloadAll(b, ic, dest); p.Completed != c.n {
					b.Fatalf("%d of %d completed", p.Completed, c.n)
				}
				os.RemoveAll(dest)
			}
		})
	}
}

// Many small files: every one is downloaded and verified, with the connections to
// the server bounded, one request per file, and the work per file independent of the
// number of files (the manifest and the local catalog are not rewritten whole for
// every file).
func TestDownloadsManySmallFiles(t *testing.T) {
	const n, size = 2000, 4096
	// Work per file, counted in bytes allocated: rewriting the manifest and the local
	// catalog (both list every file) for each file allocated about 1 MB per file of
	// 2,000, a quarter of that per file of 500. The bytes per file are compared, not
	// held to a figure: what the HTTP connections, the race detector and the test
	// server take per file varies with the machine and its load, not with n.
	quarter := downloadMany(t, n/4, size)
	whole := downloadMany(t, n, size)
	t.Logf("bytes allocated per file: %d of %d files, %d of %d", quarter.perFile, n/4, whole.perFile, n)
	if whole.perFile > 2*quarter.perFile {
		t.Errorf("%d bytes allocated per file of %d, %d per file of %d: the work per file grows with the number of files",
			whole.perFile, n, quarter.perFile, n/4)
	}
	p, srv, dest := whole.p, whole.srv, whole.dest
	if p.Completed != n || p.Failed != 0 {
		t.Fatalf("completed %d failed %d of %d", p.Completed, p.Failed, n)
	}
	srv.mu.Lock()
	peak, methods := srv.peak, srv.methods
	srv.mu.Unlock()
	if peak > 64 {
		t.Errorf("%d requests at once; the per-host limit is 64", peak)
	}
	if peak < 2 {
		t.Errorf("requests never overlapped (peak %d)", peak)
	}
	// One request per file: a small file of known size needs no HEAD before its GET.
	if methods["GET"] != n || len(methods) != 1 {
		t.Errorf("requests %v for %d files, want one GET each", methods, n)
	}
	t.Logf("requests %v, peak %d in flight", methods, peak)
	man, err := transfer.ReadManifest(dest)
	if err != nil || len(man.Files) != n {
		t.Fatalf("manifest: %d files, %v", len(man.Files), err)
	}
	for _, f := range man.Files {
		if !f.Verified {
			t.Fatalf("%s not verified", f.Name)
		}
	}
	item, err := os.ReadFile(filepath.Join(dest, "tiles", "tiles.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(item), `"href": "./f`); got != n {
		t.Fatalf("local item: %d local hrefs, want %d", got, n)
	}
	var count atomic.Int64
	filepath.WalkDir(filepath.Join(dest, "tiles"), func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".bin") {
			count.Add(1)
		}
		return nil
	})
	if count.Load() != n {
		t.Fatalf("%d files on disk, want %d", count.Load(), n)
	}
}

// manyDownload is one download of many files: its progress, the server, the folder and
// the bytes the process allocated per file while it ran.
type manyDownload struct {
	p       results.JobProgress
	srv     *manyFiles
	dest    string
	perFile uint64
}

func downloadMany(t *testing.T, n, size int) manyDownload {
	t.Helper()
	srv := newManyFiles(t, n, size, 0)
	srv.overlap = make(chan struct{})
	ic := srv.items()
	dest := filepath.Join(t.TempDir(), "out")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p := downloadAll(t, ic, dest)
	runtime.ReadMemStats(&after)
	return manyDownload{p: p, srv: srv, dest: dest, perFile: (after.TotalAlloc - before.TotalAlloc) / uint64(n)}
}

// A file waiting for its turn, or for the catalog write that lists it, costs no
// goroutine: with a thousand files queued behind requests the server holds, the
// goroutines are those of the requests under way, not one per file.
func TestQueuedFilesHoldNoGoroutine(t *testing.T) {
	const n = 1000
	release := make(chan struct{})
	arrived := make(chan struct{}, n)
	body := []byte("tile")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.Write(body)
	}))
	defer srv.Close()
	assets := map[string]stac.Asset{}
	for i := range n {
		a := stac.Asset{Href: fmt.Sprintf("%s/f%05d.bin", srv.URL, i)}
		a.Set("file:size", len(body))
		a.Set("file:checksum", mh(body))
		assets[fmt.Sprintf("f%05d", i)] = a
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{sceneItem("tiles", assets)}}
	d, err := results.NewDownloads(results.DownloadsOptions{
		Items: func(context.Context, string) (*stac.ItemCollection, error) { return ic, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	before := runtime.NumGoroutine()
	if k, err := d.Start(context.Background(), "", t.TempDir(), nil); err != nil || k != n {
		t.Fatalf("Start = %d, %v", k, err)
	}
	<-arrived // requests are under way, the other files wait
	during := runtime.NumGoroutine() - before
	close(release)
	p, err := d.Wait(context.Background(), "")
	if err != nil || p.Completed != n {
		t.Fatalf("completed %d of %d: %v", p.Completed, n, err)
	}
	// The requests under way (at most the per-host limit of 64) each take a few
	// goroutines (client, server); a goroutine per file would be a thousand more.
	t.Logf("%d goroutines more while %d files were queued", during, n)
	if during > 400 {
		t.Errorf("%d goroutines more while %d files were queued: one per file?", during, n)
	}
}
