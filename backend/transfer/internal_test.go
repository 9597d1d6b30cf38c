package transfer

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestRangeSet(t *testing.T) {
	var r rangeSet
	for _, s := range []span{{10, 20}, {30, 40}, {20, 30}, {0, 5}, {50, 60}, {55, 70}, {4, 6}} {
		r = r.add(s.Start, s.End)
	}
	want := rangeSet{{0, 6}, {10, 40}, {50, 70}}
	if len(r) != len(want) {
		t.Fatalf("got %v, want %v", r, want)
	}
	for i := range r {
		if r[i] != want[i] {
			t.Fatalf("got %v, want %v", r, want)
		}
	}
	if r.total() != 56 || r.prefix() != 6 {
		t.Errorf("total %d prefix %d", r.total(), r.prefix())
	}
	m := r.missing(80)
	if len(m) != 3 || m[0] != (span{6, 10}) || m[1] != (span{40, 50}) || m[2] != (span{70, 80}) {
		t.Errorf("missing = %v", m)
	}
	if c := r.clip(15); len(c) != 2 || c[1] != (span{10, 15}) {
		t.Errorf("clip = %v", c)
	}
}

func TestPlanStealsTails(t *testing.T) {
	var w atomic.Int64
	p := newPlan(100<<20, nil, 100<<20, 4<<20, 1<<20, &w)
	a := p.next()
	if a == nil || a.cur != 0 || a.end != 100<<20 {
		t.Fatalf("first segment %+v", a)
	}
	p.advance(a, 0, 10<<20)
	b := p.next() // nothing pending: steals half of what a has left
	if b == nil || b.end != 100<<20 || a.end != b.cur || b.cur < a.cur+1<<20 {
		t.Fatalf("steal: a=%+v b=%+v", a, b)
	}
	// Tails too small to be worth a request are left alone.
	p.advance(a, 10<<20, a.end-10<<20-(2<<20))
	p.advance(b, b.cur, b.end-b.cur-(2<<20))
	if c := p.next(); c != nil {
		t.Errorf("stole a small tail: %+v", c)
	}
	if got, want := w.Load(), int64(100<<20-4<<20); got != want {
		t.Errorf("written %d, want %d", got, want)
	}
}

func TestSanitizeName(t *testing.T) {
	ok := map[string]string{
		"a/b.tif": "a/b.tif", `a\b.tif`: "a/b.tif", "./a//b": "a/b", "ab:c": "ab_c", "x<y>.tif": "x_y_.tif",
		"end. ": "end", "\xff.tif": "_.tif", "a/./b": "a/b", "COM10": "COM10", "console": "console",
	}
	for in, want := range ok {
		if got, err := SanitizeName(in); err != nil || got != want {
			t.Errorf("SanitizeName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "..", "../x", "a/../../b", "a/..", "/etc/passwd", `\x`, `C:\x`, "c:x", `\\?\C:\x`,
		"//srv/share", "a\x00b", "CON", "con.txt", "a/NUL", "LPT1.log", "com1", "CONIN$", ".", "./", strings.Repeat("a/", 33) + "b",
		strings.Repeat("x", 5000)} {
		if got, err := SanitizeName(in); err == nil || Code(err) != InvalidArgument {
			t.Errorf("SanitizeName(%q) = %q, %v; want InvalidArgument", in, got, err)
		}
	}
	long, err := SanitizeName(strings.Repeat("é", 300) + ".tif")
	long2, _ := SanitizeName(strings.Repeat("é", 301) + ".tif")
	if err != nil || len(long) > maxComponent || !strings.HasSuffix(long, ".tif") || long == long2 {
		t.Errorf("long name: %q (%d bytes), %v", long, len(long), err)
	}
}

func TestLocalErrorCodes(t *testing.T) {
	for errno, want := range map[syscall.Errno]ErrorCode{
		syscall.ENOSPC: ResourceExhausted, syscall.EDQUOT: ResourceExhausted, syscall.EACCES: PermissionDenied,
		syscall.EPERM: PermissionDenied, syscall.EROFS: PermissionDenied, syscall.EIO: Unknown,
	} {
		err := localError("write", "a.part", &fs.PathError{Op: "write", Path: "/secret/a.part", Err: errno})
		if Code(err) != want {
			t.Errorf("%v: code %v, want %v", errno, Code(err), want)
		}
		if want == ResourceExhausted && !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%v: message %q", errno, err)
		}
	}
}

// A file of unknown size that never ends stops before the disk is full, with the reason,
// and its partial file is emptied: the download wrote on until the disk was full (7 GiB
// in 25 s from a hostile server, 2026-12-06), and kept the partial file for a resume
// that starts over anyway. Here the disk has 10 MiB free; the server gives up after
// 50 MiB, so a download that does not stop completes.
func TestEndlessFileStopsBeforeDiskIsFull(t *testing.T) {
	dest := t.TempDir()
	part := filepath.Join(dest, "f.part")
	oldFree, oldEvery := freeSpaceOf, roomCheckEvery
	freeSpaceOf = func(string) int64 {
		fi, err := os.Stat(part)
		if err != nil {
			return 10 << 20
		}
		return 10<<20 - fi.Size()
	}
	roomCheckEvery = 256 << 10
	t.Cleanup(func() { freeSpaceOf, roomCheckEvery = oldFree, oldEvery })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			return // no length
		}
		b := make([]byte, 64<<10)
		for sent := 0; sent < 50<<20; sent += len(b) {
			if _, err := w.Write(b); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := Download(context.Background(), Request{URL: srv.URL + "/f", Dest: dest, Name: "f", Size: -1},
		Options{BufferSize: 64 << 10})
	if Code(err) != ResourceExhausted || !strings.Contains(err.Error(), "did not say how large the file is") {
		t.Fatalf("Download = %v (code %v), want ResourceExhausted saying why", err, Code(err))
	}
	if fi, err := os.Stat(part); err == nil && fi.Size() != 0 {
		t.Errorf("the partial file keeps %d bytes", fi.Size())
	}
	if _, err := os.Stat(filepath.Join(dest, "f")); err == nil {
		t.Error("the file was completed")
	}
}
