// Package synthstac is a small STAC API of synthetic Sentinel-2-like scenes over the
// whole world (collection synthetic-s2), served by the built-in endpoint at
// <endpoint>/stac/ so that search → process → results works offline.
//
// Every item is a 1°×1° cell on a date (every 5 days in 2024–2025) with four assets:
// green, red and nir surface reflectance (UInt16, scale 0.0001, 10980×10980 pixels in
// EPSG:4326, tiled Cloud-Optimized GeoTIFFs with overviews) and truth, the water mask
// (UInt8, 1 water, 0 land) the reflectances were made from. Nothing is stored: the
// landscape is a deterministic function of longitude and latitude, and the bytes of a
// COG are computed for the ranges asked (cog.Virtual). It is a test fixture and a
// demo, not a model of real reflectances.
package synthstac

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// SceneSize is the width and height of a scene in pixels (a Sentinel-2 tile at 10 m).
const SceneSize = 10980

// Dates: every 5 days from 2024-01-01 to 2025-12-27 (146 dates), at 10:30 UTC.
var (
	firstDate = time.Date(2024, 1, 1, 10, 30, 0, 0, time.UTC)
	dateStep  = 5 * 24 * time.Hour
	numDates  = 146
)

func dateAt(i int) time.Time { return firstDate.Add(time.Duration(i) * dateStep) }

// cell is a 1°×1° cell: lon0 ∈ [-180, 179], lat0 ∈ [-90, 89] (its south-west corner).
type cell struct{ lon0, lat0 int }

func (c cell) name() string {
	ns, ew := 'N', 'E'
	lat, lon := c.lat0, c.lon0
	if lat < 0 {
		ns, lat = 'S', -lat
	}
	if lon < 0 {
		ew, lon = 'W', -lon
	}
	return fmt.Sprintf("%c%02d%c%03d", ns, lat, ew, lon)
}

// scene is a cell on a date.
type scene struct {
	cell
	date int
}

// ID is the item id: S2SYN_N45E006_20240105.
func (s scene) ID() string { return "S2SYN_" + s.name() + "_" + dateAt(s.date).Format("20060102") }

func parseID(id string) (scene, bool) {
	parts := strings.Split(id, "_")
	if len(parts) != 3 || parts[0] != "S2SYN" || len(parts[1]) != 7 {
		return scene{}, false
	}
	c := parts[1]
	ns, ew, day := c[0], c[3], parts[2]
	lat, err1 := strconv.Atoi(c[1:3])
	lon, err2 := strconv.Atoi(c[4:7])
	if err1 != nil || err2 != nil {
		return scene{}, false
	}
	if ns == 'S' {
		lat = -lat
	} else if ns != 'N' {
		return scene{}, false
	}
	if ew == 'W' {
		lon = -lon
	} else if ew != 'E' {
		return scene{}, false
	}
	t, err := time.Parse("20060102", day)
	if err != nil || lat < -90 || lat > 89 || lon < -180 || lon > 179 {
		return scene{}, false
	}
	d := t.Add(10*time.Hour + 30*time.Minute).Sub(firstDate)
	if d < 0 || d%dateStep != 0 || int(d/dateStep) >= numDates {
		return scene{}, false
	}
	s := scene{cell: cell{lon0: lon, lat0: lat}, date: int(d / dateStep)}
	if s.ID() != id {
		return scene{}, false
	}
	return s, true
}

// The landscape. Water is where a sum of three octaves of value noise in degrees is
// low; a second noise field is the vegetation density of the land.
const waterLevel = 0.36

func hash3(x, y int64, seed uint64) float64 {
	h := uint64(x)*0x9e3779b97f4a7c15 ^ uint64(y)*0xc2b2ae3d27d4eb4f ^ seed
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	h *= 0x94d049bb133111eb
	h ^= h >> 32
	return float64(h>>11) / (1 << 53)
}

// valueNoise is smooth noise in 0..1 with one lattice point per unit.
func valueNoise(x, y float64, seed uint64) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int64(fx), int64(fy)
	tx, ty := x-fx, y-fy
	tx, ty = tx*tx*(3-2*tx), ty*ty*(3-2*ty)
	a := hash3(ix, iy, seed)
	b := hash3(ix+1, iy, seed)
	c := hash3(ix, iy+1, seed)
	d := hash3(ix+1, iy+1, seed)
	return a + (b-a)*tx + (c-a)*ty + (a-b-c+d)*tx*ty
}

// waterness is low on water: below waterLevel.
func waterness(lon, lat float64) float64 {
	return 0.55*valueNoise(lon/0.09, lat/0.09, 11) +
		0.3*valueNoise(lon/0.025, lat/0.025, 12) +
		0.15*valueNoise(lon/0.006, lat/0.006, 13)
}

func vegetation(lon, lat float64) float64 {
	return 0.7*valueNoise(lon/0.05, lat/0.05, 21) + 0.3*valueNoise(lon/0.01, lat/0.01, 22)
}

// Bands.
const (
	bandGreen = iota
	bandRed
	bandNIR
	bandTruth
)

// reflectance is a band's reflectance (0..1) at a point on a date, or the truth mask.
func reflectance(band int, lon, lat float64, date int, px, py int64) float64 {
	w := waterness(lon, lat)
	water := w < waterLevel
	if band == bandTruth {
		if water {
			return 1
		}
		return 0
	}
	n := hash3(px, py, uint64(date)*4+uint64(band)+100) - 0.5 // speckle, per date
	if water {
		depth := math.Min((waterLevel-w)/0.1, 1) // shallow water is brighter
		switch band {
		case bandGreen:
			return 0.055 + 0.02*(1-depth) + 0.006*n
		case bandRed:
			return 0.03 + 0.015*(1-depth) + 0.005*n
		default:
			return 0.012 + 0.02*(1-depth) + 0.004*n
		}
	}
	v := vegetation(lon, lat)
	season := 0.05 * math.Sin(2*math.Pi*float64(date)/73) // a yearly cycle of 73 dates
	switch band {
	case bandGreen:
		return 0.07 + 0.04*(1-v) + 0.01*n
	case bandRed:
		return 0.05 + 0.1*(1-v) + 0.01*n
	default:
		return 0.18 + 0.22*v + season*v + 0.02*n
	}
}

// pixels fills dst with band values (reflectance × 10000, or the mask) for the window
// (c0, r0, w, h) of overview level of scene s.
func (s scene) pixels(band, level, c0, r0, w, h int, dst []float64) {
	levelW := SceneSize
	for range level {
		levelW = (levelW + 1) / 2
	}
	d := 1.0 / float64(levelW) // degrees per pixel at this level
	scale := 10000.0
	if band == bandTruth {
		scale = 1
	}
	lats := make([]float64, h)
	for r := range h {
		lats[r] = float64(s.lat0+1) - (float64(r0+r)+0.5)*d
	}
	for c := range w {
		lon := float64(s.lon0) + (float64(c0+c)+0.5)*d
		px := int64(s.lon0)*SceneSize*2 + int64(c0+c)<<level
		for r := range h {
			py := int64(s.lat0)*SceneSize*2 + int64(r0+r)<<level
			dst[r*w+c] = math.Round(scale * reflectance(band, lon, lats[r], s.date, px, py))
		}
	}
}
