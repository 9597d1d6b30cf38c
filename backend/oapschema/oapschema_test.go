package oapschema

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func compile(t *testing.T, schema string, opts Options) interface{ Validate(any) error } {
	t.Helper()
	sch, err := Compile(json.RawMessage(schema), opts)
	if err != nil {
		t.Fatalf("Compile(%s): %v", schema, err)
	}
	return sch
}

func value(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCompileOpenAPIDialect(t *testing.T) {
	for _, tc := range []struct {
		name, schema string
		opts         Options
		ok, bad      []string
	}{
		{"boolean exclusiveMinimum", `{"type":"number","minimum":0,"exclusiveMinimum":true}`, Options{},
			[]string{`0.5`}, []string{`0`, `-1`}},
		{"false exclusiveMaximum keeps maximum", `{"type":"number","maximum":10,"exclusiveMaximum":false}`, Options{},
			[]string{`10`}, []string{`10.5`}},
		{"nullable", `{"type":"string","nullable":true}`, Options{},
			[]string{`"a"`, `null`}, []string{`1`}},
		{"not nullable", `{"type":"string"}`, Options{},
			[]string{`"a"`}, []string{`null`}},
		{"format asserted", `{"type":"string","format":"date-time"}`, Options{},
			[]string{`"2024-05-01T10:00:00Z"`}, []string{`"yesterday"`}},
		{"property named like a dropped keyword", `{"type":"object","properties":{"default":{"type":"integer"},"$ref":{"type":"string"}}}`, Options{},
			[]string{`{"default":1,"$ref":"x"}`}, []string{`{"default":"a"}`, `{"$ref":1}`}},
		{"default not matching the schema", `{"type":"string","default":["a","b"],"example":3}`, Options{},
			[]string{`"a"`}, []string{`1`}},
		{"content as annotation", `{"type":"string","contentEncoding":"base64","contentMediaType":"application/json"}`, Options{},
			[]string{`"not base64!"`}, nil},
		{"content asserted", `{"type":"string","contentEncoding":"base64","contentMediaType":"application/json"}`, Options{AssertContent: true},
			[]string{`"eyJhIjoxfQ=="`}, []string{`"not base64!"`, `"bm90IGpzb24="`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sch := compile(t, tc.schema, tc.opts)
			for _, v := range tc.ok {
				if err := sch.Validate(value(t, v)); err != nil {
					t.Errorf("%s rejected: %v", v, err)
				}
			}
			for _, v := range tc.bad {
				if err := sch.Validate(value(t, v)); err == nil {
					t.Errorf("%s accepted", v)
				}
			}
		})
	}
}

// A $ref to a schema on the web must not be fetched: the part it names accepts anything.
func TestCompileNeverFetchesRefs(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"type":"integer"}`))
	}))
	defer srv.Close()
	schema := `{"type":"object","required":["geom"],"properties":{
		"geom":{"$ref":"` + srv.URL + `/geometry.json"},
		"crs":{"allOf":[{"$ref":"https://schemas.opengis.net/ogcapi/processes/part1/1.0/openapi/schemas/bbox.yaml"}]}},
		"$schema":"` + srv.URL + `/meta.json","$id":"` + srv.URL + `/id.json"}`
	sch := compile(t, schema, Options{AssertContent: true})
	if err := sch.Validate(value(t, `{"geom":"anything","crs":[1]}`)); err != nil {
		t.Errorf("$ref part judged: %v", err)
	}
	if err := sch.Validate(value(t, `{}`)); err == nil {
		t.Error("the rest of the schema is not applied")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests to the $ref server", n)
	}
}

func TestCompileErrors(t *testing.T) {
	for _, s := range []string{`{`, `{"type":"nosuchtype"}`, `{"minimum":"ten"}`} {
		if _, err := Compile(json.RawMessage(s), Options{}); err == nil {
			t.Errorf("Compile(%s) succeeded", s)
		}
	}
}

func TestMessage(t *testing.T) {
	sch := compile(t, `{"type":"object","required":["name"],"properties":{
		"size":{"type":"integer","maximum":10},"tags":{"type":"array","items":{"type":"string"}}}}`, Options{})
	err := sch.Validate(value(t, `{"size":11}`))
	got := Message(err)
	for _, want := range []string{"'name'", "at /size: ", "10"} {
		if !strings.Contains(got, want) {
			t.Errorf("Message = %q, want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "jsonschema") || strings.Contains(got, "mem:") {
		t.Errorf("Message = %q names the validator's internals", got)
	}

	err = sch.Validate(value(t, `{"name":"x","tags":[1,2,3,4,5]}`))
	got = Message(err)
	if n := strings.Count(got, ";"); n != 3 || !strings.HasSuffix(got, "…") {
		t.Errorf("Message = %q, want three messages and an ellipsis", got)
	}

	// The same leaf message from two branches is said once.
	sch = compile(t, `{"anyOf":[{"type":"string"},{"type":"string","minLength":1}]}`, Options{})
	got = Message(sch.Validate(value(t, `1`)))
	if strings.Count(got, "got number") != 1 {
		t.Errorf("Message = %q, want the message once", got)
	}
}

func TestMessageOtherError(t *testing.T) {
	_, err := Compile(json.RawMessage(`{"type":"nosuchtype"}`), Options{})
	if got := Message(err); got != err.Error() {
		t.Errorf("Message = %q, want %q", got, err.Error())
	}
}
