package jobspage

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/geocheck"
	"github.com/geojobs/geojobs/backend/store"
)

// RowInfo is what a list row shows beside its job: the time, and the endpoints' titles
// by id (a removed endpoint shows its id).
type RowInfo struct {
	Now       time.Time
	Endpoints map[string]string
}

// NewRowInfo is the row information of a list of endpoints.
func NewRowInfo(now time.Time, eps []store.Endpoint) RowInfo {
	m := make(map[string]string, len(eps))
	for _, e := range eps {
		if e.Title != "" {
			m[e.ID] = e.Title
		}
	}
	return RowInfo{Now: now, Endpoints: m}
}

func (i RowInfo) endpoint(id string) string {
	if t, ok := i.Endpoints[id]; ok {
		return t
	}
	return id
}

// maxSummaryInputs is how many inputs a row names besides the area.
const maxSummaryInputs = 3

// inputSummary says in a few words what distinguishes a run: the size and place of
// its area of interest, then its first literal inputs ("seed=3 · size=512"). It reads
// the request the list has (small requests only) and the stored AOI.
func inputSummary(j store.Job) string {
	var parts []string
	req := j.Request
	if len(req) == 0 {
		req = j.RequestHead
	}
	var ex struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	_ = json.Unmarshal(req, &ex)
	ids := slices.Sorted(maps.Keys(ex.Inputs))
	aoi := j.AOI
	for _, id := range ids {
		if len(aoi) > 0 {
			break
		}
		aoi = bboxGeometry(ex.Inputs[id]) // a job submitted elsewhere: its first bbox input
	}
	if a := aoiSummary(aoi); a != "" {
		parts = append(parts, a)
	}
	{
		n := 0
		for _, id := range ids {
			v, ok := literal(ex.Inputs[id])
			if !ok {
				continue
			}
			if n == maxSummaryInputs {
				parts = append(parts, "…")
				break
			}
			parts = append(parts, clip(id, 24)+"="+v)
			n++
		}
	}
	return strings.Join(parts, " · ")
}

// bboxGeometry is a polygon of an OGC bbox value ({"bbox": [4 or 6 numbers]}), or nil.
func bboxGeometry(raw json.RawMessage) json.RawMessage {
	var b struct {
		BBox []float64 `json:"bbox"`
	}
	if json.Unmarshal(raw, &b) != nil || (len(b.BBox) != 4 && len(b.BBox) != 6) {
		return nil
	}
	c := b.BBox
	if len(c) == 6 {
		c = []float64{c[0], c[1], c[3], c[4]}
	}
	if c[0] > c[2] {
		c[2] += 360
	}
	g, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{c[0], c[1]}, {c[2], c[1]}, {c[2], c[3]}, {c[0], c[3]}, {c[0], c[1]}}}})
	return g
}

// literal is a short text of a literal input value (a qualified one's value); areas,
// objects, files and links are left to the AOI and the job page.
func literal(raw json.RawMessage) (string, bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	if m, ok := v.(map[string]any); ok {
		inner, ok := m["value"]
		if !ok {
			return "", false
		}
		v = inner
	}
	switch x := v.(type) {
	case string:
		if len(x) > 200 { // base64 and the like: nothing to read in a list
			return "", false
		}
		return clip(x, 24), true
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// aoiSummary is "AOI 7,800 km² at 46.8°N 8.2°E" for a GeoJSON geometry: the area of its
// bounding box, and its centre (a place name when the gazetteer knows one nearby).
func aoiSummary(raw json.RawMessage) string {
	b, ok := geocheck.Bounds(raw)
	if !ok {
		return ""
	}
	const r = 6371.0088
	rad := math.Pi / 180
	km2 := r * r * (b[2] - b[0]) * rad * math.Abs(math.Sin(b[3]*rad)-math.Sin(b[1]*rad))
	lon, lat := (b[0]+b[2])/2, (b[1]+b[3])/2
	if lon > 180 {
		lon -= 360
	}
	where := PlaceNear(lon, lat)
	if where == "" {
		where = "at " + latLon(lat, lon)
	} else {
		where = "near " + where
	}
	return "AOI " + areaText(km2) + " " + where
}

func areaText(km2 float64) string {
	switch {
	case km2 < 1:
		return strconv.FormatFloat(km2, 'f', 2, 64) + " km²"
	case km2 < 100:
		return strconv.FormatFloat(km2, 'f', 1, 64) + " km²"
	}
	s := strconv.FormatInt(int64(math.Round(km2)), 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out) + " km²"
}

func latLon(lat, lon float64) string {
	ns, ew := "N", "E"
	if lat < 0 {
		ns, lat = "S", -lat
	}
	if lon < 0 {
		ew, lon = "W", -lon
	}
	return fmt.Sprintf("%.1f°%s %.1f°%s", lat, ns, lon, ew)
}
