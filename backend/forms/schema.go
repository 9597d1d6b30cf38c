package forms

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// schema is the part of an input's OpenAPI 3.0 schema a form needs, read leniently:
// allOf branches are merged, a single-branch oneOf/anyOf is unwrapped, unknown
// keywords are ignored. Real servers' schemas are untrusted; nothing here fails.
type schema struct {
	Type             string
	Format           string
	Ref              string
	ContentMediaType string
	ContentEncoding  string
	Enum             []any
	Default          any
	HasDefault       bool
	Nullable         bool
	Minimum, Maximum *float64
	ExclMin, ExclMax bool
	MinItems         *int
	Items            *schema
	Properties       map[string]*schema
	PropOrder        []string
	Required         []string
	Alternatives     []*schema // oneOf/anyOf with more than one branch
	Pattern          string
	MinLength        *int
	MaxLength        *int
}

const maxSchemaDepth = 10

func parseSchema(raw json.RawMessage) *schema {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return &schema{}
	}
	return fromValue(v, 0)
}

func fromValue(v any, depth int) *schema {
	s := &schema{}
	m, ok := v.(map[string]any)
	if !ok || depth > maxSchemaDepth {
		return s
	}
	s.merge(m, depth)
	return s
}

// merge adds the keywords of m to s; allOf branches are merged in as well.
func (s *schema) merge(m map[string]any, depth int) {
	str := func(k string) string { v, _ := m[k].(string); return v }
	switch t := m["type"].(type) {
	case string:
		s.Type = t
	case []any: // JSON Schema ["string","null"]
		for _, e := range t {
			if e == "null" {
				s.Nullable = true
			} else if es, ok := e.(string); ok && s.Type == "" {
				s.Type = es
			}
		}
	}
	if f := str("format"); f != "" {
		s.Format = f
	}
	if r := str("$ref"); r != "" {
		s.Ref = r
	}
	if c := str("contentMediaType"); c != "" {
		s.ContentMediaType = c
	}
	if c := str("contentEncoding"); c != "" {
		s.ContentEncoding = c
	}
	if p := str("pattern"); p != "" {
		s.Pattern = p
	}
	if e, ok := m["enum"].([]any); ok {
		s.Enum = e
	}
	if d, ok := m["default"]; ok {
		s.Default, s.HasDefault = d, true
	}
	if n, _ := m["nullable"].(bool); n {
		s.Nullable = true
	}
	num := func(k string) *float64 {
		if f, ok := m[k].(float64); ok {
			return &f
		}
		return nil
	}
	intp := func(k string) *int {
		if f, ok := m[k].(float64); ok {
			n := int(f)
			return &n
		}
		return nil
	}
	if f := num("minimum"); f != nil {
		s.Minimum = f
	}
	if f := num("maximum"); f != nil {
		s.Maximum = f
	}
	// OpenAPI 3.0: boolean exclusiveMinimum; JSON Schema 2020-12: a number.
	switch e := m["exclusiveMinimum"].(type) {
	case bool:
		s.ExclMin = e
	case float64:
		s.Minimum, s.ExclMin = &e, true
	}
	switch e := m["exclusiveMaximum"].(type) {
	case bool:
		s.ExclMax = e
	case float64:
		s.Maximum, s.ExclMax = &e, true
	}
	if n := intp("minItems"); n != nil {
		s.MinItems = n
	}
	if n := intp("minLength"); n != nil {
		s.MinLength = n
	}
	if n := intp("maxLength"); n != nil {
		s.MaxLength = n
	}
	if it, ok := m["items"].(map[string]any); ok {
		s.Items = fromValue(it, depth+1)
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if s.Properties == nil {
			s.Properties = map[string]*schema{}
		}
		for _, k := range slices.Sorted(maps.Keys(props)) {
			if _, seen := s.Properties[k]; !seen {
				s.PropOrder = append(s.PropOrder, k)
			}
			s.Properties[k] = fromValue(props[k], depth+1)
		}
	}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if rs, ok := r.(string); ok {
				s.Required = append(s.Required, rs)
			}
		}
	}
	if all, ok := m["allOf"].([]any); ok && depth < maxSchemaDepth {
		for _, b := range all {
			if bm, ok := b.(map[string]any); ok {
				s.merge(bm, depth+1)
			}
		}
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		alts, ok := m[k].([]any)
		if !ok || depth >= maxSchemaDepth {
			continue
		}
		var branches []map[string]any
		for _, b := range alts {
			if bm, ok := b.(map[string]any); ok {
				branches = append(branches, bm)
			}
		}
		if len(branches) == 1 {
			s.merge(branches[0], depth+1) // ZOO: oneOf: [{type: object}]
			continue
		}
		for _, b := range branches {
			s.Alternatives = append(s.Alternatives, fromValue(b, depth+1))
		}
	}
}

func (s *schema) isBBox() bool {
	if strings.HasSuffix(s.Format, "ogc-bbox") {
		return true
	}
	ref := strings.ToLower(s.Ref)
	return strings.HasSuffix(ref, "bbox.yaml") || strings.HasSuffix(ref, "bbox.json")
}

// geoJSON returns the AOI format of a GeoJSON geometry or feature schema, or "".
func (s *schema) geoJSON() string {
	f := strings.ToLower(s.Format)
	ref := strings.ToLower(s.Ref)
	switch {
	case strings.Contains(f, "geojson-feature") || strings.HasSuffix(ref, "/feature.json") || strings.HasSuffix(ref, "featurecollection.json"):
		return AOIFeature
	case strings.Contains(f, "geojson") || strings.HasSuffix(ref, "geometry.json") || strings.HasPrefix(ref, "https://geojson.org/schema/"):
		return AOIGeometry
	case s.ContentMediaType == "application/geo+json" && (s.Type == "object" || s.Type == ""):
		return AOIGeometry
	}
	return ""
}

func (s *schema) isBinary() bool {
	if s.Type != "" && s.Type != "string" {
		return false
	}
	switch strings.ToLower(s.ContentEncoding) {
	case "base64", "binary":
		return true
	}
	return s.Format == "byte" || s.Format == "binary"
}

// mediaTypes lists the media types of a oneOf of formats (CLIENT-NOTES 12), in order.
func (s *schema) mediaTypes() []string {
	var out []string
	for _, a := range s.Alternatives {
		if a.ContentMediaType != "" {
			out = append(out, a.ContentMediaType)
		}
	}
	return out
}

func (s *schema) isScalar() bool {
	switch s.Type {
	case "string", "number", "integer", "boolean":
		return !s.isBBox() && s.geoJSON() == "" && !s.isBinary()
	}
	return len(s.Enum) > 0
}

// aoiName matches ids and titles that name an area of interest.
var aoiName = regexp.MustCompile(`(?i)(^|[^a-z])(aoi|bbox|bounding[ _-]?box|area[ _-]of[ _-]interest)([^a-z]|$)`)

// formatNumber prints a schema bound for an HTML attribute.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
