// Package sweep turns one execute request into many: a sweep file gives, per line, the
// inputs that change (JSON Lines of input overrides, a CSV with a header of input ids,
// or a GeoJSON FeatureCollection whose features become one AOI input each). The UI's
// batches and `geojobs run --sweep` both read sweeps here; running the members is the
// caller's business (Run does it for the command line).
package sweep

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"github.com/geojobs/geojobs/backend/geocheck"
)

// ErrInvalid: the sweep file cannot be read as any of the formats.
var ErrInvalid = errors.New("sweep: invalid sweep file")

// MaxMembers bounds a sweep; a larger one is most likely a mistake.
const MaxMembers = 100000

// Member is one job of a sweep.
type Member struct {
	// Line is where the member comes from: the line number in a JSON Lines or CSV file
	// (as an editor shows it), the 1-based feature number in a FeatureCollection.
	Line int `json:"line"`
	// Inputs are the input values that replace the base request's, in the OGC
	// encoding (objects are wrapped in {"value": …} by the writer of the file).
	Inputs map[string]json.RawMessage `json:"inputs"`
}

// Format is a sweep file format.
type Format string

const (
	JSONLines Format = "jsonl"
	CSV       Format = "csv"
	GeoJSON   Format = "geojson"
)

// Parse reads a sweep file. The format is told from the content: a FeatureCollection
// is GeoJSON (aoiInput names the input its features fill, required then); lines of
// JSON objects are JSON Lines (blank lines and lines starting with # are skipped);
// anything else is CSV. like, when not nil, shapes AOI values (see AOIValue).
func Parse(data []byte, aoiInput string, like map[string]json.RawMessage) ([]Member, Format, error) {
	trim := bytes.TrimSpace(data)
	if len(trim) == 0 {
		return nil, "", fmt.Errorf("%w: the file is empty", ErrInvalid)
	}
	if isFeatureCollection(trim) {
		if aoiInput == "" {
			return nil, GeoJSON, fmt.Errorf("%w: a FeatureCollection needs the input its features fill (--sweep-input)", ErrInvalid)
		}
		ms, err := parseGeoJSON(trim, aoiInput, like[aoiInput])
		return ms, GeoJSON, err
	}
	if firstLineIsObject(trim) {
		ms, err := parseJSONLines(data)
		return ms, JSONLines, err
	}
	ms, err := parseCSV(data)
	return ms, CSV, err
}

// firstLineIsObject: the first line that is not blank or a # comment starts with {.
func firstLineIsObject(b []byte) bool {
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		return line[0] == '{'
	}
	return false
}

func isFeatureCollection(b []byte) bool {
	var probe struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(b, &probe) == nil && probe.Type == "FeatureCollection"
}

func parseJSONLines(data []byte) ([]Member, error) {
	var out []Member
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(line, &m); err != nil || m == nil {
			return nil, fmt.Errorf("%w: line %d is not a JSON object of input values", ErrInvalid, n)
		}
		// {"inputs": {...}} is accepted too, as a line of execute requests.
		if in, ok := m["inputs"]; ok && len(m) == 1 {
			var inner map[string]json.RawMessage
			if json.Unmarshal(in, &inner) == nil && inner != nil {
				m = inner
			}
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%w: line %d overrides no input", ErrInvalid, n)
		}
		out = append(out, Member{Line: n, Inputs: m})
		if len(out) > MaxMembers {
			return nil, fmt.Errorf("%w: more than %d members", ErrInvalid, MaxMembers)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no lines", ErrInvalid)
	}
	return out, nil
}

// parseCSV reads a header of input ids and one member per row. A cell that reads as a
// JSON number, true, false, an object or an array is that value; any other cell is a
// string; an empty cell leaves the input as the base request has it.
func parseCSV(data []byte) ([]Member, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: CSV header: %v", ErrInvalid, err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if header[i] == "" {
			return nil, fmt.Errorf("%w: CSV header column %d is empty", ErrInvalid, i+1)
		}
	}
	var out []Member
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		line, _ := r.FieldPos(0)
		m := Member{Line: line, Inputs: map[string]json.RawMessage{}}
		for i, cell := range rec {
			if cell == "" {
				continue
			}
			m.Inputs[header[i]] = cellValue(cell)
		}
		if len(m.Inputs) == 0 {
			continue
		}
		out = append(out, m)
		if len(out) > MaxMembers {
			return nil, fmt.Errorf("%w: more than %d members", ErrInvalid, MaxMembers)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no rows under the CSV header", ErrInvalid)
	}
	return out, nil
}

func cellValue(cell string) json.RawMessage {
	s := strings.TrimSpace(cell)
	if _, err := strconv.ParseFloat(s, 64); err == nil && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	if s == "true" || s == "false" {
		return json.RawMessage(s)
	}
	if (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(cell)
	return b
}

func parseGeoJSON(data []byte, input string, like json.RawMessage) ([]Member, error) {
	var fc struct {
		Features []struct {
			Type     string          `json:"type"`
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(fc.Features) == 0 {
		return nil, fmt.Errorf("%w: the FeatureCollection has no features", ErrInvalid)
	}
	if len(fc.Features) > MaxMembers {
		return nil, fmt.Errorf("%w: more than %d features", ErrInvalid, MaxMembers)
	}
	out := make([]Member, 0, len(fc.Features))
	for i, f := range fc.Features {
		if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
			return nil, fmt.Errorf("%w: feature %d has no geometry", ErrInvalid, i+1)
		}
		v, err := AOIValue(f.Geometry, like)
		if err != nil {
			return nil, fmt.Errorf("%w: feature %d: %v", ErrInvalid, i+1, err)
		}
		out = append(out, Member{Line: i + 1, Inputs: map[string]json.RawMessage{input: v}})
	}
	return out, nil
}

// AOIValue is the input value of an area of interest given as a GeoJSON geometry,
// shaped like the base request's value of that input: an OGC bounding box
// ({"bbox": […], "crs": …}) when that is what the base has, the geometry wrapped as
// {"value": …, "mediaType": …} when the base wraps its value so, else the geometry.
func AOIValue(geometry, like json.RawMessage) (json.RawMessage, error) {
	var base map[string]json.RawMessage
	_ = json.Unmarshal(like, &base)
	if base["value"] != nil {
		out := maps.Clone(base)
		out["value"] = geometry
		return json.Marshal(out)
	}
	if base["bbox"] != nil {
		box, ok := geocheck.Bounds(geometry)
		if !ok {
			return nil, fmt.Errorf("the geometry has no coordinates")
		}
		out := maps.Clone(base)
		out["bbox"], _ = json.Marshal(box)
		return json.Marshal(out)
	}
	return geometry, nil
}

// Apply returns base's inputs with m's overrides.
func Apply(base map[string]json.RawMessage, m Member) map[string]json.RawMessage {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]json.RawMessage{}
	}
	maps.Copy(out, m.Inputs)
	return out
}
