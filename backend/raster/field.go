// Package raster writes single-band rasters as streamed Cloud-Optimized GeoTIFFs
// (WriteCOG: Float32 or Uint8, EPSG:4326, DEFLATE, internal overviews), and makes
// deterministic synthetic rasters — a smooth, vegetation-index-like field with hills, a
// meandering river, a lake and seeded noise — written as COGs or colour-mapped PNG
// thumbnails.
//
// The field exists so the built-in local endpoint, demos and download tests have
// reproducible results of any size that look plausible on a map. The package is not a
// general GeoTIFF library: it writes one layout and reads nothing.
package raster

import (
	"errors"
	"fmt"
	"math"
)

// MaxDim is the largest accepted width or height in pixels. At the limit a GeoTIFF is
// 4 TiB, which keeps every size and offset well inside int64.
const MaxDim = 1 << 20

// ErrInvalid is wrapped by every error that Validate returns.
var ErrInvalid = errors.New("raster: invalid field")

// Field is a deterministic synthetic raster over a CRS84 box. The same Field always
// yields the same values, on every platform. Row 0 is the northern edge and column 0 the
// western edge; pixels are areas (PixelIsArea) of equal size in degrees.
type Field struct {
	BBox          [4]float64 // minLon, minLat, maxLon, maxLat (CRS84 degrees)
	Width, Height int        // pixels
	Seed          int64      // picks the hills, the river's course and the noise
}

// Validate reports whether f describes a raster that can be written. The returned
// error wraps ErrInvalid.
func (f Field) Validate() error {
	for i, v := range f.BBox {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: bbox[%d] is not a finite number", ErrInvalid, i)
		}
	}
	minLon, minLat, maxLon, maxLat := f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3]
	switch {
	case minLon < -180 || maxLon > 180:
		return fmt.Errorf("%w: bbox longitudes %g..%g outside -180..180", ErrInvalid, minLon, maxLon)
	case minLat < -90 || maxLat > 90:
		return fmt.Errorf("%w: bbox latitudes %g..%g outside -90..90", ErrInvalid, minLat, maxLat)
	case !(minLon < maxLon):
		return fmt.Errorf("%w: bbox minLon %g must be less than maxLon %g", ErrInvalid, minLon, maxLon)
	case !(minLat < maxLat):
		return fmt.Errorf("%w: bbox minLat %g must be less than maxLat %g", ErrInvalid, minLat, maxLat)
	case f.Width < 1 || f.Width > MaxDim:
		return fmt.Errorf("%w: width %d outside 1..%d", ErrInvalid, f.Width, MaxDim)
	case f.Height < 1 || f.Height > MaxDim:
		return fmt.Errorf("%w: height %d outside 1..%d", ErrInvalid, f.Height, MaxDim)
	}
	return nil
}

// Value is the pixel value at (col, row), in about -0.45..0.95: water is negative,
// land positive, like NDVI. Out-of-range pixels are clamped to the nearest edge pixel.
// It is exactly the value that WriteGeoTIFF stores for that pixel.
func (f Field) Value(col, row int) float32 {
	col = min(max(col, 0), max(f.Width-1, 0))
	row = min(max(row, 0), max(f.Height-1, 0))
	p := newParams(f.Seed)
	return pixel(p.col(col, f.Width), p.row(row, f.Height), col, row, p.noiseSeed)
}
