package ogcapi

import (
	"encoding/json"
	"strings"
)

// schemaInfo is what the client needs to know of an input's OpenAPI 3.0 schema to
// encode a value; unknown keywords are ignored and never an error.
type schemaInfo struct {
	Type             string
	Format           string
	ContentMediaType string
	ContentEncoding  string
	Ref              string
	HasDefault       bool
	OneOf, AnyOf     []schemaInfo
	AllOf            []schemaInfo
}

func parseSchema(raw json.RawMessage) schemaInfo {
	return parseSchemaDepth(raw, 0)
}

func parseSchemaDepth(raw json.RawMessage, depth int) schemaInfo {
	var s schemaInfo
	if depth > 8 || len(raw) == 0 {
		return s
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return s
	}
	str := func(k string) string {
		var v string
		if json.Unmarshal(m[k], &v) != nil {
			// JSON Schema allows "type": ["string", "null"]: take the first non-null.
			var vs []string
			if k == "type" && json.Unmarshal(m[k], &vs) == nil {
				for _, t := range vs {
					if t != "null" {
						return t
					}
				}
			}
		}
		return v
	}
	s.Type, s.Format, s.Ref = str("type"), str("format"), str("$ref")
	s.ContentMediaType, s.ContentEncoding = str("contentMediaType"), str("contentEncoding")
	_, s.HasDefault = m["default"]
	list := func(k string) []schemaInfo {
		var items []json.RawMessage
		if json.Unmarshal(m[k], &items) != nil {
			return nil
		}
		out := make([]schemaInfo, len(items))
		for i, it := range items {
			out[i] = parseSchemaDepth(it, depth+1)
		}
		return out
	}
	s.OneOf, s.AnyOf, s.AllOf = list("oneOf"), list("anyOf"), list("allOf")
	return s
}

// typ is the schema's type, looking into allOf (bbox: allOf [format, $ref]) and into
// single-branch oneOf/anyOf (ZOO writes oneOf: [{type: object}]).
func (s schemaInfo) typ() string {
	if s.Type != "" {
		return s.Type
	}
	for _, b := range s.AllOf {
		if t := b.typ(); t != "" {
			return t
		}
	}
	if alts := s.alternatives(); len(alts) == 1 {
		return alts[0].typ()
	}
	return ""
}

func (s schemaInfo) alternatives() []schemaInfo {
	return append(append([]schemaInfo(nil), s.OneOf...), s.AnyOf...)
}

// isBBox reports a bounding box schema: format ogc-bbox (URI or short code) or a $ref to bbox.yaml/json.
func (s schemaInfo) isBBox() bool {
	if strings.HasSuffix(s.Format, "ogc-bbox") {
		return true
	}
	ref := strings.ToLower(s.Ref)
	if strings.HasSuffix(ref, "/bbox.yaml") || strings.HasSuffix(ref, "/bbox.json") || ref == "bbox.yaml" || ref == "bbox.json" {
		return true
	}
	for _, b := range s.AllOf {
		if b.isBBox() {
			return true
		}
	}
	return false
}

// mediaBranch is one media type of a mixed-type input and the JSON type of its value.
type mediaBranch struct{ mediaType, typ, encoding string }

// mediaTypes lists the media types of a oneOf/anyOf of formats, in order; the first is
// the default format (CLIENT-NOTES 12).
func (s schemaInfo) mediaTypes() []mediaBranch {
	var out []mediaBranch
	for _, b := range s.alternatives() {
		mt := b.ContentMediaType
		if mt == "" {
			for _, a := range b.AllOf {
				if a.ContentMediaType != "" {
					mt = a.ContentMediaType
					break
				}
			}
		}
		if mt != "" {
			out = append(out, mediaBranch{mediaType: mt, typ: b.typ(), encoding: b.ContentEncoding})
		}
	}
	return out
}

// isBinary reports a string schema that carries bytes.
func (s schemaInfo) isBinary() bool {
	if s.typ() != "string" && s.Type != "" {
		return false
	}
	switch strings.ToLower(s.ContentEncoding) {
	case "binary", "base64":
		return true
	}
	return s.Format == "byte" || s.Format == "binary"
}

// OutputSchema is what an output's schema says about the values to show for it.
type OutputSchema struct {
	Type      string // JSON type: string, number, integer, boolean, object, array; "" when not said
	BBox      bool   // an OGC bounding box
	Geometry  bool   // GeoJSON: a geometry, feature or feature collection
	Binary    bool   // bytes (contentEncoding base64/binary, format byte/binary)
	MediaType string // contentMediaType, or the first media type of a oneOf of formats
}

// DescribeOutput reads an output description's schema; unknown keywords are ignored.
func DescribeOutput(d OutputDescription) OutputSchema {
	s := parseSchema(d.Schema)
	o := OutputSchema{Type: s.typ(), BBox: s.isBBox(), Binary: s.isBinary(), MediaType: s.ContentMediaType}
	if mts := s.mediaTypes(); o.MediaType == "" && len(mts) > 0 {
		o.MediaType = mts[0].mediaType
		if mts[0].encoding != "" && mts[0].typ == "string" {
			o.Binary = true
		}
	}
	o.Geometry = s.isGeoJSON() || strings.Contains(strings.ToLower(o.MediaType), "geo+json")
	return o
}

// isGeoJSON: a format geojson-* (URI or short code) or a $ref to a GeoJSON schema.
func (s schemaInfo) isGeoJSON() bool {
	if strings.Contains(s.Format, "geojson") || strings.Contains(strings.ToLower(s.Ref), "geojson") {
		return true
	}
	for _, b := range append(s.AllOf, s.alternatives()...) {
		if b.isGeoJSON() {
			return true
		}
	}
	return false
}
