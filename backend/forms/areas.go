package forms

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/geojobs/geojobs/backend/geocheck"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

// CheckAreas checks the areas of an execute request for process p, as the form does
// before sending: every in-line bounding box (order and ranges) and GeoJSON value
// (geometry validity) of p's bbox and GeoJSON inputs. Values by reference are not
// fetched. It is what `geojobs run` and the built-in endpoint check, so that a request
// written by hand is held to the form's rules. Notes are legal but surprising values
// (a box crossing the antimeridian).
func CheckAreas(p *ogcapi.Process, ex *ogcapi.Execute) (probs Problems, notes []string) {
	if p == nil || ex == nil {
		return nil, nil
	}
	f := New(p)
	for _, fl := range f.Fields {
		if fl.Kind != KindBBox && fl.Kind != KindGeoJSON && fl.AOI != AOIBBoxString {
			continue
		}
		raw, ok := ex.Inputs[fl.ID]
		if !ok || string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue // not JSON: Validate says so
		}
		// A bounding box is itself an array: an array is its list of values only when
		// it holds objects (qualified values or {"bbox": …}).
		list := func(arr []any) bool {
			if !fl.Many() || fl.Kind != KindBBox {
				return fl.Many()
			}
			if len(arr) == 0 {
				return false
			}
			_, isObj := arr[0].(map[string]any)
			return isObj
		}
		for _, o := range occurrences(v, list) {
			e, ok := inlineValue(o.value)
			if !ok {
				continue
			}
			note, err := checkArea(fl, e)
			if err != nil {
				probs = append(probs, Problem{Input: fl.ID, Row: o.row, Msg: err.Error()})
			}
			if note != "" {
				notes = append(notes, fl.ID+": "+note)
			}
		}
	}
	return probs, notes
}

// checkArea checks one in-line value of an area input.
func checkArea(fl Field, v any) (string, error) {
	switch fl.Kind {
	case KindBBox:
		m, ok := v.(map[string]any)
		if !ok {
			return "", nil // the schema check says what it should be
		}
		arr, _ := m["bbox"].([]any)
		crs, _ := m["crs"].(string)
		coords := make([]float64, 0, len(arr))
		for _, x := range arr {
			f, ok := x.(float64)
			if !ok {
				return "", nil
			}
			coords = append(coords, f)
		}
		return geocheck.BBox(coords, crs)
	case KindGeoJSON:
		b, err := json.Marshal(v)
		if err != nil {
			return "", nil
		}
		if s, ok := v.(string); ok { // GeoJSON sent as a JSON string
			b = []byte(s)
		}
		if _, ok := v.(map[string]any); !ok && !json.Valid(b) {
			return "", nil
		}
		return "", geocheck.GeoJSON(b)
	}
	s, ok := v.(string)
	if !ok {
		return "", nil
	}
	coords, err := parseCoords(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	return geocheck.BBox(coords, "")
}
