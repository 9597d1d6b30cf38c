package raster

import (
	"encoding/binary"
	"math"
	"slices"
)

// TIFF tags and types used in the file.
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagSamplesPerPixel = 277
	tagPlanarConfig    = 284
	tagPredictor       = 317
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagSampleFormat    = 339
	tagModelPixelScale = 33550
	tagModelTiepoint   = 33922
	tagGeoKeyDirectory = 34735
	tagGDALNoData      = 42113

	typeASCII  = 2
	typeShort  = 3
	typeLong   = 4
	typeDouble = 12
	typeLong8  = 16

	compressionDeflate = 8
)

// geoKeys is the GeoKeyDirectory: version 1.1.0, then (key, location 0, count 1, value).
var geoKeys = []uint16{
	1, 1, 0, 4,
	1024, 0, 1, 2, // GTModelTypeGeoKey = ModelTypeGeographic
	1025, 0, 1, 1, // GTRasterTypeGeoKey = RasterPixelIsArea
	2048, 0, 1, 4326, // GeographicTypeGeoKey = EPSG:4326
	2054, 0, 1, 9102, // GeogAngularUnitsGeoKey = degree
}

// cogHeader returns everything before the tile data: the TIFF header, then for each
// level (full image first) its IFD followed by the values that do not fit inside it.
// The tile data, dataSize bytes, follows from the smallest overview to the full image.
func cogHeader(img Image, levels []*level, tileW, tileH int, dataSize int64, big bool) []byte {
	hdrSize := 8
	if big {
		hdrSize = 16
	}
	// Pass 1 measures each IFD with its values; pass 2 writes them with real offsets.
	sizes := make([]int, len(levels))
	for i, l := range levels {
		sizes[i] = len(ifd(img, l, i, tileW, tileH, big, 0, 0, nil))
	}
	end := int64(hdrSize)
	for _, s := range sizes {
		end += int64(s)
	}
	// Where each level's tiles start: the smallest overview's right after the header.
	tileOff := make([][]int64, len(levels))
	off := end
	for i := len(levels) - 1; i >= 0; i-- {
		for _, s := range levels[i].sizes {
			tileOff[i] = append(tileOff[i], off)
			off += s
		}
	}
	le := binary.LittleEndian
	b := make([]byte, 0, end)
	if big {
		b = append(b, 'I', 'I')
		b = le.AppendUint16(b, 43)
		b = le.AppendUint16(b, 8)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint64(b, uint64(hdrSize))
	} else {
		b = append(b, 'I', 'I')
		b = le.AppendUint16(b, 42)
		b = le.AppendUint32(b, uint32(hdrSize))
	}
	pos := int64(hdrSize)
	for i, l := range levels {
		var next int64
		if i+1 < len(levels) {
			next = pos + int64(sizes[i])
		}
		b = append(b, ifd(img, l, i, tileW, tileH, big, pos, next, tileOff[i])...)
		pos += int64(sizes[i])
	}
	return b
}

// ifd returns the IFD of level li at file offset at, followed by its out-of-line
// values; next is the offset of the next IFD (0 for the last).
func ifd(img Image, l *level, li, tileW, tileH int, big bool, at, next int64, tileOff []int64) []byte {
	le := binary.LittleEndian
	type entry struct {
		tag, typ uint16
		count    uint64
		val      []byte
	}
	var es []entry
	add := func(tag, typ uint16, count int, val []byte) {
		es = append(es, entry{tag, typ, uint64(count), val})
	}
	short := func(vs ...uint16) []byte {
		var b []byte
		for _, v := range vs {
			b = le.AppendUint16(b, v)
		}
		return b
	}
	long := func(v uint32) []byte { return le.AppendUint32(nil, v) }
	offType := uint16(typeLong)
	offs := func(vs []int64) []byte {
		var b []byte
		for _, v := range vs {
			if big {
				b = le.AppendUint64(b, uint64(v))
			} else {
				b = le.AppendUint32(b, uint32(v))
			}
		}
		return b
	}
	if big {
		offType = typeLong8
	}
	n := l.tiles()
	if tileOff == nil { // measuring: only the lengths matter
		tileOff = make([]int64, n)
	}
	sub := uint32(0)
	if li > 0 {
		sub = 1 // a reduced-resolution version of the full image
	}
	bits, predictor, format := uint16(32), uint16(3), uint16(3)
	if img.Type == Uint8 {
		bits, predictor, format = 8, 2, 1
	}
	add(tagNewSubfileType, typeLong, 1, long(sub))
	add(tagImageWidth, typeLong, 1, long(uint32(l.width)))
	add(tagImageLength, typeLong, 1, long(uint32(l.height)))
	add(tagBitsPerSample, typeShort, 1, short(bits))
	add(tagCompression, typeShort, 1, short(compressionDeflate))
	add(tagPhotometric, typeShort, 1, short(1)) // BlackIsZero
	add(tagSamplesPerPixel, typeShort, 1, short(1))
	add(tagPlanarConfig, typeShort, 1, short(1))
	add(tagPredictor, typeShort, 1, short(predictor))
	add(tagTileWidth, typeShort, 1, short(uint16(tileW)))
	add(tagTileLength, typeShort, 1, short(uint16(tileH)))
	add(tagTileOffsets, offType, n, offs(tileOff))
	add(tagTileByteCounts, offType, n, offs(l.sizes[:min(len(l.sizes), n)]))
	add(tagSampleFormat, typeShort, 1, short(format))
	if li == 0 {
		minLon, minLat, maxLon, maxLat := img.BBox[0], img.BBox[1], img.BBox[2], img.BBox[3]
		var scale, tie []byte
		for _, v := range []float64{(maxLon - minLon) / float64(img.Width), (maxLat - minLat) / float64(img.Height), 0} {
			scale = le.AppendUint64(scale, math.Float64bits(v))
		}
		for _, v := range []float64{0, 0, 0, minLon, maxLat, 0} {
			tie = le.AppendUint64(tie, math.Float64bits(v))
		}
		add(tagModelPixelScale, typeDouble, 3, scale)
		add(tagModelTiepoint, typeDouble, 6, tie)
		add(tagGeoKeyDirectory, typeShort, len(geoKeys), short(geoKeys...))
	}
	if img.NoData != "" {
		add(tagGDALNoData, typeASCII, len(img.NoData)+1, append([]byte(img.NoData), 0))
	}
	slices.SortFunc(es, func(a, b entry) int { return int(a.tag) - int(b.tag) })

	entrySize, inlineCap := 12, 4
	if big {
		entrySize, inlineCap = 20, 8
	}
	var b []byte
	if big {
		b = le.AppendUint64(b, uint64(len(es)))
	} else {
		b = le.AppendUint16(b, uint16(len(es)))
	}
	valuesAt := at + int64(len(b)+len(es)*entrySize+inlineCap)
	var values []byte
	for _, e := range es {
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.typ)
		if big {
			b = le.AppendUint64(b, e.count)
		} else {
			b = le.AppendUint32(b, uint32(e.count))
		}
		field := make([]byte, inlineCap)
		if len(e.val) <= inlineCap {
			copy(field, e.val)
		} else {
			if len(values)%2 == 1 { // values start on a word boundary
				values = append(values, 0)
			}
			copy(field, offs([]int64{valuesAt + int64(len(values))}))
			values = append(values, e.val...)
		}
		b = append(b, field...)
	}
	b = append(b, offs([]int64{next})...)
	if len(values)%2 == 1 {
		values = append(values, 0)
	}
	return append(b, values...)
}
