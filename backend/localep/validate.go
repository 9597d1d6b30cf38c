package localep

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/geocheck"
	"github.com/geojobs/geojobs/backend/oapschema"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileInputs turns each input's OpenAPI 3.0 schema into a validator, with
// contentEncoding and contentMediaType asserted.
func compileInputs(p ogcapi.Process) (map[string]*jsonschema.Schema, error) {
	out := make(map[string]*jsonschema.Schema, len(p.Inputs))
	for id, in := range p.Inputs {
		sch, err := oapschema.Compile(in.Schema, oapschema.Options{AssertContent: true})
		if err != nil {
			return nil, fmt.Errorf("input %q: schema: %w", id, err)
		}
		out[id] = sch
	}
	return out, nil
}

// valueKind classifies one in-line value of an execute request.
type valueKind int

const (
	plainValue     valueKind = iota // literal, array, bbox object or bare object
	qualifiedValue                  // {"value": …, "mediaType": …}
	referenceValue                  // {"href": …}
)

func kindOf(v any) valueKind {
	m, ok := v.(map[string]any)
	if !ok {
		return plainValue
	}
	if _, ok := m["value"]; ok {
		return qualifiedValue
	}
	if h, ok := m["href"].(string); ok && h != "" {
		return referenceValue
	}
	return plainValue
}

// checkInputs validates the request inputs against p: unknown inputs, missing
// required ones, minOccurs/maxOccurs, and each value against its schema.
func checkInputs(p *process, inputs map[string]json.RawMessage) error {
	for id := range inputs {
		if _, ok := p.desc.Inputs[id]; !ok {
			return invalidParameter("process %q has no input %q", p.desc.ID, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.desc.Inputs)) {
		d := p.desc.Inputs[id]
		rawv, ok := inputs[id]
		if !ok || string(bytes.TrimSpace(rawv)) == "null" {
			if d.Min() > 0 {
				return invalidParameter("input %q is required", id)
			}
			continue
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(rawv))
		if err != nil {
			return invalidParameter("input %q is not valid JSON: %v", id, err)
		}
		values := []any{v}
		if d.MaxOccurs.Many() {
			if arr, ok := v.([]any); ok {
				values = arr
			}
			if n := d.MaxOccurs.N(); n != ogcapi.Unbounded && len(values) > n {
				return invalidParameter("input %q takes at most %d values (maxOccurs), got %d", id, n, len(values))
			}
			if len(values) < d.Min() {
				return invalidParameter("input %q needs at least %d values (minOccurs), got %d", id, d.Min(), len(values))
			}
		}
		for i, e := range values {
			where := fmt.Sprintf("input %q", id)
			if len(values) > 1 {
				where = fmt.Sprintf("input %q value %d", id, i+1)
			}
			switch kindOf(e) {
			case referenceValue:
				if !p.acceptsRefs {
					return invalidParameter("%s: process %q does not accept values by reference (href); send the value in-line", where, p.desc.ID)
				}
				continue
			case qualifiedValue:
				q := e.(map[string]any)
				if p.pkg != nil && isUpload(q) {
					continue // the content of a File input, written to a file for the run
				}
				e = q["value"]
			}
			if err := p.schemas[id].Validate(e); err != nil {
				return invalidParameter("%s: does not match the input's schema: %s", where, oapschema.Message(err))
			}
			if err := checkArea(d.Schema, e); err != nil {
				return invalidParameter("%s: %v", where, err)
			}
		}
	}
	return nil
}

// checkArea holds the bounding boxes and GeoJSON geometries of inputs whose schema
// says so (format ogc-bbox, geojson-…) to the form's rules (backend/geocheck): a
// swapped box or a self-intersecting polygon is answered 400 with the reason instead
// of failing later in the process.
func checkArea(schema json.RawMessage, v any) error {
	s := string(schema)
	switch {
	case strings.Contains(s, `"format":"ogc-bbox"`):
		m, _ := v.(map[string]any)
		arr, _ := m["bbox"].([]any)
		crs, _ := m["crs"].(string)
		coords := make([]float64, 0, len(arr))
		for _, x := range arr {
			f, ok := jsonNumber(x)
			if !ok {
				return nil // the schema check said what a bbox holds
			}
			coords = append(coords, f)
		}
		_, err := geocheck.BBox(coords, crs)
		return err
	case strings.Contains(s, `"format":"geojson-`):
		b, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		return geocheck.GeoJSON(b)
	}
	return nil
}

// jsonNumber reads a number decoded by jsonschema.UnmarshalJSON (json.Number) or encoding/json.
func jsonNumber(x any) (float64, bool) {
	switch n := x.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// isUpload reports whether a qualified value carries a file's content (it says its
// media type or encoding) rather than a literal.
func isUpload(q map[string]any) bool {
	_, mt := q["mediaType"]
	_, enc := q["encoding"]
	return mt || enc
}
