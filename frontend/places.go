package frontend

import (
	"encoding/json"
	"math"
	"sync"
)

// gazetteer is the map component's offline list of large cities (static/map/places.json:
// [name, country code, lon, lat], largest first), read once.
var gazetteer = sync.OnceValue(func() [][4]any {
	b, err := staticFS.ReadFile("static/map/places.json")
	if err != nil {
		return nil
	}
	var out [][4]any
	_ = json.Unmarshal(b, &out)
	return out
})

// nearKm is how far a place may be from a point to name it.
const nearKm = 150

// PlaceNear names the largest city of the offline gazetteer within 150 km of lon, lat
// ("Zürich, CH"), or "" when there is none. The list is largest first, so among the
// cities near enough the first one found is the largest.
func PlaceNear(lon, lat float64) string {
	const rad = math.Pi / 180
	for _, p := range gazetteer() {
		name, _ := p[0].(string)
		cc, _ := p[1].(string)
		plon, ok1 := p[2].(float64)
		plat, ok2 := p[3].(float64)
		if !ok1 || !ok2 || name == "" {
			continue
		}
		// Equirectangular distance: exact enough at 150 km.
		dx := (plon - lon) * math.Cos((plat+lat)/2*rad)
		if dx > 180 {
			dx -= 360
		}
		dy := plat - lat
		if math.Hypot(dx, dy)*111.2 <= nearKm {
			return name + ", " + cc
		}
	}
	return ""
}
