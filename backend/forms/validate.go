package forms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/geojobs/geojobs/backend/oapschema"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Validate checks an execute request against the process description before it is
// sent: unknown and missing inputs, occurrences, and every in-line value against its
// input's schema (OpenAPI 3.0, read as JSON Schema 2020-12 with formats asserted).
// Values given by reference are not fetched. A schema that cannot be compiled (servers
// publish odd ones) is reported and not used; it never blocks a request by itself.
func Validate(p *ogcapi.Process, ex *ogcapi.Execute) Problems {
	var probs Problems
	for _, id := range slices.Sorted(maps.Keys(ex.Inputs)) {
		if _, ok := p.Inputs[id]; !ok {
			probs = append(probs, Problem{Input: id, Row: -1, Msg: fmt.Sprintf("%s has no input %q", p.ID, id)})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.Inputs)) {
		d := p.Inputs[id]
		raw, ok := ex.Inputs[id]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			if d.Min() > 0 && !hasDefault(d.Schema) {
				probs = append(probs, Problem{Input: id, Row: -1, Msg: "a value is required"})
			}
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			probs = append(probs, Problem{Input: id, Row: -1, Msg: "not valid JSON"})
			continue
		}
		values, multi := []any{v}, false
		if arr, ok := v.([]any); ok && d.MaxOccurs.Many() && !isArraySchema(d.Schema) {
			values, multi = arr, true
		}
		if n := d.MaxOccurs.N(); n != ogcapi.Unbounded && len(values) > n {
			probs = append(probs, Problem{Input: id, Row: -1, Msg: fmt.Sprintf("takes at most %d values, got %d", n, len(values))})
		}
		if len(values) < d.Min() {
			probs = append(probs, Problem{Input: id, Row: -1, Msg: fmt.Sprintf("needs at least %d values, got %d", d.Min(), len(values))})
		}
		sch, err := oapschema.Compile(d.Schema, oapschema.Options{})
		if err != nil {
			continue // an uncompilable schema cannot judge values
		}
		for i, e := range values {
			row := -1
			if multi {
				row = i
			}
			e, ok := inlineValue(e)
			if !ok {
				continue
			}
			if err := sch.Validate(e); err != nil {
				probs = append(probs, Problem{Input: id, Row: row, Msg: oapschema.Message(err)})
			}
		}
	}
	return probs
}

func hasDefault(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m["default"]
	return ok
}

func isArraySchema(raw json.RawMessage) bool {
	var m struct {
		Type any `json:"type"`
	}
	_ = json.Unmarshal(raw, &m)
	return m.Type == "array"
}

// inlineValue is a value as an execute request gives it in-line: the inner value of a
// qualified value ({"value": …}). ok is false for a reference ({"href": …}), whose
// content is not known here.
func inlineValue(e any) (v any, ok bool) {
	if m, isObj := e.(map[string]any); isObj {
		if _, ref := m["href"].(string); ref {
			return nil, false
		}
		if inner, has := m["value"]; has {
			return inner, true
		}
	}
	return e, true
}
