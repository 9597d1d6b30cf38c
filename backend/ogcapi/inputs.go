package ogcapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// CRS84 is the default CRS of bounding boxes.
const CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

// BBox is a bounding box input value: 4 or 6 numbers; CRS defaults to CRS84.
type BBox struct {
	Coords []float64
	CRS    string
}

// Ref is an input value given by reference; the server fetches Href.
type Ref struct {
	Href string
	Type string // media type, optional
}

// Qualified is an in-line value with its format (qualifiedInputValue.yaml). Value
// may be []byte: it is then sent in base64 with Encoding "base64".
type Qualified struct {
	Value     any
	MediaType string
	Encoding  string
	Schema    string // URL of the value's schema, optional
}

// Binary is binary data sent in-line, base64-encoded. MediaType picks the branch of
// a mixed-type input; leave it empty for the input's default format.
type Binary struct {
	Data      []byte
	MediaType string
}

// Verbatim is an already encoded input value, sent as is (it must be valid JSON).
type Verbatim json.RawMessage

// InputError is the error of BuildInput; CodeOf gives InvalidInput.
type InputError struct {
	Input string // input id, empty when unknown
	Err   error
}

func (e *InputError) Error() string {
	if e.Input == "" {
		return "input: " + e.Err.Error()
	}
	return "input " + strconv.Quote(e.Input) + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// BuildInput encodes the values of one input as the standard says (CLIENT-NOTES 15–18):
//   - each value is one occurrence; when maxOccurs > 1 (or "unbounded") the occurrences
//     are sent as a JSON array even for a single value. A single Go slice given for such
//     an input is taken as the list of occurrences, unless the input's own schema is an
//     array of scalars (then it is one occurrence). An input whose schema is type array
//     with maxOccurs 1 gets one bare array;
//   - objects (maps, structs, JSON objects) are wrapped as {"value": …};
//   - BBox gives {"bbox": […], "crs": …}; a []float64 or a "x1,y1,x2,y2" string for a
//     bbox input too;
//   - Ref gives {"href": …, "type": …}; Qualified gives {"value": …, "mediaType": …};
//   - []byte and Binary give a base64 string, or a qualified value when the input
//     offers several media types (oneOf);
//   - for mixed-type inputs (oneOf of media types) strings and objects become qualified
//     values with the media type of the matching branch (the first branch is the default);
//   - strings are converted to the schema's scalar type (form input), numbers to
//     strings for string inputs.
//
// With no values it returns nil (omit the input) if the input is optional or has a
// default, else an error.
func BuildInput(desc InputDescription, values ...any) (json.RawMessage, error) {
	s := parseSchema(desc.Schema)
	occ := occurrences(desc, s, values)
	n, max := len(occ), desc.MaxOccurs.N()
	switch {
	case n == 0 && (desc.Min() == 0 || s.HasDefault):
		return nil, nil
	case n == 0:
		return nil, &InputError{Err: errors.New("a value is required")}
	case n < desc.Min():
		return nil, &InputError{Err: fmt.Errorf("needs at least %d values, got %d", desc.Min(), n)}
	case max != Unbounded && n > max:
		return nil, &InputError{Err: fmt.Errorf("accepts at most %d values, got %d", max, n)}
	}
	enc := make([]json.RawMessage, n)
	for i, v := range occ {
		b, err := encodeValue(s, v)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		enc[i] = b
	}
	if !desc.MaxOccurs.Many() {
		return enc[0], nil
	}
	b, err := json.Marshal(enc)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	return b, nil
}

// occurrences expands a single slice into occurrences when the input takes several.
func occurrences(desc InputDescription, s schemaInfo, values []any) []any {
	if len(values) != 1 || !desc.MaxOccurs.Many() || values[0] == nil {
		return values
	}
	v := values[0]
	if raw, ok := v.(json.RawMessage); ok {
		var items []json.RawMessage
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) && json.Unmarshal(raw, &items) == nil {
			if s.typ() == "array" && !allArrays(items) || s.isBBox() {
				return values
			}
			out := make([]any, len(items))
			for i, it := range items {
				out[i] = it
			}
			return out
		}
		return values
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array || rv.Type().Elem().Kind() == reflect.Uint8 {
		return values
	}
	if s.isBBox() && isNumberSlice(rv) {
		return values
	}
	if s.typ() == "array" {
		// Each occurrence is itself an array: only a slice of slices is a list of occurrences.
		for i := 0; i < rv.Len(); i++ {
			if k := reflect.Indirect(reflect.ValueOf(rv.Index(i).Interface())).Kind(); k != reflect.Slice && k != reflect.Array {
				return values
			}
		}
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}

func allArrays(items []json.RawMessage) bool {
	for _, it := range items {
		if !bytes.HasPrefix(bytes.TrimSpace(it), []byte("[")) {
			return false
		}
	}
	return true
}

func isNumberSlice(rv reflect.Value) bool {
	switch rv.Type().Elem().Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

func encodeValue(s schemaInfo, v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case nil:
		return nil, errors.New("nil value")
	case Verbatim:
		if !json.Valid(x) {
			return nil, errors.New("verbatim value is not valid JSON")
		}
		return json.RawMessage(x), nil
	case Ref:
		return encodeRef(x)
	case *Ref:
		return encodeRef(*x)
	case BBox:
		return encodeBBox(x)
	case *BBox:
		return encodeBBox(*x)
	case Qualified:
		return encodeQualified(x)
	case []byte:
		return encodeBinary(s, Binary{Data: x})
	case Binary:
		return encodeBinary(s, x)
	case string:
		return encodeString(s, x)
	case json.RawMessage:
		return encodeRaw(s, x)
	case json.Number:
		return encodeRaw(s, json.RawMessage(x))
	case bool, int, int8, int16, int32, int64, uint, uint16, uint32, uint64, float32, float64:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		if s.typ() == "string" {
			return json.Marshal(string(b))
		}
		return b, nil
	}
	rv := reflect.ValueOf(v)
	if s.isBBox() && (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && isNumberSlice(rv) {
		coords := make([]float64, rv.Len())
		for i := range coords {
			coords[i] = reflect.ValueOf(rv.Index(i).Interface()).Convert(reflect.TypeFor[float64]()).Float()
		}
		return encodeBBox(BBox{Coords: coords})
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return encodeRaw(s, b)
}

func encodeRef(r Ref) (json.RawMessage, error) {
	if strings.TrimSpace(r.Href) == "" {
		return nil, errors.New("reference without href")
	}
	return json.Marshal(struct {
		Href string `json:"href"`
		Type string `json:"type,omitempty"`
	}{r.Href, r.Type})
}

func encodeBBox(b BBox) (json.RawMessage, error) {
	if len(b.Coords) != 4 && len(b.Coords) != 6 {
		return nil, fmt.Errorf("a bounding box has 4 or 6 numbers, got %d", len(b.Coords))
	}
	crs := b.CRS
	if crs == "" {
		crs = CRS84
	}
	return json.Marshal(struct {
		BBox []float64 `json:"bbox"`
		CRS  string    `json:"crs"`
	}{b.Coords, crs})
}

func encodeQualified(q Qualified) (json.RawMessage, error) {
	val, enc := q.Value, q.Encoding
	if b, ok := val.([]byte); ok {
		val = base64.StdEncoding.EncodeToString(b)
		if enc == "" {
			enc = "base64"
		}
	}
	if val == nil {
		return nil, errors.New("qualified value without value")
	}
	v, err := json.Marshal(val)
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Value     json.RawMessage `json:"value"`
		MediaType string          `json:"mediaType,omitempty"`
		Encoding  string          `json:"encoding,omitempty"`
		Schema    string          `json:"schema,omitempty"`
	}{v, q.MediaType, enc, q.Schema})
}

func encodeBinary(s schemaInfo, b Binary) (json.RawMessage, error) {
	b64 := base64.StdEncoding.EncodeToString(b.Data)
	if mts := s.mediaTypes(); len(mts) > 1 || b.MediaType != "" && len(mts) == 1 && mts[0].mediaType != b.MediaType {
		mt := b.MediaType
		if mt == "" {
			mt = pickMedia(mts, "string").mediaType
		}
		return encodeQualified(Qualified{Value: b64, MediaType: mt, Encoding: "base64"})
	}
	return json.Marshal(b64)
}

// pickMedia returns the first branch whose value type is typ, else the first branch.
func pickMedia(mts []mediaBranch, typ string) mediaBranch {
	for _, m := range mts {
		if m.typ == typ {
			return m
		}
	}
	return mts[0]
}

func encodeString(s schemaInfo, v string) (json.RawMessage, error) {
	switch s.typ() {
	case "integer":
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", v)
		}
		return json.Marshal(n)
	case "number":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", v)
		}
		return json.Marshal(f)
	case "boolean":
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%q is not a boolean", v)
		}
		return json.Marshal(b)
	case "object":
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
			return encodeRaw(s, json.RawMessage(t))
		}
	}
	if s.isBBox() {
		parts := strings.Split(v, ",")
		coords := make([]float64, 0, len(parts))
		for _, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a bounding box (x1,y1,x2,y2)", v)
			}
			coords = append(coords, f)
		}
		return encodeBBox(BBox{Coords: coords})
	}
	if mts := s.mediaTypes(); len(mts) > 1 {
		m := pickMedia(mts, "string")
		return encodeQualified(Qualified{Value: v, MediaType: m.mediaType})
	}
	return json.Marshal(v)
}

// encodeRaw wraps JSON objects in {"value": …} (with the media type for mixed-type
// inputs); other JSON is sent as is.
func encodeRaw(s schemaInfo, raw json.RawMessage) (json.RawMessage, error) {
	t := bytes.TrimSpace(raw)
	if !json.Valid(t) {
		return nil, errors.New("value is not valid JSON")
	}
	switch {
	case len(t) > 0 && t[0] == '{':
		mt := ""
		if mts := s.mediaTypes(); len(mts) > 1 {
			mt = pickMedia(mts, "object").mediaType
		}
		return json.Marshal(struct {
			Value     json.RawMessage `json:"value"`
			MediaType string          `json:"mediaType,omitempty"`
		}{t, mt})
	case len(t) > 0 && t[0] == '"':
		var str string
		if err := json.Unmarshal(t, &str); err != nil {
			return nil, err
		}
		return encodeString(s, str)
	case string(t) == "null":
		return nil, errors.New("null value")
	}
	return json.RawMessage(t), nil
}
