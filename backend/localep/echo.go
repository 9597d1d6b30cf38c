package localep

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// echoInputs are the inputs of echo, one of each kind an execute request can carry,
// named as in the OGC test suite's echo process; each xInput comes back as xOutput.
var echoInputs = []struct {
	id, title, desc string
	schema          string
	maxOccurs       ogcapi.MaxOccurs
	mediaType       string // of the raw encoding of the output
	encoding        string
}{
	{"stringInput", "A string", "Any text; returned as text/plain.", `{"type":"string"}`, 0, "", ""},
	{"enumInput", "A choice", "One of three values.", `{"type":"string","enum":["Value1","Value2","Value3"],"default":"Value1"}`, 0, "", ""},
	{"numberInput", "A number", "A floating-point number between -1e9 and 1e9.", `{"type":"number","format":"double","minimum":-1000000000,"maximum":1000000000}`, 0, "", ""},
	{"integerInput", "An integer", "An integer between 0 and 1000.", `{"type":"integer","minimum":0,"maximum":1000}`, 0, "", ""},
	{"booleanInput", "A boolean", "true or false.", `{"type":"boolean"}`, 0, "", ""},
	{"dateTimeInput", "A date and time", "An RFC 3339 date-time.", `{"type":"string","format":"date-time"}`, 0, "", ""},
	{"arrayInput", "An array", "One array of 2 to 10 integers (a single value whose schema is an array).", `{"type":"array","minItems":2,"maxItems":10,"items":{"type":"integer"}}`, 0, "", ""},
	{"multiStringInput", "Several strings", "One to five strings (maxOccurs 5: send a JSON array).", `{"type":"string"}`, 5, "", ""},
	{"objectInput", "An object", `An object with a string "name" and an optional number "weight"; send it as {"value": {...}}.`, `{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"weight":{"type":"number"}}}`, 0, "", ""},
	{"boundingBoxInput", "A bounding box", "An OGC bounding box (4 or 6 numbers, default CRS CRS84).", `{"allOf":[{"format":"ogc-bbox"},` + bboxSchema + `]}`, 0, "", ""},
	{"geometryInput", "A GeoJSON geometry", `A GeoJSON geometry; send it as {"value": {...}, "mediaType": "application/geo+json"}.`, `{"allOf":[{"format":"geojson-geometry"},{"type":"object","required":["type"],"properties":{"type":{"type":"string","enum":["Point","MultiPoint","LineString","MultiLineString","Polygon","MultiPolygon","GeometryCollection"]},"coordinates":{"type":"array"},"geometries":{"type":"array"}}}]}`, 0, "application/geo+json", ""},
	{"binaryInput", "Binary data", "Base64-encoded bytes (a PNG image, say); the raw result is the decoded bytes.", `{"type":"string","contentEncoding":"base64","contentMediaType":"image/png"}`, 0, "image/png", "base64"},
	{"hrefInput", "A URI", "A URI, given as a string value.", `{"type":"string","format":"uri"}`, 0, "", ""},
}

// bboxSchema is bbox.yaml of Part 1, in-line (the standard's $ref points to the web).
const bboxSchema = `{"type":"object","required":["bbox"],"properties":{"bbox":{"type":"array","oneOf":[{"minItems":4,"maxItems":4},{"minItems":6,"maxItems":6}],"items":{"type":"number"}},"crs":{"type":"string","format":"uri","default":"http://www.opengis.net/def/crs/OGC/1.3/CRS84","enum":["http://www.opengis.net/def/crs/OGC/1.3/CRS84","http://www.opengis.net/def/crs/OGC/0/CRS84h"]}}}`

func echoProcess() *process {
	d := ogcapi.Process{
		ProcessSummary: ogcapi.ProcessSummary{
			ID: "echo", Version: "1.0.0",
			DescriptionType: ogcapi.DescriptionType{
				Title: "Echo",
				Description: "Returns every input it is given as the output of the same name with Input replaced by Output " +
					"(stringInput → stringOutput), for every kind of input: literals, enums, arrays, objects, bounding boxes, " +
					"GeoJSON geometries, base64 binary data and references (href). The optional pause input (seconds) delays the answer.",
				Keywords: []string{"echo", "test", "demo"},
			},
			JobControlOptions:  []string{ogcapi.SyncExecute, ogcapi.AsyncExecute, ogcapi.Dismiss},
			OutputTransmission: []string{ogcapi.TransmissionValue, ogcapi.TransmissionReference},
		},
		Inputs:  map[string]ogcapi.InputDescription{},
		Outputs: map[string]ogcapi.OutputDescription{},
	}
	for _, in := range echoInputs {
		d.Inputs[in.id] = ogcapi.InputDescription{
			DescriptionType: ogcapi.DescriptionType{Title: in.title, Description: in.desc},
			MinOccurs:       intp(0), MaxOccurs: in.maxOccurs, Schema: raw(in.schema),
		}
		d.Outputs[echoOutputID(in.id)] = ogcapi.OutputDescription{
			DescriptionType: ogcapi.DescriptionType{Title: "Echo of " + in.id, Description: "The value given for " + in.id + "."},
			Schema:          raw(in.schema),
		}
	}
	d.Inputs["pause"] = ogcapi.InputDescription{
		DescriptionType: ogcapi.DescriptionType{Title: "Pause", Description: "Seconds to wait before answering (keeps a job running for tests)."},
		MinOccurs:       intp(0),
		Schema:          raw(`{"type":"number","minimum":0,"maximum":60,"default":0}`),
	}
	return &process{desc: d, builtin: true, acceptsRefs: true, run: runEcho}
}

func echoOutputID(in string) string { return strings.TrimSuffix(in, "Input") + "Output" }

func runEcho(ctx context.Context, rc *runContext, inputs map[string]json.RawMessage) (map[string]outputValue, error) {
	var pause float64
	if p, ok := inputs["pause"]; ok {
		_ = json.Unmarshal(p, &pause) // validated: a number in 0..60
	}
	if pause > 0 {
		rc.Progress(0, "pausing")
		t := time.NewTimer(time.Duration(pause * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	out := map[string]outputValue{}
	for _, in := range echoInputs {
		v, ok := inputs[in.id]
		if !ok {
			continue
		}
		out[echoOutputID(in.id)] = outputValue{Doc: wrapObject(v), MediaType: in.mediaType, Encoding: in.encoding}
	}
	return out, nil
}

// wrapObject wraps a bare object (not a bbox, link or qualified value) in {"value": …},
// as results documents require.
func wrapObject(v json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(v, &m) != nil {
		return v
	}
	for _, k := range []string{"value", "href", "bbox"} {
		if _, ok := m[k]; ok {
			return v
		}
	}
	b, _ := json.Marshal(map[string]json.RawMessage{"value": v})
	return b
}
