package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
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

// schemas validates documents against the patched Part 1 1.0 schemas in testdata/schemas.
type schemas struct {
	c     *jsonschema.Compiler
	mu    sync.Mutex
	cache map[string]*jsonschema.Schema
}

var (
	schemasOnce sync.Once
	schemaSet   *schemas
	schemaErr   error
)

const schemaBase = "https://schemas.test/ogcapi-processes-1/1.0/"

func loadSchemas(t *testing.T) *schemas {
	t.Helper()
	schemasOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		files, err := filepath.Glob("testdata/schemas/*.yaml")
		if err != nil || len(files) == 0 {
			schemaErr = err
			return
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				schemaErr = err
				return
			}
			var doc any
			if err := yaml.Unmarshal(b, &doc); err != nil {
				schemaErr = err
				return
			}
			// Round-trip through JSON: the validator wants JSON types (json.Number, map[string]any).
			js, err := json.Marshal(doc)
			if err != nil {
				schemaErr = err
				return
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
			if err != nil {
				schemaErr = err
				return
			}
			if err := c.AddResource(schemaBase+filepath.Base(f), v); err != nil {
				schemaErr = err
				return
			}
		}
		schemaSet = &schemas{c: c, cache: map[string]*jsonschema.Schema{}}
	})
	if schemaErr != nil || schemaSet == nil {
		t.Fatalf("loading schemas: %v", schemaErr)
	}
	return schemaSet
}

// validate checks doc against the named schema file (e.g. "execute.yaml").
func (s *schemas) validate(t *testing.T, name string, doc []byte) error {
	t.Helper()
	s.mu.Lock()
	sch, ok := s.cache[name]
	if !ok {
		var err error
		sch, err = s.c.Compile(schemaBase + name)
		if err != nil {
			s.mu.Unlock()
			t.Fatalf("compile %s: %v", name, err)
		}
		s.cache[name] = sch
	}
	s.mu.Unlock()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("instance is not JSON: %v\n%s", err, doc)
	}
	return sch.Validate(v)
}

// validateExecute checks an execute body against execute.yaml and, because the 1.0
// schema lets any array through, every array element against inlineOrRefData.yaml.
func (s *schemas) validateExecute(t *testing.T, body []byte) {
	t.Helper()
	if err := s.validate(t, "execute.yaml", body); err != nil {
		t.Errorf("execute body fails execute.yaml: %v\n%s", err, body)
	}
	var req struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("execute body: %v", err)
	}
	for id, v := range req.Inputs {
		s.validateInput(t, id, v)
	}
}

// validateInput checks one encoded input value (a value or an array of values).
func (s *schemas) validateInput(t *testing.T, id string, v json.RawMessage) {
	t.Helper()
	var items []json.RawMessage
	if strings.HasPrefix(strings.TrimSpace(string(v)), "[") && json.Unmarshal(v, &items) == nil {
		// Several occurrences or one array value: either way each element must be
		// valid in-line or by-reference data (a bare object is not).
		for _, it := range items {
			if err := s.validate(t, "inlineOrRefData.yaml", it); err != nil {
				t.Errorf("input %s element %s: %v", id, it, err)
			}
		}
		return
	}
	if err := s.validate(t, "inlineOrRefData.yaml", v); err != nil {
		t.Errorf("input %s = %s: %v", id, v, err)
	}
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
