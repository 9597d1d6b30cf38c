package forms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/oapschema"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Validate checks an execute request against the process description before it is
// sent: unknown and missing inputs, occurrences, and every in-line value against its
// input's schema (OpenAPI 3.0, read as JSON Schema 2020-12 with formats asserted).
// Values given by reference are not fetched. A schema that cannot be compiled (servers
// publish odd ones) is not used; it never blocks a request by itself.
//
// It refuses only what is certainly wrong, for `geojobs run` holds hand-written
// requests to it too: a missing input counts as given when its schema has a default
// or allows null; a qualified value that names its own encoding or schema, or whose
// text is in a media type the schema does not describe, is not judged (see judge).
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
			if d.Min() > 0 && !optional(d.Schema) {
				probs = append(probs, Problem{Input: id, Row: -1, Msg: "a value is required"})
			}
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			probs = append(probs, Problem{Input: id, Row: -1, Msg: "not valid JSON"})
			continue
		}
		values := occurrences(v, func([]any) bool { return d.MaxOccurs.Many() && !isArraySchema(d.Schema) })
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
		for _, o := range values {
			if err := judge(sch, o.value); err != nil {
				probs = append(probs, Problem{Input: id, Row: o.row, Msg: oapschema.Message(err)})
			}
		}
	}
	return probs
}

// optional reports a schema under which a missing value is no mistake: it has a
// default (the server fills it in) or allows null (ZOO describes optional CWL inputs
// so, without minOccurs 0).
func optional(raw json.RawMessage) bool {
	s := parseSchema(raw)
	return s.HasDefault || s.Nullable
}

// judge validates one occurrence of an input: an in-line value as it is, a qualified
// value by its inner value, a reference not at all (its content is not known here).
// A qualified value the schema cannot judge passes: one with its own encoding or
// schema, or text in a media type other than JSON that the schema does not take as
// text (XML for an object schema, say). JSON text (GeoJSON sent as a string) is judged
// as the value it encodes.
func judge(sch *jsonschema.Schema, e any) error {
	m, isObj := e.(map[string]any)
	if !isObj {
		return sch.Validate(e)
	}
	if _, ref := m["href"].(string); ref {
		return nil
	}
	inner, qualified := m["value"]
	if !qualified {
		return sch.Validate(e)
	}
	if _, has := m["encoding"]; has {
		return nil
	}
	if _, has := m["schema"]; has {
		return nil
	}
	err := sch.Validate(inner)
	text, isText := inner.(string)
	mt, _ := m["mediaType"].(string)
	if err == nil || !isText || mt == "" {
		return err
	}
	if !isJSONMedia(mt) {
		return nil
	}
	var decoded any
	if json.Unmarshal([]byte(text), &decoded) != nil {
		return err
	}
	return sch.Validate(decoded)
}

// isJSONMedia reports a JSON media type: application/json, application/geo+json, ….
func isJSONMedia(mt string) bool {
	mt, _, _ = strings.Cut(strings.ToLower(mt), ";")
	mt = strings.TrimSpace(mt)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

func isArraySchema(raw json.RawMessage) bool {
	var m struct {
		Type any `json:"type"`
	}
	_ = json.Unmarshal(raw, &m)
	return m.Type == "array"
}

// An occurrence is one value of an input and its row: its index when the request
// gives the input a list of values, -1 when it gives one value.
type occurrence struct {
	row   int
	value any
}

// occurrences splits an input's decoded value into its occurrences; list says
// whether a JSON array is the list of the input's values rather than one value.
func occurrences(v any, list func(arr []any) bool) []occurrence {
	arr, ok := v.([]any)
	if !ok || !list(arr) {
		return []occurrence{{-1, v}}
	}
	out := make([]occurrence, len(arr))
	for i, e := range arr {
		out[i] = occurrence{i, e}
	}
	return out
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
