package geocheck

import (
	"encoding/json"
	"testing"
)

func TestBounds(t *testing.T) {
	for _, c := range []struct {
		g    string
		want [4]float64
		ok   bool
	}{
		{`{"type":"Point","coordinates":[8.5,47.3]}`, [4]float64{8.5, 47.3, 8.5, 47.3}, true},
		{`{"type":"Polygon","coordinates":[[[1,2],[3,2],[3,5],[1,5],[1,2]]]}`, [4]float64{1, 2, 3, 5}, true},
		{`{"type":"MultiPoint","coordinates":[[-10,-20,100],[500000,6000000]]}`, [4]float64{-10, -20, 500000, 6000000}, true},
		{`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,1]},` +
			`{"type":"GeometryCollection","geometries":[{"type":"LineString","coordinates":[[-4,0],[2,9]]}]}]}`, [4]float64{-4, 0, 2, 9}, true},
		{`{"type":"Polygon","coordinates":[]}`, [4]float64{}, false},
		{`{"type":"Point"}`, [4]float64{}, false},
		{`not json`, [4]float64{}, false},
	} {
		got, ok := Bounds(json.RawMessage(c.g))
		if got != c.want || ok != c.ok {
			t.Errorf("Bounds(%s) = %v, %v; want %v, %v", c.g, got, ok, c.want, c.ok)
		}
	}
}
