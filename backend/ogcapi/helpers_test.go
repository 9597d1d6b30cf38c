package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/internal/ogcschematest"
)

// newTestClient returns a client whose retry waits are recorded instead of slept.
func newTestClient(t *testing.T, endpoint string, opts ...Option) (*Client, *sleeps) {
	t.Helper()
	c, err := New(endpoint, opts...)
	if err != nil {
		t.Fatalf("New(%q): %v", endpoint, err)
	}
	s := &sleeps{}
	c.sleep = s.sleep
	return c, s
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// schemas validates documents against the patched Part 1 1.0 schemas (ogcschematest).
type schemas struct{ s *ogcschematest.Schemas }

func loadSchemas(t *testing.T) *schemas {
	t.Helper()
	return &schemas{ogcschematest.Patched(t)}
}

// validate checks doc against the named schema file (e.g. "execute.yaml").
func (s *schemas) validate(t *testing.T, name string, doc []byte) error {
	t.Helper()
	return s.s.Validate(t, name, doc)
}

// validateExecute checks an execute body against execute.yaml and every array element
// against inlineOrRefData.yaml.
func (s *schemas) validateExecute(t *testing.T, body []byte) {
	t.Helper()
	s.s.ValidateExecute(t, body)
}

// validateInput checks one encoded input value (a value or an array of values).
func (s *schemas) validateInput(t *testing.T, id string, v json.RawMessage) {
	t.Helper()
	s.s.ValidateInput(t, id, v)
}

// readFixture reads testdata/zoo/name.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "zoo", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonEqual(t *testing.T, got, want []byte) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v: %s", err, want)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return bytes.Equal(gb, wb)
}
