package raster

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// COG reports that WriteGeoTIFF writes a Cloud-Optimized GeoTIFF: the image is tiled
// (512×512, or smaller for a small image), the only IFD starts right after the header
// (offset 8, or 16 for BigTIFF) with all its arrays, and the tile data follows in
// row-major tile order. The file has no internal overviews: the COG rules (OGC 21-026,
// GDAL's validate_cloud_optimized_geotiff.py) make them a recommendation for large
// images, not a requirement.
const COG = true

// maxTile is the tile side used for images larger than one tile.
const maxTile = 512

// TIFF tags and types used in the file.
const (
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagSamplesPerPixel = 277
	tagPlanarConfig    = 284
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagSampleFormat    = 339
	tagModelPixelScale = 33550
	tagModelTiepoint   = 33922
	tagGeoKeyDirectory = 34735

	typeShort  = 3
	typeLong   = 4
	typeDouble = 12
	typeLong8  = 16
)

// layout is where everything goes in the file; it is computed before writing anything
// so that the IFD, which comes first, can point at data that is written later.
type layout struct {
	big                     bool
	tileW, tileH            int
	across, down            int
	tileBytes               int64
	entrySize, inlineCap    int64 // IFD entry size and bytes of value that fit inside it
	offSize                 int64 // size of one tile offset / byte count
	ifdOff                  int64
	scaleOff, tieOff, gkOff int64
	offsetsOff, countsOff   int64 // 0 when the array fits inline
	dataOff, size           int64
}

// geoKeys is the GeoKeyDirectory: version 1.1.0, then (key, location 0, count 1, value).
var geoKeys = []uint16{
	1, 1, 0, 4,
	1024, 0, 1, 2, // GTModelTypeGeoKey = ModelTypeGeographic
	1025, 0, 1, 1, // GTRasterTypeGeoKey = RasterPixelIsArea
	2048, 0, 1, 4326, // GeographicTypeGeoKey = EPSG:4326
	2054, 0, 1, 9102, // GeogAngularUnitsGeoKey = degree
}

const numTags = 15

func roundUp16(n int) int { return (n + 15) &^ 15 }

func (f Field) layout(big bool) layout {
	l := layout{big: big}
	l.tileW = min(maxTile, roundUp16(f.Width))
	l.tileH = min(maxTile, roundUp16(f.Height))
	l.across = (f.Width + l.tileW - 1) / l.tileW
	l.down = (f.Height + l.tileH - 1) / l.tileH
	l.tileBytes = int64(l.tileW) * int64(l.tileH) * 4
	var hdr, countSize, nextSize int64
	if big {
		hdr, countSize, nextSize, l.entrySize, l.inlineCap, l.offSize = 16, 8, 8, 20, 8, 8
	} else {
		hdr, countSize, nextSize, l.entrySize, l.inlineCap, l.offSize = 8, 2, 4, 12, 4, 4
	}
	l.ifdOff = hdr
	end := hdr + countSize + numTags*l.entrySize + nextSize
	l.scaleOff = end
	l.tieOff = l.scaleOff + 3*8
	l.gkOff = l.tieOff + 6*8
	end = l.gkOff + int64(len(geoKeys))*2
	n := int64(l.across) * int64(l.down)
	if n*l.offSize > l.inlineCap {
		l.offsetsOff = end
		l.countsOff = end + n*l.offSize
		end = l.countsOff + n*l.offSize
	}
	l.dataOff = end
	l.size = end + n*l.tileBytes
	return l
}

// fileLayout picks classic TIFF when every offset fits in 32 bits, BigTIFF otherwise.
func (f Field) fileLayout() layout {
	if l := f.layout(false); l.size <= math.MaxUint32 {
		return l
	}
	return f.layout(true)
}

// GeoTIFFSize is the exact number of bytes WriteGeoTIFF writes, or 0 when f is invalid.
func (f Field) GeoTIFFSize() int64 {
	if f.Validate() != nil {
		return 0
	}
	return f.fileLayout().size
}

// WriteGeoTIFF streams f to w as a single-band Float32, uncompressed, tiled GeoTIFF in
// EPSG:4326 (see COG). It holds one tile in memory whatever the size, writes exactly
// GeoTIFFSize bytes, and uses BigTIFF only when the file would reach 4 GiB.
func (f Field) WriteGeoTIFF(w io.Writer) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return f.writeGeoTIFF(w, f.fileLayout())
}

func (f Field) writeGeoTIFF(w io.Writer, l layout) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.Write(f.header(l)); err != nil {
		return fmt.Errorf("raster: write geotiff header: %w", err)
	}
	if l.offsetsOff != 0 {
		n := int64(l.across) * int64(l.down)
		var b [8]byte
		for i := range n {
			putOff(b[:], l, l.dataOff+i*l.tileBytes)
			bw.Write(b[:l.offSize])
		}
		putOff(b[:], l, l.tileBytes)
		for range n {
			bw.Write(b[:l.offSize])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("raster: write geotiff header: %w", err)
	}
	if err := f.writeTiles(w, l); err != nil {
		return fmt.Errorf("raster: write geotiff tiles: %w", err)
	}
	return nil
}

func putOff(b []byte, l layout, v int64) {
	if l.big {
		binary.LittleEndian.PutUint64(b, uint64(v))
	} else {
		binary.LittleEndian.PutUint32(b, uint32(v))
	}
}

// header returns the file up to the tile offset arrays: header, IFD and the
// out-of-line GeoTIFF values.
func (f Field) header(l layout) []byte {
	le := binary.LittleEndian
	b := make([]byte, 0, l.scaleOff+256)
	if l.big {
		b = append(b, 'I', 'I')
		b = le.AppendUint16(b, 43)
		b = le.AppendUint16(b, 8)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint64(b, uint64(l.ifdOff))
		b = le.AppendUint64(b, numTags)
	} else {
		b = append(b, 'I', 'I')
		b = le.AppendUint16(b, 42)
		b = le.AppendUint32(b, uint32(l.ifdOff))
		b = le.AppendUint16(b, numTags)
	}
	n := uint64(l.across) * uint64(l.down)
	entry := func(tag, typ uint16, count uint64, inline []byte) {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		if l.big {
			b = le.AppendUint64(b, count)
		} else {
			b = le.AppendUint32(b, uint32(count))
		}
		field := make([]byte, l.inlineCap)
		copy(field, inline)
		b = append(b, field...)
	}
	short := func(v uint16) []byte { return le.AppendUint16(nil, v) }
	long := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	off := func(v int64) []byte {
		if l.big {
			return le.AppendUint64(nil, uint64(v))
		}
		return le.AppendUint32(nil, uint32(v))
	}
	offType := uint16(typeLong)
	if l.big {
		offType = typeLong8
	}
	entry(tagImageWidth, typeLong, 1, long(uint32(f.Width)))
	entry(tagImageLength, typeLong, 1, long(uint32(f.Height)))
	entry(tagBitsPerSample, typeShort, 1, short(32))
	entry(tagCompression, typeShort, 1, short(1))     // none
	entry(tagPhotometric, typeShort, 1, short(1))     // BlackIsZero
	entry(tagSamplesPerPixel, typeShort, 1, short(1)) //
	entry(tagPlanarConfig, typeShort, 1, short(1))    // chunky
	entry(tagTileWidth, typeShort, 1, short(uint16(l.tileW)))
	entry(tagTileLength, typeShort, 1, short(uint16(l.tileH)))
	if l.offsetsOff != 0 {
		entry(tagTileOffsets, offType, n, off(l.offsetsOff))
		entry(tagTileByteCounts, offType, n, off(l.countsOff))
	} else { // a single tile: both arrays fit inside their entries
		entry(tagTileOffsets, offType, n, off(l.dataOff))
		entry(tagTileByteCounts, offType, n, off(l.tileBytes))
	}
	entry(tagSampleFormat, typeShort, 1, short(3)) // IEEE floating point
	entry(tagModelPixelScale, typeDouble, 3, off(l.scaleOff))
	entry(tagModelTiepoint, typeDouble, 6, off(l.tieOff))
	entry(tagGeoKeyDirectory, typeShort, uint64(len(geoKeys)), off(l.gkOff))
	if l.big {
		b = le.AppendUint64(b, 0) // no next IFD
	} else {
		b = le.AppendUint32(b, 0)
	}

	minLon, minLat, maxLon, maxLat := f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3]
	for _, v := range []float64{(maxLon - minLon) / float64(f.Width), (maxLat - minLat) / float64(f.Height), 0} {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	for _, v := range []float64{0, 0, 0, minLon, maxLat, 0} {
		b = le.AppendUint64(b, math.Float64bits(v))
	}
	for _, v := range geoKeys {
		b = le.AppendUint16(b, v)
	}
	return b
}

// writeTiles computes and writes the tiles in row-major order, one buffer reused.
// Pixels of edge tiles that lie outside the image are zero.
func (f Field) writeTiles(w io.Writer, l layout) error {
	p := newParams(f.Seed)
	buf := make([]byte, l.tileBytes)
	cols := make([]colTerm, l.tileW)
	rows := make([]rowTerm, l.tileH)
	for ty := range l.down {
		r0 := ty * l.tileH
		nr := min(l.tileH, f.Height-r0)
		for i := range nr {
			rows[i] = p.row(r0+i, f.Height)
		}
		for tx := range l.across {
			c0 := tx * l.tileW
			nc := min(l.tileW, f.Width-c0)
			for i := range nc {
				cols[i] = p.col(c0+i, f.Width)
			}
			if nc < l.tileW || nr < l.tileH {
				clear(buf)
			}
			for i := range nr {
				fillRow(buf[i*l.tileW*4:], cols[:nc], &rows[i], c0, r0+i, p.noiseSeed)
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
	}
	return nil
}
