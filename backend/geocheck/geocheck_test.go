package geocheck

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGeoJSON(t *testing.T) {
	cases := []struct {
		name, geojson, want string // want "" for valid; else a part of the message
	}{
		{"square", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}`, ""},
		{"square with hole", `{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}`, ""},
		{"repeated corner", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,0],[1,1],[0,1],[0,0]]]}`, ""},
		{"bow-tie", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`,
			"the outer ring crosses itself at (0.5, 0.5): edge 1 ((0, 0) → (1, 1)) meets edge 3 ((1, 0) → (0, 1))"},
		{"not closed", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`,
			"the outer ring is not closed: it ends at (0, 1), not at its first position (0, 0)"},
		{"too few", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, "the outer ring has 3 positions: a ring needs at least 4"},
		{"flat", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[2,0],[0,0]]]}`, "has no area"},
		{"hole outside", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[5,5],[6,5],[6,6],[5,6],[5,5]]]}`, "hole 1 lies outside the outer ring"},
		{"hole crossing", `{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2],[0,0]],[[1,1],[3,1],[3,1.5],[1,1.5],[1,1]]]}`, "the outer ring and hole 1 meet at (2, 1)"},
		{"multipolygon second bad", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[5,5],[6,6],[6,5],[5,6],[5,5]]]]}`, "polygon 2, the outer ring crosses itself"},
		{"latitude", `{"type":"Point","coordinates":[10,95]}`, "latitude 95 is outside -90…90"},
		{"line one point", `{"type":"LineString","coordinates":[[1,1],[1,1]]}`, "at least 2 distinct positions"},
		{"feature", `{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}`, "crosses itself"},
		{"collection", `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]}},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}]}`, "feature 2: the outer ring has 3 positions"},
		{"bad coordinates", `{"type":"Polygon","coordinates":[[["a",0]]]}`, "malformed coordinates"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := GeoJSON(json.RawMessage(c.geojson))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("valid geometry refused: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("invalid geometry accepted, want %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// A ring of many vertices is checked quickly (the sweep), and a crossing far along it is found.
func TestCheckGeoJSONLargeRing(t *testing.T) {
	const n = 20000
	ring := make([][2]float64, 0, n+1)
	for i := range n {
		ring = append(ring, [2]float64{float64(i) * 1e-3, 0})
	}
	ring = append(ring, [2]float64{float64(n) * 1e-3, 1}, [2]float64{0, 1}, [2]float64{0, 0})
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
	if err := GeoJSON(b); err != nil {
		t.Fatalf("long valid ring: %v", err)
	}
	ring[n/2] = [2]float64{float64(n/2) * 1e-3, 2} // a spike through the top edge
	b, _ = json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
	if err := GeoJSON(b); err == nil || !strings.Contains(err.Error(), "crosses itself") {
		t.Fatalf("spike: %v", err)
	}
}

func TestBBox(t *testing.T) {
	cases := []struct {
		coords          []float64
		crs, want, note string
	}{
		{[]float64{5.9, 45.8, 10.5, 47.8}, "", "", ""},
		{[]float64{10.5, 47.8, 5.9, 45.8}, "", "the minimum latitude 47.8 is above the maximum latitude 45.8", ""},
		{[]float64{5, 91, 6, 92}, "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "latitude 91 is outside -90…90", ""},
		{[]float64{5, -95, 6, 10}, "", "latitude -95 is outside -90…90", ""},
		{[]float64{170, -10, -170, 10}, "", "", "crossing the antimeridian (180°), 20° wide"},
		{[]float64{1, 2, 3}, "", "4 or 6 numbers", ""},
		{[]float64{500000, 5000000, 400000, 5100000}, "http://www.opengis.net/def/crs/EPSG/0/32632", "the minimum of axis 1 (500000) is above its maximum (400000)", ""},
	}
	for _, c := range cases {
		note, err := BBox(c.coords, c.crs)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: error %v, want %q", c.coords, err, c.want)
		}
		if c.note == "" && note != "" || !strings.Contains(note, c.note) {
			t.Errorf("%v: note %q, want %q", c.coords, note, c.note)
		}
	}
}
