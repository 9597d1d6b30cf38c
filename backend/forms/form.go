// Package forms turns an OGC API – Processes description into an execution form: one
// field per input with the widget its schema calls for, the outputs to return and the
// execution modes the process allows. It reads submitted form values, builds the
// execute request from them (with ogcapi.BuildInput), imports an existing execute
// request (JSON or YAML) into form values and exports the form as an execute request,
// a curl command or a `geojobs run` command. It renders nothing and sends nothing:
// frontend/ renders a Form; Validate checks the request; backend/jobs submits it.
package forms

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Kind is the widget a field needs.
type Kind string

// Field kinds.
const (
	KindText     Kind = "text"     // free text
	KindEnum     Kind = "enum"     // one of a list (select)
	KindNumber   Kind = "number"   // a floating-point number
	KindInteger  Kind = "integer"  // an integer
	KindBoolean  Kind = "boolean"  // true or false (select with "not set" when optional)
	KindDate     Kind = "date"     // format date
	KindDateTime Kind = "datetime" // format date-time (RFC 3339)
	KindEmail    Kind = "email"    // format email
	KindURI      Kind = "uri"      // format uri / uri-reference / url
	KindList     Kind = "list"     // an array of scalars in one value: comma-separated
	KindObject   Kind = "object"   // an object of scalar properties: nested fields
	KindJSON     Kind = "json"     // anything complex: a JSON editor
	KindBBox     Kind = "bbox"     // an OGC bounding box
	KindGeoJSON  Kind = "geojson"  // a GeoJSON geometry or feature
	KindBinary   Kind = "binary"   // bytes: a file upload sent in base64
)

// AOI value formats, as the map component names them.
const (
	AOIBBoxString = "bbox-string"      // "minx,miny,maxx,maxy"
	AOIOGCBBox    = "ogc-bbox"         // {"bbox":[…],"crs":"…CRS84"}
	AOIGeometry   = "geojson-geometry" // a GeoJSON geometry
	AOIFeature    = "geojson-feature"  // a GeoJSON feature
)

// Unbounded is Field.Max for maxOccurs "unbounded".
const Unbounded = ogcapi.Unbounded

// Field is one input of the form.
type Field struct {
	Index       int    // position in Form.Fields; names its form controls
	ID          string // the input id
	Title       string
	Description string // as the server sent it (render only through a sanitizer)
	Kind        Kind
	// Required: the process needs a value (minOccurs > 0 and no default).
	Required bool
	Min, Max int // occurrences; Max is Unbounded for "unbounded"
	// Default is the default value as form text ("" when none); Defaults holds one
	// entry per occurrence when the default is a list for a multi-occurrence input.
	Default  string
	Defaults []string
	Enum     []string
	// Numeric bounds, as HTML attribute text ("" when none), and whether they are exclusive.
	Minimum, Maximum string
	ExclMin, ExclMax bool
	Pattern          string
	// ItemKind is the kind of a KindList's items.
	ItemKind Kind
	// Props are the nested fields of a KindObject (Index is the property's position).
	Props []Field
	// MediaTypes are the formats a value may be given in (oneOf over media types); the
	// first is the default.
	MediaTypes []string
	// AOI is the format of an area-of-interest value ("" when the input is not one).
	AOI string
	// ByRef: the value may be given as a URL (a reference) instead of in-line.
	ByRef bool
	// Schema is the input's schema as the server sent it.
	Schema json.RawMessage
	// KeystoreRef: a text input whose description or schema mentions the keystore
	// takes a keystore://NAME reference (EOCanvas' convention): the process reads
	// the named key from its own keystore.
	KeystoreRef bool
}

// Many reports whether the input takes more than one value.
func (f Field) Many() bool { return f.Max == Unbounded || f.Max > 1 }

// Output is one output of the form.
type Output struct {
	Index       int
	ID          string
	Title       string
	Description string
	MediaTypes  []string
}

// Form is the execution form of a process.
type Form struct {
	Process *ogcapi.Process
	Fields  []Field
	Outputs []Output
	// Modes are the execution modes the process allows (ogcapi.AsyncExecute,
	// ogcapi.SyncExecute), async first.
	Modes []string
	// Transmission lists the output transmission modes the process offers.
	Transmission []string
}

// New builds the form of a process description.
func New(p *ogcapi.Process) *Form {
	f := &Form{Process: p}
	for i, id := range slices.Sorted(maps.Keys(p.Inputs)) {
		f.Fields = append(f.Fields, newField(i, id, p.Inputs[id]))
	}
	for i, id := range slices.Sorted(maps.Keys(p.Outputs)) {
		o := p.Outputs[id]
		f.Outputs = append(f.Outputs, Output{Index: i, ID: id, Title: o.Title, Description: o.Description,
			MediaTypes: parseSchema(o.Schema).mediaTypes()})
	}
	for _, m := range []string{ogcapi.AsyncExecute, ogcapi.SyncExecute} {
		if p.Allows(m) {
			f.Modes = append(f.Modes, m)
		}
	}
	for _, t := range p.OutputTransmission {
		if t == ogcapi.TransmissionValue || t == ogcapi.TransmissionReference {
			f.Transmission = append(f.Transmission, t)
		}
	}
	return f
}

// Field returns the field of input id.
func (f *Form) Field(id string) (Field, bool) {
	for _, fl := range f.Fields {
		if fl.ID == id {
			return fl, true
		}
	}
	return Field{}, false
}

func newField(i int, id string, d ogcapi.InputDescription) Field {
	s := parseSchema(d.Schema)
	fl := Field{Index: i, ID: id, Title: d.Title, Description: d.Description,
		Min: d.Min(), Max: d.MaxOccurs.N(), Schema: d.Schema, ByRef: true}
	if fl.Title == "" {
		fl.Title = id
	}
	fl.Required = fl.Min > 0 && !s.HasDefault
	fl.MediaTypes = s.mediaTypes()
	kindOf(&fl, s, id, d.Title)
	if s.HasDefault {
		setDefault(&fl, s.Default)
	}
	fl.KeystoreRef = fl.Kind == KindText && fl.AOI == "" && mentionsKeystore(d.Description, d.Schema)
	return fl
}

// mentionsKeystore reports whether an input's description or schema speaks of a keystore.
func mentionsKeystore(desc string, schema json.RawMessage) bool {
	return strings.Contains(strings.ToLower(desc), "keystore") || strings.Contains(strings.ToLower(string(schema)), "keystore")
}

// kindOf picks the widget of a schema.
func kindOf(fl *Field, s *schema, id, title string) {
	if len(s.Alternatives) > 0 && s.Type == "" {
		// A oneOf of formats: the first branch's type decides the widget.
		first := s.Alternatives[0]
		switch {
		case first.isBinary():
			fl.Kind = KindBinary
		case first.Type == "object" || first.Type == "array":
			fl.Kind = KindJSON
		case first.geoJSON() != "":
			fl.Kind, fl.AOI = KindGeoJSON, first.geoJSON()
		default:
			fl.Kind = KindText
		}
		return
	}
	switch {
	case s.isBBox():
		fl.Kind, fl.AOI = KindBBox, AOIOGCBBox
		return
	case s.geoJSON() != "":
		fl.Kind, fl.AOI = KindGeoJSON, s.geoJSON()
		return
	case s.isBinary():
		fl.Kind = KindBinary
		if s.ContentMediaType != "" && len(fl.MediaTypes) == 0 {
			fl.MediaTypes = []string{s.ContentMediaType}
		}
		return
	case len(s.Enum) > 0 && s.Type != "array" && s.Type != "object":
		fl.Kind = KindEnum
		for _, e := range s.Enum {
			fl.Enum = append(fl.Enum, scalarText(e))
		}
		return
	}
	switch s.Type {
	case "number", "integer":
		fl.Kind = KindNumber
		if s.Type == "integer" {
			fl.Kind = KindInteger
		}
		if s.Minimum != nil {
			fl.Minimum = formatNumber(*s.Minimum)
		}
		if s.Maximum != nil {
			fl.Maximum = formatNumber(*s.Maximum)
		}
		fl.ExclMin, fl.ExclMax = s.ExclMin && s.Minimum != nil, s.ExclMax && s.Maximum != nil
	case "boolean":
		fl.Kind = KindBoolean
	case "array":
		if s.Items != nil && s.Items.isScalar() && len(s.Items.Enum) == 0 {
			fl.Kind, fl.ItemKind = KindList, scalarKind(s.Items)
		} else {
			fl.Kind = KindJSON
		}
	case "object":
		fl.Kind = KindJSON
		if len(s.Properties) > 0 && len(s.Properties) <= 12 {
			props := make([]Field, 0, len(s.Properties))
			for j, name := range s.PropOrder {
				ps := s.Properties[name]
				if !ps.isScalar() {
					props = nil
					break
				}
				p := Field{Index: j, ID: name, Title: name, Min: 0, Max: 1, Required: slices.Contains(s.Required, name)}
				kindOf(&p, ps, name, "")
				if ps.HasDefault {
					setDefault(&p, ps.Default)
				}
				props = append(props, p)
			}
			if props != nil {
				fl.Kind, fl.Props = KindObject, props
			}
		}
	default: // string or untyped
		fl.Kind = scalarKind(s)
		fl.Pattern = s.Pattern
		if fl.Kind == KindText && (aoiName.MatchString(id) || aoiName.MatchString(title)) {
			fl.AOI = AOIBBoxString
		}
	}
}

func scalarKind(s *schema) Kind {
	switch s.Type {
	case "number":
		return KindNumber
	case "integer":
		return KindInteger
	case "boolean":
		return KindBoolean
	}
	switch strings.ToLower(s.Format) {
	case "date":
		return KindDate
	case "date-time":
		return KindDateTime
	case "email":
		return KindEmail
	case "uri", "url", "uri-reference", "iri":
		return KindURI
	}
	return KindText
}

// setDefault records a schema default as form text. A list default of a
// multi-occurrence input prefills one row per item (ZOO writes string[] defaults so).
func setDefault(fl *Field, d any) {
	if d == nil {
		return
	}
	if list, ok := d.([]any); ok && fl.Many() && fl.Kind != KindList && fl.Kind != KindJSON {
		for _, e := range list {
			fl.Defaults = append(fl.Defaults, scalarText(e))
		}
		return
	}
	switch fl.Kind {
	case KindJSON, KindBBox, KindGeoJSON:
		b, _ := json.MarshalIndent(d, "", "  ")
		fl.Default = string(b)
	case KindList:
		if list, ok := d.([]any); ok {
			parts := make([]string, len(list))
			for i, e := range list {
				parts[i] = scalarText(e)
			}
			fl.Default = strings.Join(parts, ", ")
		} else {
			fl.Default = scalarText(d)
		}
	default:
		fl.Default = scalarText(d)
	}
}

// scalarText prints a JSON value as form text.
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		return formatNumber(x)
	case bool:
		return fmt.Sprint(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
