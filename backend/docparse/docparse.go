// Package docparse reads the JSON and YAML documents a user imports (execute requests
// in the UI and in `geojobs run -e`) in time linear in their size, within limits on
// size, number of values and nesting, and stops when its context ends. yaml.v3's own
// decoding into maps checks duplicate keys in quadratic time (80,000 keys took 26 s):
// here the document is parsed into yaml.Node (linear) and walked once.
package docparse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits bound a document.
type Limits struct {
	MaxBytes int // size of the document
	MaxNodes int // values, keys included
	MaxDepth int // nesting of mappings and sequences
}

// Default are the limits of an execute request.
var Default = Limits{MaxBytes: 8 << 20, MaxNodes: 200_000, MaxDepth: 64}

// ErrSyntax is wrapped by the error of a document that is neither JSON nor YAML.
var ErrSyntax = errors.New("neither JSON nor YAML")

// ErrLimit is wrapped by the errors of a document beyond Limits.
var ErrLimit = errors.New("document beyond the limits")

// Decode reads a JSON or YAML document into values encoding/json marshals as JSON:
// map[string]any, []any, string, bool, nil, and numbers (json.Number for JSON input,
// int or float64 for YAML). Mapping keys must be strings and unique.
func Decode(ctx context.Context, data []byte, lim Limits) (any, error) {
	if lim.MaxBytes > 0 && len(data) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: larger than %d KiB", ErrLimit, lim.MaxBytes>>10)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	w := &walker{ctx: ctx, lim: lim}
	if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			if dec.More() {
				return nil, errors.New("invalid JSON: more than one value")
			}
			if err := w.check(v, 1); err != nil {
				return nil, err
			}
			return v, nil
		}
		// Not JSON: perhaps YAML in flow style.
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrSyntax, firstLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	if n.Kind == 0 {
		return nil, errors.New("the document is empty")
	}
	return w.node(&n, 0)
}

type walker struct {
	ctx   context.Context
	lim   Limits
	nodes int
}

func (w *walker) count(depth int) error {
	w.nodes++
	if w.lim.MaxNodes > 0 && w.nodes > w.lim.MaxNodes {
		return fmt.Errorf("%w: more than %d values", ErrLimit, w.lim.MaxNodes)
	}
	if w.lim.MaxDepth > 0 && depth > w.lim.MaxDepth {
		return fmt.Errorf("%w: nested deeper than %d levels", ErrLimit, w.lim.MaxDepth)
	}
	if w.nodes%4096 == 0 && w.ctx.Err() != nil {
		return context.Cause(w.ctx)
	}
	return nil
}

// check counts the values of a decoded JSON document.
func (w *walker) check(v any, depth int) error {
	if err := w.count(depth); err != nil {
		return err
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			w.nodes++ // the key
			if err := w.check(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := w.check(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *walker) node(n *yaml.Node, depth int) (any, error) {
	if err := w.count(depth); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return w.node(n.Content[0], depth)
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: aliases are not accepted in an imported document", n.Line)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || (k.Tag != "!!str" && k.Tag != "!!int" && k.Tag != "!!float" && k.Tag != "!!bool") {
				if k.Tag == "!!merge" {
					return nil, fmt.Errorf("line %d: merge keys are not accepted", k.Line)
				}
				return nil, fmt.Errorf("line %d: mapping key is not a string", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, truncate(k.Value, 40))
			}
			if err := w.count(depth + 1); err != nil {
				return nil, err
			}
			val, err := w.node(v, depth+1)
			if err != nil {
				return nil, err
			}
			m[k.Value] = val
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := w.node(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("line %d: %v", n.Line, err)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			return f, nil
		}
		return i, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("line %d: %v", n.Line, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, strconv.Quote(n.Value))
		}
		return f, nil
	case "!!binary":
		return nil, fmt.Errorf("line %d: binary values are not accepted", n.Line)
	}
	return n.Value, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
