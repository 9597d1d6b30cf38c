// Package mapdata makes the GeoJSON the pages' maps draw: titled footprints of
// items, batch members and the like. It is not a GeoJSON library: geometries pass
// through as they are (backend/geocheck checks them).
package mapdata

import "encoding/json"

// A Footprint is an area with its title. ID is the feature's id: a string or a number.
type Footprint struct {
	ID       any
	Title    string
	Geometry json.RawMessage
}

// FeatureCollection is the footprints that have a geometry as a GeoJSON
// FeatureCollection, each feature's properties holding its title.
func FeatureCollection(fs []Footprint) json.RawMessage {
	type feature struct {
		Type       string            `json:"type"`
		ID         any               `json:"id"`
		Geometry   json.RawMessage   `json:"geometry"`
		Properties map[string]string `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, f := range fs {
		if len(f.Geometry) > 0 {
			fc.Features = append(fc.Features, feature{"Feature", f.ID, f.Geometry, map[string]string{"title": f.Title}})
		}
	}
	b, _ := json.Marshal(fc) // a RawMessage that is not JSON fails here: Geometry must be JSON
	return b
}
