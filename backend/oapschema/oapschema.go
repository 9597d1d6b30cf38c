// Package oapschema compiles the schemas of OGC API – Processes input and output
// descriptions into validators, and words their validation errors for people.
//
// A process description's schema is an OpenAPI 3.0 Schema Object, not JSON Schema:
// exclusiveMinimum/Maximum are booleans, nullable stands for a null alternative, and
// $refs point to schemas on the web (schemas.opengis.net and the like). Compile turns
// such a schema into JSON Schema 2020-12 for santhosh-tekuri/jsonschema with formats
// asserted. It never fetches anything: $refs are dropped, so the parts they name
// accept any value.
//
// The package judges single values; which inputs a request must carry, how many
// occurrences, and what to do with values given by reference are its callers' rules
// (the local endpoint's input checks, the UI's pre-submit validation).
package oapschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Options tune Compile.
type Options struct {
	// AssertContent makes contentEncoding and contentMediaType assertions: a string
	// value must decode (base64) and parse as its media type (JSON). Off, they are
	// annotations, as JSON Schema 2020-12 says by default.
	AssertContent bool
}

// Compile turns one input's or output's OpenAPI 3.0 schema into a validator. It
// fails when raw is not JSON or is not a schema even after conversion.
func Compile(raw json.RawMessage, opts Options) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if opts.AssertContent {
		c.AssertContent()
	}
	const url = "mem:///schema.json"
	if err := c.AddResource(url, fromOpenAPI(doc)); err != nil {
		return nil, err
	}
	return c.Compile(url)
}

// fromOpenAPI converts a decoded OpenAPI 3.0 schema object (as from
// jsonschema.UnmarshalJSON) to JSON Schema 2020-12; v itself is not modified.
// nullable becomes a null alternative and boolean exclusiveMinimum/Maximum become
// numeric ones. $refs (to schemas on the web, never fetched) are dropped, so such
// parts accept anything. Annotations and identifiers ($id, $schema, default,
// example(s), …) are dropped too: servers publish defaults that do not match their
// own schemas (ZOO: a list default on a string input), and a $schema or $id would
// claim a dialect or a base the converted schema no longer has.
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
				// Keys here are names, not keywords: keep them all, convert their schemas.
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
		mediaAlternatives(m)
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

// mediaAlternatives turns a oneOf of formats (branches with a contentMediaType,
// CLIENT-NOTES 12) into an anyOf: which format a value is in is said by the mediaType
// of a qualified value, not by the value, so text that several branches take is not
// "valid against more than one". m is the converted schema and is changed in place.
func mediaAlternatives(m map[string]any) {
	branches, ok := m["oneOf"].([]any)
	if !ok || !slices.ContainsFunc(branches, func(b any) bool {
		bm, _ := b.(map[string]any)
		_, has := bm["contentMediaType"]
		return has
	}) {
		return
	}
	delete(m, "oneOf")
	if other, has := m["anyOf"]; has {
		m["allOf"] = append(asSlice(m["allOf"]), map[string]any{"anyOf": other})
	}
	m["anyOf"] = branches
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

var printer = message.NewPrinter(language.English)

// maxMessages is how many distinct leaf messages Message keeps.
const maxMessages = 3

// Message words a validation error for people: the distinct leaf messages, each with
// the location in the value when it is not the value itself ("at /name: missing
// property 'x'"), at most three, then "…". Errors that are not a
// *jsonschema.ValidationError are returned as they read.
func Message(err error) string {
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
	if len(msgs) > maxMessages {
		msgs = append(msgs[:maxMessages], "…")
	}
	return strings.Join(msgs, "; ")
}
