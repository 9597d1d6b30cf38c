package localep

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// compileInputs turns each input's OpenAPI 3.0 schema into a JSON Schema validator.
func compileInputs(p ogcapi.Process) (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.AssertContent()
	out := make(map[string]*jsonschema.Schema, len(p.Inputs))
	for id, in := range p.Inputs {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(in.Schema))
		if err != nil {
			return nil, fmt.Errorf("input %q: schema: %w", id, err)
		}
		url := "mem:///inputs/" + id + ".json"
		if err := c.AddResource(url, fromOpenAPI(doc)); err != nil {
			return nil, fmt.Errorf("input %q: schema: %w", id, err)
		}
		sch, err := c.Compile(url)
		if err != nil {
			return nil, fmt.Errorf("input %q: schema: %w", id, err)
		}
		out[id] = sch
	}
	return out, nil
}

// fromOpenAPI converts an OpenAPI 3.0 schema object to JSON Schema 2020-12: nullable
// becomes a null alternative, boolean exclusiveMinimum/Maximum become numeric ones,
// and $refs (which point to schemas on the web that are not fetched offline) are
// dropped, so such parts accept anything.
func fromOpenAPI(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			switch k {
			case "$ref", "nullable", "example", "discriminator", "xml", "externalDocs", "deprecated", "readOnly", "writeOnly":
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
	for _, id := range sortedKeys(p.desc.Inputs) {
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
				e = e.(map[string]any)["value"]
			}
			if err := p.schemas[id].Validate(e); err != nil {
				return invalidParameter("%s: %s", where, schemaMessage(err))
			}
		}
	}
	return nil
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
			msgs = append(msgs, msg)
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
	return "does not match the input's schema: " + strings.Join(msgs, "; ")
}
