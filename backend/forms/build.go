package forms

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/geocheck"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Problem is one thing wrong with the form, shown next to its field.
type Problem struct {
	Input string // input id; "" for the form as a whole (outputs, mode)
	Row   int    // occurrence, -1 for the input as a whole
	Msg   string
}

// Problems are the problems of a form.
type Problems []Problem

// Of returns the problems of input id, row (-1: of the input as a whole).
func (ps Problems) Of(id string, row int) []string {
	var out []string
	for _, p := range ps {
		if p.Input == id && p.Row == row {
			out = append(out, p.Msg)
		}
	}
	return out
}

// Error joins the problems (for logs and tests; the UI shows each next to its field).
func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		switch {
		case p.Input == "":
			msgs[i] = p.Msg
		case p.Row >= 0:
			msgs[i] = fmt.Sprintf("%s[%d]: %s", p.Input, p.Row, p.Msg)
		default:
			msgs[i] = p.Input + ": " + p.Msg
		}
	}
	return strings.Join(msgs, "; ")
}

// Request is what a valid form builds.
type Request struct {
	Execute *ogcapi.Execute
	Mode    string          // ogcapi.AsyncExecute or ogcapi.SyncExecute
	AOI     json.RawMessage // GeoJSON geometry of the first area of interest, if any
	// Notes are things about legal values the user should know before sending (a box
	// crossing the antimeridian), one sentence each, naming the input.
	Notes []string
}

// Build turns form values into an execute request. Blank rows are left out; each
// value is converted to what its field's kind says and encoded with ogcapi.BuildInput.
// Every problem found is returned (not only the first), each with its input and row.
func (f *Form) Build(v Values) (*Request, Problems) {
	var probs Problems
	ex := &ogcapi.Execute{Inputs: map[string]json.RawMessage{}}
	req := &Request{Execute: ex, Mode: v.Mode}
	for _, fl := range f.Fields {
		desc := f.Process.Inputs[fl.ID]
		var vals []any
		bad := false
		for n, o := range v.Inputs[fl.ID] {
			if o.empty() {
				continue
			}
			val, err := fl.value(o)
			if err != nil {
				probs = append(probs, Problem{Input: fl.ID, Row: n, Msg: err.Error()})
				bad = true
				continue
			}
			vals = append(vals, val)
			if note := fl.note(o); note != "" {
				req.Notes = append(req.Notes, fl.Title+": "+note)
			}
			if req.AOI == nil && fl.AOI != "" && !o.Ref {
				req.AOI = aoiGeometry(fl.AOI, fl.geometryText(o.Value))
			}
		}
		if bad {
			continue
		}
		raw, err := ogcapi.BuildInput(desc, vals...)
		if err != nil {
			var ie *ogcapi.InputError
			msg := err.Error()
			if errors.As(err, &ie) {
				msg = ie.Err.Error()
			}
			probs = append(probs, Problem{Input: fl.ID, Row: -1, Msg: msg})
			continue
		}
		if raw != nil {
			ex.Inputs[fl.ID] = raw
		}
	}
	outs, allDefault := map[string]ogcapi.Output{}, true
	for _, o := range f.Outputs {
		c := v.Outputs[o.ID]
		if !c.Include {
			allDefault = false
			continue
		}
		out := ogcapi.Output{}
		if c.Transmission != "" {
			if !slices.Contains(f.Transmission, c.Transmission) {
				probs = append(probs, Problem{Input: "", Row: -1, Msg: fmt.Sprintf("output %s: transmission mode %q is not offered", o.ID, c.Transmission)})
				continue
			}
			out.TransmissionMode, allDefault = c.Transmission, false
		}
		if c.Format != "" {
			if !slices.Contains(o.MediaTypes, c.Format) {
				probs = append(probs, Problem{Input: "", Row: -1, Msg: fmt.Sprintf("output %s: format %q is not offered", o.ID, c.Format)})
				continue
			}
			out.Format, allDefault = &ogcapi.Format{MediaType: c.Format}, false
		}
		outs[o.ID] = out
	}
	switch {
	case len(f.Outputs) > 0 && len(outs) == 0:
		probs = append(probs, Problem{Row: -1, Msg: "Choose at least one output to return."})
	case !allDefault:
		ex.Outputs = outs
	}
	if len(f.Modes) > 0 && !slices.Contains(f.Modes, v.Mode) {
		if v.Mode == "" {
			req.Mode = f.Modes[0]
		} else {
			probs = append(probs, Problem{Row: -1, Msg: fmt.Sprintf("The process does not allow %s execution.", strings.TrimSuffix(v.Mode, "-execute"))})
		}
	}
	if len(ex.Inputs) == 0 {
		ex.Inputs = nil
	}
	return req, probs
}

// value converts one occurrence to a value ogcapi.BuildInput accepts.
func (fl Field) value(o Occurrence) (any, error) {
	media := ""
	if len(fl.MediaTypes) > 1 {
		media = o.Media
		if media != "" && !slices.Contains(fl.MediaTypes, media) {
			return nil, fmt.Errorf("format %q is not one the process accepts", media)
		}
		if media == "" {
			media = fl.MediaTypes[0]
		}
	}
	if o.Ref {
		u, err := url.Parse(o.Href)
		if err != nil || !u.IsAbs() || u.Host == "" && u.Scheme != "urn" {
			return nil, errors.New("enter an absolute URL (https://…) for the reference")
		}
		return ogcapi.Ref{Href: o.Href, Type: media}, nil
	}
	t := strings.TrimSpace(o.Value)
	switch fl.Kind {
	case KindBinary:
		data, err := decodeBase64(t)
		if err != nil {
			return nil, errors.New("the file content is not valid base64")
		}
		return ogcapi.Binary{Data: data, MediaType: media}, nil
	case KindJSON:
		if !json.Valid([]byte(t)) {
			return nil, fmt.Errorf("not valid JSON: %s", jsonProblem(t))
		}
		if media != "" {
			return ogcapi.Qualified{Value: json.RawMessage(t), MediaType: media}, nil
		}
		return json.RawMessage(t), nil
	case KindGeoJSON:
		var m map[string]any
		if err := json.Unmarshal([]byte(t), &m); err != nil {
			return nil, fmt.Errorf("not a GeoJSON object: %s", jsonProblem(t))
		}
		if _, ok := m["type"].(string); !ok {
			return nil, errors.New(`a GeoJSON object needs a "type"`)
		}
		g, err := fl.geoJSON(t)
		if err != nil {
			return nil, err
		}
		if err := geocheck.GeoJSON(g); err != nil {
			return nil, err
		}
		if media == "" {
			media = "application/geo+json"
		}
		return ogcapi.Qualified{Value: g, MediaType: media}, nil
	case KindBBox:
		b, err := parseBBox(t)
		if err != nil {
			return nil, err
		}
		if _, err := geocheck.BBox(b.Coords, b.CRS); err != nil {
			return nil, err
		}
		return b, nil
	case KindObject:
		return fl.objectValue(o)
	case KindList:
		return listValue(t, fl.ItemKind)
	case KindNumber, KindInteger:
		x, err := scalar(t, fl.Kind)
		if err != nil {
			return nil, err
		}
		if f, ok := x.(float64); ok {
			t = formatNumber(f) // "1,5" was read as 1.5
		}
		if err := fl.checkBounds(t); err != nil {
			return nil, err
		}
	case KindBoolean:
		if _, err := scalar(t, KindBoolean); err != nil {
			return nil, err
		}
	case KindDateTime:
		dt, err := normDateTime(t)
		if err != nil {
			return nil, err
		}
		t = dt
	case KindDate:
		if _, err := time.Parse(time.DateOnly, t); err != nil {
			return nil, errors.New("enter a date as YYYY-MM-DD")
		}
	case KindEnum:
		if !slices.Contains(fl.Enum, t) {
			return nil, fmt.Errorf("choose one of: %s", strings.Join(fl.Enum, ", "))
		}
	case KindText:
		if fl.AOI == AOIBBoxString {
			coords, err := parseCoords(t)
			if err != nil {
				return nil, err
			}
			if _, err := geocheck.BBox(coords, ""); err != nil {
				return nil, err
			}
		}
	}
	if media != "" {
		return ogcapi.Qualified{Value: t, MediaType: media}, nil
	}
	return t, nil
}

func (fl Field) checkBounds(t string) error {
	x, _ := strconv.ParseFloat(t, 64)
	if fl.Minimum != "" {
		m, _ := strconv.ParseFloat(fl.Minimum, 64)
		if x < m || fl.ExclMin && x == m {
			if fl.ExclMin {
				return fmt.Errorf("must be greater than %s", fl.Minimum)
			}
			return fmt.Errorf("must be at least %s", fl.Minimum)
		}
	}
	if fl.Maximum != "" {
		m, _ := strconv.ParseFloat(fl.Maximum, 64)
		if x > m || fl.ExclMax && x == m {
			if fl.ExclMax {
				return fmt.Errorf("must be less than %s", fl.Maximum)
			}
			return fmt.Errorf("must be at most %s", fl.Maximum)
		}
	}
	return nil
}

func (fl Field) objectValue(o Occurrence) (any, error) {
	obj := map[string]any{}
	var missing []string
	for _, p := range fl.Props {
		t := strings.TrimSpace(o.Props[p.ID])
		if t == "" {
			if p.Required {
				missing = append(missing, p.ID)
			}
			continue
		}
		v, err := scalar(t, p.Kind)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", p.ID, err)
		}
		obj[p.ID] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s required", strings.Join(missing, ", ")+map[bool]string{true: " is", false: " are"}[len(missing) == 1])
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// scalar converts form text to the JSON value of a scalar kind.
func scalar(t string, k Kind) (any, error) {
	switch k {
	case KindNumber:
		return parseNumber(t)
	case KindInteger:
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", t)
		}
		return n, nil
	case KindBoolean:
		b, err := strconv.ParseBool(t)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", t)
		}
		return b, nil
	case KindDateTime:
		return normDateTime(t)
	}
	return t, nil
}

func listValue(t string, item Kind) (any, error) {
	if strings.HasPrefix(t, "[") {
		if !json.Valid([]byte(t)) {
			return nil, fmt.Errorf("not a valid JSON array: %s", jsonProblem(t))
		}
		return json.RawMessage(t), nil
	}
	var items []any
	for _, part := range strings.Split(t, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		v, err := scalar(part, item)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	b, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// parseNumber reads a number written with a decimal point, or with a decimal comma as
// many locales write it ("1,5" is 1.5). A comma is never dropped: "1,500" could be 1.5
// or 1500 and is refused, and so is a comma next to a point.
func parseNumber(t string) (float64, error) {
	s := t
	if i := strings.IndexByte(t, ','); i >= 0 {
		frac := t[i+1:]
		switch {
		case strings.ContainsAny(frac, ",") || strings.ContainsAny(t, "."):
			return 0, fmt.Errorf("%q is not a number: write it with one decimal point, without thousands separators", t)
		case len(frac) == 3 && !strings.ContainsAny(frac, "eE"):
			return 0, fmt.Errorf("%q is ambiguous: write %s (a decimal point) or %s (no comma)", t, strings.Replace(t, ",", ".", 1), strings.Replace(t, ",", "", 1))
		}
		s = strings.Replace(t, ",", ".", 1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a number", t)
	}
	return f, nil
}

// parseBBox reads "minx,miny,maxx,maxy" (4 or 6 numbers) or an OGC bbox object.
func parseBBox(t string) (ogcapi.BBox, error) {
	var b ogcapi.BBox
	if strings.HasPrefix(t, "{") {
		var doc struct {
			BBox []float64 `json:"bbox"`
			CRS  string    `json:"crs"`
		}
		if err := json.Unmarshal([]byte(t), &doc); err != nil {
			return b, fmt.Errorf(`not a bounding box: enter minx,miny,maxx,maxy or {"bbox": […]} (%s)`, jsonProblem(t))
		}
		b = ogcapi.BBox{Coords: doc.BBox, CRS: doc.CRS}
	} else {
		coords, err := parseCoords(t)
		if err != nil {
			return b, err
		}
		b.Coords = coords
	}
	if len(b.Coords) != 4 && len(b.Coords) != 6 {
		return b, fmt.Errorf("a bounding box has 4 or 6 numbers (minx,miny,maxx,maxy), got %d", len(b.Coords))
	}
	return b, nil
}

// note is what the user should know about a valid value before it is sent.
func (fl Field) note(o Occurrence) string {
	if o.Ref || (fl.Kind != KindBBox && fl.AOI != AOIBBoxString) {
		return ""
	}
	b, err := parseBBox(strings.TrimSpace(o.Value))
	if err != nil {
		return ""
	}
	note, _ := geocheck.BBox(b.Coords, b.CRS)
	return note
}

// geoJSON is the GeoJSON a GeoJSON field sends for text t: for an input that takes a
// geometry, the geometry of a pasted Feature or FeatureCollection (see geometryOf).
func (fl Field) geoJSON(t string) (json.RawMessage, error) {
	if fl.AOI != AOIGeometry {
		return json.RawMessage(t), nil
	}
	s := string(fl.Schema)
	return geocheck.GeometryOf(json.RawMessage(t), !strings.Contains(s, "Polygon") || strings.Contains(s, "MultiPolygon"))
}

// geometryText is the text of value as geoJSON sends it ("" when it cannot be read).
func (fl Field) geometryText(value string) string {
	if fl.Kind != KindGeoJSON {
		return value
	}
	g, err := fl.geoJSON(strings.TrimSpace(value))
	if err != nil {
		return ""
	}
	return string(g)
}

func parseCoords(t string) ([]float64, error) {
	parts := strings.Split(t, ",")
	out := make([]float64, 0, len(parts))
	for _, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a bounding box: enter minx,miny,maxx,maxy", t)
		}
		out = append(out, f)
	}
	return out, nil
}

// normDateTime accepts RFC 3339 and the browser's datetime-local value (taken as UTC).
func normDateTime(t string) (string, error) {
	if _, err := time.Parse(time.RFC3339Nano, t); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05.999999999"} {
		if tt, err := time.Parse(layout, t); err == nil {
			return tt.UTC().Format(time.RFC3339), nil
		}
	}
	return "", errors.New("enter a date and time (YYYY-MM-DDThh:mm:ssZ)")
}

func decodeBase64(t string) ([]byte, error) {
	if i := strings.Index(t, ";base64,"); strings.HasPrefix(t, "data:") && i > 0 {
		t = t[i+len(";base64,"):]
	}
	t = strings.Join(strings.Fields(t), "")
	if b, err := base64.StdEncoding.DecodeString(t); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(t, "="))
}

// jsonProblem describes where JSON text goes wrong.
func jsonProblem(t string) string {
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(t)))
	err := dec.Decode(&v)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return "unexpected text after the value"
	case errors.As(err, &se):
		line := 1 + strings.Count(t[:min(int(se.Offset), len(t))], "\n")
		return fmt.Sprintf("%s (line %d)", se.Error(), line)
	}
	return err.Error()
}

// aoiGeometry returns the GeoJSON geometry of an AOI value, or nil.
func aoiGeometry(format, value string) json.RawMessage {
	t := strings.TrimSpace(value)
	switch format {
	case AOIBBoxString, AOIOGCBBox:
		b, err := parseBBox(t)
		if err != nil {
			return nil
		}
		c := b.Coords
		if len(c) == 6 {
			c = []float64{c[0], c[1], c[3], c[4]}
		}
		if c[0] > c[2] && geocheck.IsCRS84(b.CRS) {
			// Across the antimeridian: unroll eastwards so the box is drawn as one.
			c = []float64{c[0], c[1], c[2] + 360, c[3]}
		}
		poly := map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
			{c[0], c[1]}, {c[2], c[1]}, {c[2], c[3]}, {c[0], c[3]}, {c[0], c[1]}}}}
		out, _ := json.Marshal(poly)
		return out
	case AOIGeometry:
		if json.Valid([]byte(t)) {
			return json.RawMessage(t)
		}
	case AOIFeature:
		var ft struct {
			Geometry json.RawMessage `json:"geometry"`
		}
		if json.Unmarshal([]byte(t), &ft) == nil && len(ft.Geometry) > 0 {
			return ft.Geometry
		}
	}
	return nil
}
