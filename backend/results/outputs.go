package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
)

// CollectionOutputs is the ItemCollection member that lists every output of the job
// (an array of Output), in the order of the process description: the same list on the
// results page, the job page, in `geojobs run`'s file and in Export as JSON.
const CollectionOutputs = "geojobs:outputs"

// Kinds of Output.
const (
	KindLiteral  = "literal"  // a string, number, integer or boolean (Type)
	KindJSON     = "json"     // an object or an array (Type)
	KindBBox     = "bbox"     // an OGC bounding box {"bbox": [...], "crs": ...}
	KindGeometry = "geometry" // GeoJSON: a geometry, feature or feature collection
	KindText     = "text"     // an in-line complex value in a text media type (Value is its text)
	KindFile     = "file"     // in-line bytes, kept as a file: the assets Assets of Item
	KindLink     = "link"     // by reference: Href (and the assets Assets of Item)
	KindSTAC     = "stac"     // STAC: its items are the collection's
	KindMissing  = "missing"  // described but not returned
)

// Output is one output of a job as geojobs shows and exports it.
type Output struct {
	ID        string          `json:"id"`
	Title     string          `json:"title,omitempty"`
	Kind      string          `json:"kind"`
	Type      string          `json:"type,omitempty"`  // JSON type of a literal or JSON value
	Value     json.RawMessage `json:"value,omitempty"` // literal, json, bbox, geometry, text
	MediaType string          `json:"mediaType,omitempty"`
	Href      string          `json:"href,omitempty"`
	Item      string          `json:"item,omitempty"`   // the item whose Assets hold it
	Assets    []string        `json:"assets,omitempty"` // asset keys in Item
	Items     int             `json:"items,omitempty"`  // KindSTAC: how many items it gave
	Note      string          `json:"note,omitempty"`   // how the value differs from what the server sent
}

// OutputsOf returns the outputs listed in an ItemCollection (CollectionOutputs); nil
// when it lists none (results collected by an older geojobs).
func OutputsOf(ic *stac.ItemCollection) []Output {
	if ic == nil {
		return nil
	}
	var outs []Output
	if json.Unmarshal(ic.Extra[CollectionOutputs], &outs) != nil {
		return nil
	}
	return outs
}

func setOutputs(ic *stac.ItemCollection, outs []Output) {
	if ic.Extra == nil {
		ic.Extra = map[string]json.RawMessage{}
	}
	if outs == nil {
		outs = []Output{}
	}
	b, _ := json.Marshal(outs)
	ic.Extra[CollectionOutputs] = b
}

// describe is an output's description and schema, when the process description has it.
type describe struct {
	title  string
	schema ogcapi.OutputSchema
}

func describeOf(p *ogcapi.Process, id string) describe {
	if p == nil {
		return describe{}
	}
	d, ok := p.Outputs[id]
	if !ok {
		return describe{}
	}
	return describe{title: d.Title, schema: ogcapi.DescribeOutput(d)}
}

// maxShownText is the largest text value listed with its output; longer text is only a file.
const maxShownText = 64 << 10

// typedValue reads an in-line value as the schema describes it: the Output's Kind, Type,
// Value and Note. ok is false when the value is not JSON or text (bytes to keep as a file).
func typedValue(v ogcapi.OutputValue, sch ogcapi.OutputSchema) (o Output, ok bool) {
	switch v.Kind {
	case ogcapi.KindJSON:
		if sch.Binary || strings.EqualFold(v.Encoding, "base64") {
			return o, false
		}
		o := typedJSON(v.Value, sch, false, v.MediaType)
		if v.IDValue && sch.Type == "object" && o.Type != "object" {
			// The object the description declares is pygeoapi's {"id", "value"}: what
			// is shown is its value, not something other than what was declared.
			o.Note = `the process description declares an object: the server sent the output as {"id": …, "value": …}; shown is its value`
		}
		return o, true
	case ogcapi.KindBytes:
		mt := baseMediaType(v.MediaType)
		switch {
		case (mt == "application/json" || strings.HasSuffix(mt, "+json")) && json.Valid(v.Bytes):
			return typedJSON(bytes.TrimSpace(v.Bytes), sch, false, v.MediaType), true
		case mt == "text/plain" && len(v.Bytes) <= maxTextLiteral && utf8.Valid(v.Bytes):
			s, _ := json.Marshal(string(v.Bytes))
			return typedJSON(s, sch, true, v.MediaType), true
		case strings.HasPrefix(mt, "text/") || mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
			if len(v.Bytes) <= maxShownText && utf8.Valid(v.Bytes) {
				s, _ := json.Marshal(string(v.Bytes))
				o := Output{Kind: KindText, Type: "string", Value: s, MediaType: v.MediaType}
				if sch.Type != "" && sch.Type != "string" {
					// A web page where a JSON object was declared: a server's (or a
					// proxy's) page rather than the output, most likely.
					o.Note = fmt.Sprintf("the process description declares %s; the server sent %s text", withArticle(sch.Type), mt)
				}
				return o, true
			}
		}
	}
	return o, false
}

// typedJSON types a JSON value by its schema. fromText: the server sent it as text/plain
// (a raw or multipart answer), so "42" may well be the integer 42.
func typedJSON(raw json.RawMessage, sch ogcapi.OutputSchema, fromText bool, mediaType string) Output {
	o := Output{MediaType: mediaType}
	raw = bytes.TrimSpace(raw)
	var s string
	isString := json.Unmarshal(raw, &s) == nil
	sent := func() string {
		if fromText {
			return fmt.Sprintf("the server sent the text %s", quoteShort(s))
		}
		return fmt.Sprintf("the server sent the string %s", quoteShort(s))
	}
	if isString && sch.Type != "" && sch.Type != "string" {
		if v, typ, ok := parseAs(s, sch.Type); ok {
			o.Value, o.Type = v, typ
			o.Note = sent() + "; shown as the " + typ + " the process description declares"
			return kindOf(o, sch)
		}
		o.Note = fmt.Sprintf("the process description declares %s; %s", withArticle(sch.Type), sent())
	}
	if isString && fromText && sch.Type == "" {
		// Untyped text: a number or boolean stays text, as sent.
		o.Value, o.Type = raw, "string"
		return kindOf(o, sch)
	}
	o.Value, o.Type = raw, jsonType(raw)
	switch {
	case o.Type == "number" && sch.Type == "integer" && isIntegral(raw):
		o.Type = "integer" // as sent, however large
	case o.Type == "number" && sch.Type == "integer":
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			o.Value, o.Type = json.RawMessage(strconv.FormatInt(int64(f), 10)), "integer"
		} else {
			o.Note = "the process description declares an integer; the server sent " + string(raw)
		}
	case o.Type == "number" && sch.Type == "number":
	case o.Type == "number":
		if isIntegral(raw) {
			o.Type = "integer"
		}
		if sch.Type == "string" {
			o.Value, o.Type = jsonString(string(raw)), "string"
			o.Note = "the server sent the number " + string(raw) + "; shown as the string the process description declares"
		}
	case o.Type == "boolean" && sch.Type == "string":
		o.Value, o.Type = jsonString(string(raw)), "string"
		o.Note = "the server sent the boolean " + string(raw) + "; shown as the string the process description declares"
	}
	return kindOf(o, sch)
}

// kindOf sets the Kind of a typed value: bbox, GeoJSON, JSON or literal.
func kindOf(o Output, sch ogcapi.OutputSchema) Output {
	switch o.Type {
	case "object":
		var m map[string]json.RawMessage
		_ = json.Unmarshal(o.Value, &m)
		var t string
		_ = json.Unmarshal(m["type"], &t)
		switch {
		case m["bbox"] != nil && (sch.BBox || len(m) <= 2) && json.Unmarshal(m["bbox"], new([]float64)) == nil:
			o.Kind = KindBBox
		case geoJSONTypes[t] && (m["coordinates"] != nil || m["geometries"] != nil || m["geometry"] != nil || m["features"] != nil):
			o.Kind = KindGeometry
		default:
			o.Kind = KindJSON
		}
	case "array":
		o.Kind = KindJSON
	default:
		o.Kind = KindLiteral
	}
	return o
}

var geoJSONTypes = map[string]bool{"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true, "Feature": true, "FeatureCollection": true}

// parseAs reads text as a value of JSON type typ.
func parseAs(s, typ string) (json.RawMessage, string, bool) {
	t := strings.TrimSpace(s)
	switch typ {
	case "integer":
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			return json.RawMessage(strconv.FormatInt(n, 10)), "integer", true
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return json.RawMessage(strconv.FormatInt(int64(f), 10)), "integer", true
		}
	case "number":
		if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if json.Valid([]byte(t)) && jsonType([]byte(t)) == "number" {
				return json.RawMessage(t), "number", true
			}
			return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64)), "number", true
		}
	case "boolean":
		switch strings.ToLower(t) {
		case "true":
			return json.RawMessage("true"), "boolean", true
		case "false":
			return json.RawMessage("false"), "boolean", true
		}
	case "object", "array":
		b := []byte(t)
		if json.Valid(b) && jsonType(b) == typ {
			return b, typ, true
		}
	}
	return nil, "", false
}

func jsonType(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func isIntegral(raw []byte) bool { return !bytes.ContainsAny(raw, ".eE") }

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

func withArticle(typ string) string {
	switch typ {
	case "integer", "object", "array":
		return "an " + typ
	}
	return "a " + typ
}

func baseMediaType(t string) string {
	mt, _, err := mime.ParseMediaType(t)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(t))
	}
	return mt
}
