package forms

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// EncodingNotes tells where an execute request departs from the encoding OGC API –
// Processes 1.0 gives input values, without refusing it: `geojobs run` sends a request
// file as written (some servers, pygeoapi among them, hand input values to the process
// as they come), but the person should know what a server following the standard may
// read differently:
//   - an object-valued input not wrapped as {"value": …}
//     (/req/core/process-execute-input-inline-object: a bare object reads as a bounding
//     box, a link or a qualified value);
//   - one value of an input that takes several not sent as a JSON array
//     (/req/core/process-execute-input-array).
func EncodingNotes(p *ogcapi.Process, ex *ogcapi.Execute) []string {
	if p == nil || ex == nil {
		return nil
	}
	var notes []string
	for _, id := range slices.Sorted(maps.Keys(ex.Inputs)) {
		d, ok := p.Inputs[id]
		if !ok {
			continue
		}
		var v any
		if json.Unmarshal(ex.Inputs[id], &v) != nil || v == nil {
			continue
		}
		values := []any{v}
		if d.MaxOccurs.Many() && !isArraySchema(d.Schema) {
			list, isList := v.([]any)
			if !isList {
				notes = append(notes, fmt.Sprintf("input %s takes several values (maxOccurs %s): the standard sends them as a JSON array, even one; sent as written",
					strconv.Quote(id), maxOccursText(d.MaxOccurs)))
			} else {
				values = list
			}
		}
		if s := parseSchema(d.Schema); s.Type == "object" && !s.isBBox() {
			for _, v := range values {
				if bareObject(v) {
					notes = append(notes, fmt.Sprintf(`input %s is an object: the standard sends it as {"value": {…}}; sent as written`, strconv.Quote(id)))
					break
				}
			}
		}
	}
	return notes
}

// bareObject: an object that is not a qualified value, a link or a bounding box.
func bareObject(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, k := range []string{"value", "href", "bbox"} {
		if _, ok := m[k]; ok {
			return false
		}
	}
	return true
}

func maxOccursText(m ogcapi.MaxOccurs) string {
	if m.N() == ogcapi.Unbounded {
		return "unbounded"
	}
	return strconv.Itoa(m.N())
}
