// Package waterbodies is a Go implementation of what the EOAP water-bodies
// application package does: for each STAC item, crop the green and near-infrared
// bands to an area of interest, compute the normalized difference (NDWI), threshold it
// with Otsu's method, and write the water mask as a COG with a STAC catalog of the
// results. It takes the EOAP inputs (aoi "minx,miny,maxx,maxy", epsg "EPSG:4326",
// bands ["green", "nir"], item URLs) and reads the bands by HTTP range requests for
// the AOI window only (package cog).
//
// The built-in endpoint's process water-bodies, the geojobs raster subcommands and the
// CWL package cwl/water-bodies.cwl all run this code.
package waterbodies

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseAOI reads "minx,miny,maxx,maxy".
func ParseAOI(s string) ([4]float64, error) {
	var bb [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return bb, fmt.Errorf("aoi %q: expected minx,miny,maxx,maxy", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return bb, fmt.Errorf("aoi %q: %q is not a number", s, p)
		}
		bb[i] = v
	}
	if bb[0] >= bb[2] || bb[1] >= bb[3] {
		return bb, fmt.Errorf("aoi %q: the minimum must be below the maximum on both axes", s)
	}
	return bb, nil
}

// ParseEPSG reads "EPSG:4326" (or "4326", or an OGC CRS URI ending in the code).
func ParseEPSG(s string) (int, error) {
	t := strings.TrimSpace(s)
	if i := strings.LastIndexAny(t, ":/"); i >= 0 {
		t = t[i+1:]
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("epsg %q: expected EPSG:<code>", s)
	}
	return n, nil
}

// toCRS returns the bounds in CRS to of a box given in CRS from (EPSG codes). It knows
// EPSG:4326 and the WGS 84 UTM zones (326xx north, 327xx south), which is what
// Sentinel-2 and Landsat COGs use; the box's edges are sampled so that the result
// covers the whole projected box.
func toCRS(bb [4]float64, from, to int) ([4]float64, error) {
	if from == to {
		return bb, nil
	}
	if from != 4326 {
		return bb, fmt.Errorf("an AOI in EPSG:%d cannot be used here (use EPSG:4326)", from)
	}
	zone, south, ok := utmZone(to)
	if !ok {
		return bb, fmt.Errorf("the data is in EPSG:%d; only EPSG:4326 and the WGS 84 UTM zones are supported", to)
	}
	out := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	const n = 16
	for i := 0; i <= n; i++ {
		f := float64(i) / n
		for _, p := range [][2]float64{
			{bb[0] + f*(bb[2]-bb[0]), bb[1]}, {bb[0] + f*(bb[2]-bb[0]), bb[3]},
			{bb[0], bb[1] + f*(bb[3]-bb[1])}, {bb[2], bb[1] + f*(bb[3]-bb[1])},
		} {
			x, y := utmForward(p[0], p[1], zone, south)
			out = [4]float64{math.Min(out[0], x), math.Min(out[1], y), math.Max(out[2], x), math.Max(out[3], y)}
		}
	}
	return out, nil
}

func utmZone(epsg int) (zone int, south, ok bool) {
	switch {
	case epsg > 32600 && epsg <= 32660:
		return epsg - 32600, false, true
	case epsg > 32700 && epsg <= 32760:
		return epsg - 32700, true, true
	}
	return 0, false, false
}

// utmForward projects WGS 84 longitude/latitude to UTM easting/northing (the
// Krüger series to the third order, millimetre-accurate within a zone).
func utmForward(lon, lat float64, zone int, south bool) (x, y float64) {
	const (
		a  = 6378137.0
		f  = 1 / 298.257223563
		k0 = 0.9996
	)
	n := f / (2 - f)
	A := a / (1 + n) * (1 + n*n/4 + n*n*n*n/64)
	alpha := [3]float64{n/2 - 2*n*n/3 + 5*n*n*n/16, 13*n*n/48 - 3*n*n*n/5, 61 * n * n * n / 240}
	lon0 := float64(zone*6-183) * math.Pi / 180
	phi, lam := lat*math.Pi/180, lon*math.Pi/180-lon0
	e := math.Sqrt(f * (2 - f))
	t := math.Sinh(math.Atanh(math.Sin(phi)) - e*math.Atanh(e*math.Sin(phi)))
	xi := math.Atan2(t, math.Cos(lam))
	eta := math.Atanh(math.Sin(lam) / math.Sqrt(1+t*t))
	E, N := eta, xi
	for j := 1; j <= 3; j++ {
		fj := float64(2 * j)
		E += alpha[j-1] * math.Cos(fj*xi) * math.Sinh(fj*eta)
		N += alpha[j-1] * math.Sin(fj*xi) * math.Cosh(fj*eta)
	}
	x = 500000 + k0*A*E
	y = k0 * A * N
	if south {
		y += 10000000
	}
	return x, y
}
