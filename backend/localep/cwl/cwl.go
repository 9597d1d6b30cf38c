// Package cwl reads Common Workflow Language documents far enough to deploy them as
// OGC API – Processes (Part 2): it finds a workflow (in a $graph or alone) and turns
// its inputs and outputs into a process description. It does not run CWL and does not
// check that a document is a valid CWL program beyond what the description needs.
package cwl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrWorkflowNotFound is returned by Document.Workflow when no workflow has the asked id
// (or when the document holds no Workflow or CommandLineTool at all).
var ErrWorkflowNotFound = errors.New("cwl: workflow not found")

// ErrInvalid wraps every error about a document that cannot be read as CWL.
var ErrInvalid = errors.New("cwl: invalid document")

// Document is a parsed CWL document (YAML or JSON).
type Document struct {
	root map[string]any
}

// Parse reads a CWL document. JSON is valid YAML, so one parser serves both encodings.
func Parse(body []byte) (*Document, error) {
	var v any
	if err := yaml.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	root, ok := normalize(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the top level is not a mapping", ErrInvalid)
	}
	if _, ok := root["cwlVersion"]; !ok {
		return nil, fmt.Errorf("%w: no cwlVersion", ErrInvalid)
	}
	return &Document{root: root}, nil
}

// FromValue builds a document from an already decoded JSON value (the CWL inside an
// application/ogcapppkg+json qualified value).
func FromValue(v any) (*Document, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return Parse(b)
}

// normalize turns the map[any]any YAML may produce into map[string]any, so the
// document marshals as JSON.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	}
	return v
}

// Workflow is the part of a CWL Workflow (or CommandLineTool) that a process
// description is made from.
type Workflow struct {
	ID      string
	Class   string
	Label   string
	Doc     string
	Version string // s:softwareVersion of the document, "" when absent
	Inputs  []Param
	Outputs []Param
}

// Param is one input or output parameter.
type Param struct {
	ID         string
	Label      string
	Doc        string
	Type       Type
	Default    any
	HasDefault bool
}

// Type is a CWL type reduced to what a JSON schema needs.
type Type struct {
	Name     string   // string, int, long, float, double, boolean, File, Directory, enum, record, Any, array
	Optional bool     // "?" suffix or a union with "null"
	Items    *Type    // element type when Name is "array"
	Symbols  []string // enum symbols
}

// Workflow returns the workflow whose id is id, or, when id is empty, the first
// Workflow of the document ($graph order), falling back to the first CommandLineTool.
func (d *Document) Workflow(id string) (*Workflow, error) {
	var candidates []map[string]any
	if g, ok := d.root["$graph"].([]any); ok {
		for _, e := range g {
			if m, ok := e.(map[string]any); ok {
				candidates = append(candidates, m)
			}
		}
	} else {
		candidates = append(candidates, d.root)
	}
	id = strings.TrimPrefix(id, "#")
	pick := func(class string) map[string]any {
		for _, c := range candidates {
			if str(c["class"]) == class {
				return c
			}
		}
		return nil
	}
	var chosen map[string]any
	if id != "" {
		for _, c := range candidates {
			cl := str(c["class"])
			if (cl == "Workflow" || cl == "CommandLineTool") && shortID(str(c["id"])) == id {
				chosen = c
				break
			}
		}
	} else if chosen = pick("Workflow"); chosen == nil {
		chosen = pick("CommandLineTool")
	}
	if chosen == nil {
		if id != "" {
			return nil, fmt.Errorf("%w: no Workflow or CommandLineTool with id %q", ErrWorkflowNotFound, id)
		}
		return nil, fmt.Errorf("%w: the document has no Workflow or CommandLineTool", ErrWorkflowNotFound)
	}
	w := &Workflow{
		ID:      shortID(str(chosen["id"])),
		Class:   str(chosen["class"]),
		Label:   str(chosen["label"]),
		Doc:     str(chosen["doc"]),
		Version: str(d.root["s:softwareVersion"]),
	}
	if w.ID == "" {
		w.ID = "main" // a lone tool without an id: cwltool calls it main too
	}
	var err error
	if w.Inputs, err = params(chosen["inputs"]); err != nil {
		return nil, fmt.Errorf("%w: inputs of %q: %v", ErrInvalid, w.ID, err)
	}
	if w.Outputs, err = params(chosen["outputs"]); err != nil {
		return nil, fmt.Errorf("%w: outputs of %q: %v", ErrInvalid, w.ID, err)
	}
	return w, nil
}

// Canonical returns the document as JSON (for storage and GET /processes/{id}/package).
func (d *Document) Canonical() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	_ = enc.Encode(d.root) // a normalized YAML tree always encodes
	return buf.Bytes()
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case []any: // doc may be a list of lines
		parts := make([]string, 0, len(t))
		for _, e := range t {
			parts = append(parts, str(e))
		}
		return strings.Join(parts, "\n")
	}
	return fmt.Sprint(v)
}

// shortID strips the document part of a CWL identifier: "#main/aoi" → "aoi", "#crop" → "crop".
func shortID(s string) string {
	if i := strings.LastIndexAny(s, "#/"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// params reads inputs/outputs in the map form (id → definition or type shorthand) or
// the list form ([{id: …}]).
func params(v any) ([]Param, error) {
	var out []Param
	add := func(id string, def any) error {
		p := Param{ID: shortID(id)}
		if p.ID == "" {
			return errors.New("a parameter has no id")
		}
		var typ any = def
		if m, ok := def.(map[string]any); ok {
			typ = m["type"]
			p.Label, p.Doc = str(m["label"]), str(m["doc"])
			p.Default, p.HasDefault = m["default"]
			if p.Default == nil {
				p.HasDefault = false
			}
		}
		t, err := parseType(typ)
		if err != nil {
			return fmt.Errorf("%s: %v", p.ID, err)
		}
		p.Type = t
		out = append(out, p)
		return nil
	}
	switch t := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if err := add(k, t[k]); err != nil {
				return nil, err
			}
		}
	case []any:
		for _, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("a list entry is not a mapping: %v", e)
			}
			if err := add(str(m["id"]), m); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("neither a mapping nor a list")
	}
	return out, nil
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidID reports whether id is usable as a process or parameter identifier here
// (it becomes part of URLs and file names).
func ValidID(id string) bool { return idRE.MatchString(id) }

// HasDockerRequirement reports whether any process of the document asks for a
// container (a DockerRequirement in requirements or hints).
func (d *Document) HasDockerRequirement() bool {
	var walk func(v any) bool
	walk = func(v any) bool {
		switch t := v.(type) {
		case map[string]any:
			if str(t["class"]) == "DockerRequirement" {
				return true
			}
			for k, e := range t {
				if k == "DockerRequirement" || walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range t {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(d.root)
}

// StepCount is the number of steps of every Workflow in the document (sub-workflows
// included), at least 1: a run reports progress as steps finish.
func (d *Document) StepCount() int {
	n := 0
	count := func(m map[string]any) {
		if str(m["class"]) != "Workflow" {
			return
		}
		switch s := m["steps"].(type) {
		case map[string]any:
			n += len(s)
		case []any:
			n += len(s)
		}
	}
	if g, ok := d.root["$graph"].([]any); ok {
		for _, e := range g {
			if m, ok := e.(map[string]any); ok {
				count(m)
			}
		}
	} else {
		count(d.root)
	}
	return max(n, 1)
}

// InGraph reports whether the document is a $graph (a process is then run as
// file#id).
func (d *Document) InGraph() bool {
	_, ok := d.root["$graph"]
	return ok
}
