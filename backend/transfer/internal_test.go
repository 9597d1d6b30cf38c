package transfer

import (
	"io/fs"
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
