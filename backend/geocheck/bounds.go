package geocheck

import (
	"encoding/json"
	"math"
)

// Bounds is the box (minx, miny, maxx, maxy) of the positions of a GeoJSON geometry,
// a GeometryCollection's members included; ok is false when it has none (or g is not
// JSON). It reads positions only, so it takes any CRS and geometries it would refuse.
func Bounds(g json.RawMessage) (box [4]float64, ok bool) {
	var v any
	if json.Unmarshal(g, &v) != nil {
		return box, false
	}
	return BoundsOf(v)
}

// BoundsOf is Bounds of a geometry that encoding/json decoded into an any.
func BoundsOf(g any) (box [4]float64, ok bool) {
	box = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	var positions func(v any)
	positions = func(v any) {
		arr, _ := v.([]any)
		if len(arr) >= 2 {
			x, okx := arr[0].(float64)
			y, oky := arr[1].(float64)
			if okx && oky {
				box = [4]float64{min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)}
				return
			}
		}
		for _, e := range arr {
			positions(e)
		}
	}
	var geometry func(v any)
	geometry = func(v any) {
		m, _ := v.(map[string]any)
		positions(m["coordinates"])
		members, _ := m["geometries"].([]any)
		for _, sub := range members {
			geometry(sub)
		}
	}
	geometry(g)
	if box[0] > box[2] || box[1] > box[3] {
		return [4]float64{}, false
	}
	return box, true
}
