package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// fixture reads a file of testdata.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer is a bytes.Buffer safe to read while a run writes to it.
type syncBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote waitfor.Pulse // fired after each Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.wrote.Fire()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixedClock returns a clock standing at 2026-11-21T10:00:00Z.
func fixedClock() func() time.Time {
	t0 := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	return func() time.Time { return t0 }
}

// baseOptions are options for fast tests: quick polling, a memory file system.
func baseOptions(endpoint, pid string, req *Request, fs afero.Fs, progress *syncBuffer) Options {
	o := Options{
		Endpoint: endpoint, ProcessID: pid, Request: req,
		Output: "/out/feature-collection.json", Fs: fs,
		PollMin: 5 * time.Millisecond, PollMax: 40 * time.Millisecond,
		Now: fixedClock(), Timeout: waitfor.Guard, // only keeps a broken test from hanging
	}
	if progress != nil {
		o.Progress = progress
	}
	return o
}

func mustParse(t *testing.T, doc string) *Request {
	t.Helper()
	r, err := ParseRequest([]byte(doc))
	if err != nil {
		t.Fatalf("ParseRequest: %v", err)
	}
	return r
}

// readCollection reads the written file, checks it validates and decodes it.
func readCollection(t *testing.T, fs afero.Fs, path string) *stac.ItemCollection {
	t.Helper()
	b, err := afero.ReadFile(fs, path)
	if err != nil {
		t.Fatalf("output file: %v", err)
	}
	if err := stac.Validate(b); err != nil {
		t.Fatalf("output does not validate: %v", err)
	}
	var ic stac.ItemCollection
	if err := json.Unmarshal(b, &ic); err != nil {
		t.Fatal(err)
	}
	return &ic
}

// wantError checks err is an *Error with the exit status and message parts.
func wantError(t *testing.T, err error, status int, parts ...string) *Error {
	t.Helper()
	t.Logf("error: %v", err)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *runner.Error", err, err)
	}
	if e.Status != status {
		t.Errorf("exit status %d, want %d (error: %v)", e.Status, status, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
	return e
}

// noTempFiles checks that the output folder holds no leftover temporary files.
func noTempFiles(t *testing.T, fs afero.Fs, dir string) {
	t.Helper()
	entries, err := afero.ReadDir(fs, dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

func runWith(t *testing.T, o Options) (*Result, error) {
	t.Helper()
	return Run(context.Background(), o)
}

var _ http.Handler = (*zooReplay)(nil)
