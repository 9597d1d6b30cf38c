// Package ogcschematest checks, in tests, documents against the OGC API – Processes
// Part 1 Core 1.0 schemas: the YAML files in testdata, upstream copies with the
// patches listed in testdata/README.md, embedded so that any package's tests can use
// them. Nothing is fetched: the schemas refer only to each other.
//
// It is for tests only; production code validates with backend/oapschema.
package ogcschematest

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

//go:embed testdata/*.yaml
var files embed.FS

// base is where the schemas are registered; it is never fetched.
const base = "https://schemas.test/ogcapi-processes-1/1.0/"

// Schemas validates documents against the Part 1 schemas, each compiled once.
type Schemas struct {
	c     *jsonschema.Compiler
	mu    sync.Mutex
	cache map[string]*jsonschema.Schema
}

type set struct {
	once sync.Once
	s    *Schemas
	err  error
}

var patched, anyOf set

// Patched returns the schemas as in testdata: the oneOfs that overlap at the top of
// inputValueNoObject, inputValue, inlineOrRefData and in execute's inputs are anyOfs
// there; the rest are as upstream. It fails t when they cannot be loaded.
func Patched(t testing.TB) *Schemas {
	t.Helper()
	return patched.load(t, false)
}

// AnyOf returns the schemas with every oneOf, at any depth, read as anyOf: the
// branches of more 1.0 oneOfs overlap (an integer parameter value is both a number
// and an integer), so a server's valid documents can match two of them.
func AnyOf(t testing.TB) *Schemas {
	t.Helper()
	return anyOf.load(t, true)
}

func (st *set) load(t testing.TB, oneOfAsAnyOf bool) *Schemas {
	t.Helper()
	st.once.Do(func() { st.s, st.err = load(oneOfAsAnyOf) })
	if st.err != nil {
		t.Fatalf("ogcschematest: loading the Part 1 schemas: %v", st.err)
	}
	return st.s
}

func load(oneOfAsAnyOf bool) (*Schemas, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noFetch{})
	names, err := fs.Glob(files, "testdata/*.yaml")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no schemas embedded")
	}
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var doc any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if oneOfAsAnyOf {
			doc = readOneOfAsAnyOf(doc)
		}
		// Round-trip through JSON: the validator wants JSON types (json.Number, map[string]any).
		js, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if err := c.AddResource(base+path.Base(name), v); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return &Schemas{c: c, cache: map[string]*jsonschema.Schema{}}, nil
}

// noFetch refuses every URL the schemas do not provide themselves.
type noFetch struct{}

func (noFetch) Load(url string) (any, error) {
	return nil, fmt.Errorf("ogcschematest: %s is not among the embedded schemas and is not fetched", url)
}

// readOneOfAsAnyOf returns v with every oneOf keyword renamed anyOf; property names
// are left alone.
func readOneOfAsAnyOf(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			if k == "properties" {
				if props, ok := e.(map[string]any); ok {
					conv := make(map[string]any, len(props))
					for name, s := range props {
						conv[name] = readOneOfAsAnyOf(s)
					}
					m[k] = conv
					continue
				}
			}
			if k == "oneOf" {
				k = "anyOf"
			}
			m[k] = readOneOfAsAnyOf(e)
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = readOneOfAsAnyOf(e)
		}
		return out
	}
	return v
}

// Validate checks doc against the named schema file (e.g. "execute.yaml"). It fails
// t when the schema does not compile or doc is not JSON, and returns the validation
// error, if any.
func (s *Schemas) Validate(t testing.TB, name string, doc []byte) error {
	t.Helper()
	s.mu.Lock()
	sch, ok := s.cache[name]
	if !ok {
		var err error
		sch, err = s.c.Compile(base + name)
		if err != nil {
			s.mu.Unlock()
			t.Fatalf("ogcschematest: compile %s: %v", name, err)
		}
		s.cache[name] = sch
	}
	s.mu.Unlock()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("ogcschematest: %s: instance is not JSON: %v\n%s", name, err, doc)
	}
	return sch.Validate(v)
}

// ValidateExecute checks an execute request body against execute.yaml and, because
// the 1.0 schema lets any array through, every array element against
// inlineOrRefData.yaml; it reports failures with t.Errorf.
func (s *Schemas) ValidateExecute(t testing.TB, body []byte) {
	t.Helper()
	if err := s.Validate(t, "execute.yaml", body); err != nil {
		t.Errorf("execute body fails execute.yaml: %v\n%s", err, body)
	}
	var req struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("execute body: %v", err)
	}
	for id, v := range req.Inputs {
		s.ValidateInput(t, id, v)
	}
}

// ValidateInput checks one encoded input value of an execute request (a value or an
// array of values) and reports failures with t.Errorf.
func (s *Schemas) ValidateInput(t testing.TB, id string, v json.RawMessage) {
	t.Helper()
	var items []json.RawMessage
	if strings.HasPrefix(strings.TrimSpace(string(v)), "[") && json.Unmarshal(v, &items) == nil {
		// Several occurrences or one array value: either way each element must be
		// valid in-line or by-reference data (a bare object is not).
		for _, it := range items {
			if err := s.Validate(t, "inlineOrRefData.yaml", it); err != nil {
				t.Errorf("input %s element %s: %v", id, it, err)
			}
		}
		return
	}
	if err := s.Validate(t, "inlineOrRefData.yaml", v); err != nil {
		t.Errorf("input %s = %s: %v", id, v, err)
	}
}
