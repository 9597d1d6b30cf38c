// Package drivertest is the conformance suite every transfer driver runs (see
// package driver): Stat, ranges, preconditions and error codes.
package drivertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/url"
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

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	ctx := context.Background()
	src := h.Source()
	content := make([]byte, 100_000)
	rand.Read(content)

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
