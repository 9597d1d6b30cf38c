package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Validate checks an execute request against the process description before it is
// sent: unknown and missing inputs, occurrences, and every in-line value against its
// input's schema (OpenAPI 3.0, read as JSON Schema 2020-12 with formats asserted).
// Values given by reference are not fetched. A schema that cannot be compiled (servers
// publish odd ones) is reported and not used; it never blocks a request by itself.
func Validate(p *ogcapi.Process, ex *ogcapi.Execute) forms.Problems {
	var probs forms.Problems
	for _, id := range sortedKeys(ex.Inputs) {
		if _, ok := p.Inputs[id]; !ok {
			probs = append(probs, forms.Problem{Input: id, Row: -1, Msg: fmt.Sprintf("%s has no input %q", p.ID, id)})
		}
	}
	for _, id := range sortedKeys(p.Inputs) {
		d := p.Inputs[id]
		raw, ok := ex.Inputs[id]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			if d.Min() > 0 && !hasDefault(d.Schema) {
				probs = append(probs, forms.Problem{Input: id, Row: -1, Msg: "a value is required"})
			}
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			probs = append(probs, forms.Problem{Input: id, Row: -1, Msg: "not valid JSON"})
			continue
		}
		values, multi := []any{v}, false
		if arr, ok := v.([]any); ok && d.MaxOccurs.Many() && !isArraySchema(d.Schema) {
			values, multi = arr, true
		}
		if n := d.MaxOccurs.N(); n != ogcapi.Unbounded && len(values) > n {
			probs = append(probs, forms.Problem{Input: id, Row: -1, Msg: fmt.Sprintf("takes at most %d values, got %d", n, len(values))})
		}
		if len(values) < d.Min() {
			probs = append(probs, forms.Problem{Input: id, Row: -1, Msg: fmt.Sprintf("needs at least %d values, got %d", d.Min(), len(values))})
		}
		sch, err := compile(d.Schema)
		if err != nil {
			continue // an uncompilable schema cannot judge values
		}
		for i, e := range values {
			row := -1
			if multi {
				row = i
			}
			if m, ok := e.(map[string]any); ok {
				if _, ok := m["href"].(string); ok {
					continue
				}
				if inner, ok := m["value"]; ok {
					e = inner
				}
			}
			if err := sch.Validate(e); err != nil {
				probs = append(probs, forms.Problem{Input: id, Row: row, Msg: schemaMessage(err)})
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

// compile turns an input's OpenAPI 3.0 schema into a JSON Schema validator.
func compile(raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	const url = "mem:///input.json"
	if err := c.AddResource(url, fromOpenAPI(doc)); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// fromOpenAPI converts an OpenAPI 3.0 schema object to JSON Schema 2020-12: nullable
// becomes a null alternative, boolean exclusiveMinimum/Maximum become numeric ones, and
// $refs (to schemas on the web, never fetched) are dropped so such parts accept anything.
// Defaults and examples are annotations and are dropped too: servers publish defaults
// that do not match their own schemas (ZOO: a list default on a string input).
func fromOpenAPI(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			switch k {
			case "$ref", "nullable", "example", "examples", "default", "discriminator", "xml", "externalDocs",
				"deprecated", "readOnly", "writeOnly", "$id", "$schema", "id":
				continue
			case "properties", "patternProperties", "$defs", "definitions":
				if sub, ok := e.(map[string]any); ok {
					conv := make(map[string]any, len(sub))
					for name, s := range sub {
						conv[name] = fromOpenAPI(s)
					}
					m[k] = conv
					continue
				}
			}
			m[k] = fromOpenAPI(e)
		}
		for _, pair := range [][2]string{{"exclusiveMinimum", "minimum"}, {"exclusiveMaximum", "maximum"}} {
			if b, ok := m[pair[0]].(bool); ok {
				delete(m, pair[0])
				if bound, ok := m[pair[1]]; ok && b {
					m[pair[0]] = bound
					delete(m, pair[1])
				}
			}
		}
		if n, _ := t["nullable"].(bool); n {
			return map[string]any{"anyOf": []any{map[string]any{"type": "null"}, m}}
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = fromOpenAPI(e)
		}
		return out
	}
	return v
}

var printer = message.NewPrinter(language.English)

// schemaMessage shortens a jsonschema error to its leaf messages.
func schemaMessage(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			msg := e.ErrorKind.LocalizedString(printer)
			if loc := strings.Join(e.InstanceLocation, "/"); loc != "" {
				msg = "at /" + loc + ": " + msg
			}
			if !slices.Contains(msgs, msg) {
				msgs = append(msgs, msg)
			}
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	if len(msgs) > 3 {
		msgs = append(msgs[:3], "…")
	}
	return strings.Join(msgs, "; ")
}

func slicesSort(s []string) { slices.Sort(s) }
