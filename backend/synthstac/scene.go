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

// noiseGrid adds weight × value noise at (lon/scale, lat/scale) to dst (row by row over
// lats × lons): smooth noise in 0..1 with one lattice point per unit, the corner hashes
// blended with smoothstep weights. The corner hashes are shared by the pixels of a lattice cell, which is
// what makes a tile quick to compute.
func noiseGrid(dst, lons, lats []float64, scale float64, seed uint64, weight float64) {
	w := len(lons)
	ix := make([]int64, w)
	tx := make([]float64, w)
	for c, lon := range lons {
		x := lon / scale
		fx := math.Floor(x)
		ix[c], tx[c] = int64(fx), x-fx
		tx[c] = tx[c] * tx[c] * (3 - 2*tx[c])
	}
	for r, lat := range lats {
		y := lat / scale
		fy := math.Floor(y)
		iy, ty := int64(fy), y-fy
		ty = ty * ty * (3 - 2*ty)
		last := int64(math.MinInt64)
		var a, b, cc, d float64
		row := dst[r*w : (r+1)*w]
		for c := range row {
			if ix[c] != last {
				last = ix[c]
				a, b = hash3(last, iy, seed), hash3(last+1, iy, seed)
				cc, d = hash3(last, iy+1, seed), hash3(last+1, iy+1, seed)
			}
			t := tx[c]
			row[c] += weight * (a + (b-a)*t + (cc-a)*ty + (a-b-cc+d)*t*ty)
		}
	}
}

// landscape fills water (waterness: water below waterLevel) and, when veg is not nil,
// the vegetation density for the pixel centres lons × lats.
func landscape(water, veg, lons, lats []float64) {
	clear(water)
	noiseGrid(water, lons, lats, 0.09, 11, 0.55)
	noiseGrid(water, lons, lats, 0.025, 12, 0.3)
	noiseGrid(water, lons, lats, 0.006, 13, 0.15)
	if veg != nil {
		clear(veg)
		noiseGrid(veg, lons, lats, 0.05, 21, 0.7)
		noiseGrid(veg, lons, lats, 0.01, 22, 0.3)
	}
}

// Bands.
const (
	bandGreen = iota
	bandRed
	bandNIR
	bandTruth
)

// reflectance is a band's reflectance (0..1) for a pixel of waterness w and
// vegetation v on a date, n a speckle in -0.5..0.5; or the truth mask.
func reflectance(band int, w, v float64, date int, n float64) float64 {
	water := w < waterLevel
	if band == bandTruth {
		if water {
			return 1
		}
		return 0
	}
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
	lons, lats := make([]float64, w), make([]float64, h)
	for c := range w {
		lons[c] = float64(s.lon0) + (float64(c0+c)+0.5)*d
	}
	for r := range h {
		lats[r] = float64(s.lat0+1) - (float64(r0+r)+0.5)*d
	}
	water := make([]float64, w*h)
	var veg []float64
	if band != bandTruth {
		veg = make([]float64, w*h)
	}
	landscape(water, veg, lons, lats)
	if band == bandTruth {
		for i, x := range water {
			dst[i] = reflectance(bandTruth, x, 0, s.date, 0)
		}
		return
	}
	seed := uint64(s.date)*4 + uint64(band) + 100
	for r := range h {
		py := int64(s.lat0)*SceneSize*2 + int64(r0+r)<<level
		for c := range w {
			px := int64(s.lon0)*SceneSize*2 + int64(c0+c)<<level
			i := r*w + c
			dst[i] = math.Round(10000 * reflectance(band, water[i], veg[i], s.date, hash3(px, py, seed)-0.5))
		}
	}
}
