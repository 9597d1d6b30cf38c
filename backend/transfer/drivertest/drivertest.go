// Package drivertest is the conformance suite every transfer driver runs (see
// package driver): Stat, ranges, preconditions and error codes; and, for drivers that
// write or list, Put (with its verification) and List.
package drivertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Harness adapts a driver to the suite.
type Harness interface {
	// Source returns the driver under test.
	Source() driver.Source
	// Put stores an object with the given content and returns its URL. Calling it again
	// with the same name replaces the object (its ETag or ModTime must change).
	Put(t *testing.T, name string, content []byte) *url.URL
	// Missing returns the URL of an object that does not exist.
	Missing(t *testing.T) *url.URL
}

// Run runs the suite: the read part for every driver, the write and list parts for
// drivers that implement driver.Writer and driver.Lister (their harness must then be
// a FolderHarness).
func Run(t *testing.T, h Harness) {
	ctx := context.Background()
	src := h.Source()
	content := make([]byte, 100_000)
	rand.Read(content)
	w, writes := src.(driver.Writer)
	l, lists := src.(driver.Lister)
	if writes || lists {
		fh, ok := h.(FolderHarness)
		if !ok {
			t.Fatal("the driver writes or lists: its harness must implement FolderHarness")
		}
		if lists && !writes {
			t.Fatal("the suite writes the objects it lists: a Lister must be a Writer")
		}
		t.Run("Write", func(t *testing.T) { runWriter(t, w, src, fh.Folder(t), content) })
		if lists {
			t.Run("List", func(t *testing.T) { runLister(t, l, w, fh.Folder(t)) })
		}
	}

	t.Run("Stat", func(t *testing.T) {
		u := h.Put(t, "a.bin", content)
		info, err := src.Stat(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(content)) || !info.AcceptRanges {
			t.Errorf("Stat = %+v, want size %d with ranges", info, len(content))
		}
		if info.ETag == "" && info.ModTime.IsZero() {
			t.Error("Stat has neither ETag nor ModTime: a changed object could not be told apart")
		}
	})
	t.Run("ReadRange", func(t *testing.T) {
		u := h.Put(t, "b.bin", content)
		info, err := src.Stat(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ off, n int64 }{{0, -1}, {0, 1}, {1, 10}, {50_000, -1}, {99_999, 1}, {12_345, 54_321}} {
			rc, err := src.ReadRange(ctx, u, c.off, c.n, &driver.ReadOptions{IfMatch: info.ETag})
			if err != nil {
				t.Fatalf("ReadRange(%d, %d): %v", c.off, c.n, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			end := int64(len(content))
			if c.n > 0 {
				end = c.off + c.n
			}
			if err != nil || !bytes.Equal(got, content[c.off:end]) {
				t.Errorf("ReadRange(%d, %d): %d bytes, err %v; want %d bytes", c.off, c.n, len(got), err, end-c.off)
			}
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		u := h.Missing(t)
		if _, err := src.Stat(ctx, u); driver.CodeOf(err) != driver.NotFound {
			t.Errorf("Stat of missing object: %v (code %v), want NotFound", err, driver.CodeOf(err))
		}
		if rc, err := src.ReadRange(ctx, u, 0, -1, nil); driver.CodeOf(err) != driver.NotFound {
			if rc != nil {
				rc.Close()
			}
			t.Errorf("ReadRange of missing object: %v, want NotFound", err)
		}
	})
	t.Run("Changed", func(t *testing.T) {
		u := h.Put(t, "c.bin", content)
		info, err := src.Stat(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		other := append([]byte("changed "), content...)
		h.Put(t, "c.bin", other)
		info2, err := src.Stat(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if info2.ETag == info.ETag && info2.ModTime.Equal(info.ModTime) && info2.Size == info.Size {
			t.Fatal("a replaced object looks the same to Stat")
		}
		if info.ETag == "" {
			return
		}
		rc, err := src.ReadRange(ctx, u, 10, 10, &driver.ReadOptions{IfMatch: info.ETag})
		if err == nil {
			rc.Close()
		}
		if driver.CodeOf(err) != driver.Changed {
			t.Errorf("ReadRange with a stale ETag: %v, want code Changed", err)
		}
	})
}

// FolderHarness is implemented by the harnesses of drivers that write or list
// (driver.Writer, driver.Lister): the suite writes its objects under Folder.
type FolderHarness interface {
	// Folder returns the URL of a folder (ending in "/") that is empty, or does not
	// exist yet, for the test's objects.
	Folder(t *testing.T) *url.URL
}

func child(base *url.URL, rel string) *url.URL {
	u := *base
	u.Path += rel
	u.RawPath = ""
	return &u
}

// errBoom is the failure of a reader given to Put.
var errBoom = errors.New("drivertest: the reader failed")

type failingReader struct {
	r    io.Reader
	left int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, errBoom
	}
	p = p[:min(len(p), f.left)]
	n, err := f.r.Read(p)
	f.left -= n
	return n, err
}

// runWriter checks Put: the bytes come back, a replacement changes them, parent
// folders are created, and a failing reader fails the Put and leaves nothing.
func runWriter(t *testing.T, w driver.Writer, src driver.Source, base *url.URL, content []byte) {
	ctx := context.Background()
	read := func(t *testing.T, u *url.URL) []byte {
		t.Helper()
		rc, err := src.ReadRange(ctx, u, 0, -1, nil)
		if err != nil {
			t.Fatalf("ReadRange after Put: %v", err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("Put", func(t *testing.T) {
		u := child(base, "put/a.bin")
		info, err := w.Put(ctx, u, bytes.NewReader(content), int64(len(content)), &driver.WriteOptions{ContentType: "application/octet-stream"})
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(content)) {
			t.Errorf("Put returned size %d, want %d", info.Size, len(content))
		}
		if got := read(t, u); !bytes.Equal(got, content) {
			t.Fatalf("read back %d bytes, want the %d put", len(got), len(content))
		}
		// Replaced, with a size unknown in advance.
		other := []byte("a shorter replacement")
		if _, err := w.Put(ctx, u, io.MultiReader(bytes.NewReader(other)), -1, nil); err != nil {
			t.Fatal(err)
		}
		if got := read(t, u); !bytes.Equal(got, other) {
			t.Fatalf("after replacing: %q", got)
		}
		st, err := src.Stat(ctx, u)
		if err != nil || st.Size != int64(len(other)) {
			t.Fatalf("Stat after replacing: %+v %v", st, err)
		}
	})
	t.Run("PutCreatesFolders", func(t *testing.T) {
		u := child(base, "deep/er/still/c.bin")
		if _, err := w.Put(ctx, u, bytes.NewReader(content[:10]), 10, nil); err != nil {
			t.Fatal(err)
		}
		if got := read(t, u); !bytes.Equal(got, content[:10]) {
			t.Fatalf("read back %q", got)
		}
	})
	t.Run("PutReaderFails", func(t *testing.T) {
		u := child(base, "fail/b.bin")
		_, err := w.Put(ctx, u, &failingReader{r: bytes.NewReader(content), left: 1000}, int64(len(content)), nil)
		if !errors.Is(err, errBoom) {
			t.Fatalf("Put with a failing reader: %v, want the reader's error", err)
		}
		if _, err := src.Stat(ctx, u); driver.CodeOf(err) != driver.NotFound {
			t.Errorf("after a failed Put, Stat = %v; want NotFound (nothing left)", err)
		}
	})
	t.Run("PutReaderFailsKeepsOld", func(t *testing.T) {
		u := child(base, "fail/kept.bin")
		if _, err := w.Put(ctx, u, bytes.NewReader(content[:10]), 10, nil); err != nil {
			t.Fatal(err)
		}
		_, err := w.Put(ctx, u, &failingReader{r: bytes.NewReader(content), left: 1000}, int64(len(content)), nil)
		if !errors.Is(err, errBoom) {
			t.Fatalf("Put with a failing reader: %v, want the reader's error", err)
		}
		if got := read(t, u); !bytes.Equal(got, content[:10]) {
			t.Fatalf("after a failed Put over a file, it reads %d bytes; want the 10 it held before", len(got))
		}
	})
	t.Run("PutShort", func(t *testing.T) {
		u := child(base, "short/d.bin")
		if _, err := w.Put(ctx, u, bytes.NewReader(content[:5]), 10, nil); err == nil {
			t.Fatal("Put of 5 bytes announced as 10 succeeded")
		}
	})
}

// runLister checks List: names sorted, folders marked, sizes, limits, NotFound.
func runLister(t *testing.T, l driver.Lister, w driver.Writer, base *url.URL) {
	ctx := context.Background()
	for name, size := range map[string]int{"list/x.bin": 3, "list/y.bin": 5, "list/sub/z.bin": 7} {
		if _, err := w.Put(ctx, child(base, name), bytes.NewReader(make([]byte, size)), int64(size), nil); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("List", func(t *testing.T) {
		es, more, err := l.List(ctx, child(base, "list/"), 0)
		if err != nil || more {
			t.Fatalf("List: %v (more %v)", err, more)
		}
		var got []string
		for _, e := range es {
			got = append(got, fmt.Sprintf("%s:%v:%d", e.Name, e.IsDir, e.Info.Size))
		}
		if want := "sub:true:0 x.bin:false:3 y.bin:false:5"; strings.Join(got, " ") != want {
			t.Fatalf("List = %q, want %q", strings.Join(got, " "), want)
		}
		es, more, err = l.List(ctx, child(base, "list/"), 2)
		if err != nil || !more || len(es) != 2 {
			t.Fatalf("List with limit 2: %d entries, more %v, %v", len(es), more, err)
		}
	})
	t.Run("ListMissing", func(t *testing.T) {
		if _, _, err := l.List(ctx, child(base, "no-such-folder/"), 0); driver.CodeOf(err) != driver.NotFound {
			t.Fatalf("List of a missing folder: %v, want NotFound", err)
		}
	})
}
