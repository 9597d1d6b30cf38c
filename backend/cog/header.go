package cog

import (
	"math"
	"slices"
	"strconv"
)

// Layout describes a tiled single-band COG for Header: the sample type, the tiling and
// georeferencing shared by every level, and each level's stored tile sizes. It serves
// both writers of the project: NewVirtual here and raster.WriteCOG.
type Layout struct {
	Type         DataType
	TileW, TileH int
	// Deflate marks the tiles as DEFLATE with the horizontal predictor (integers) or
	// the floating-point one (floats); otherwise they are uncompressed.
	Deflate bool
	Geo     Geo
	NoData  string // GDAL_NODATA (e.g. "255"); "" for none
	BigTIFF bool   // BigTIFF even when the file stays under 4 GiB
	// Levels are the full image first, then the overviews, each smaller than the last.
	Levels []LevelLayout
}

// LevelLayout is one image of the file: its size and the stored size of each tile,
// row by row.
type LevelLayout struct {
	Width, Height int
	TileSizes     []int64
}

// NoDataString is how GDAL_NODATA writes a value.
func NoDataString(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Header returns everything before the tile data: the TIFF header, then for each level
// (full image first) its IFD followed by the values that do not fit inside it. The
// tile data must follow it directly, from the last level to the first, each level's
// tiles row by row — the layout GDAL's validate_cloud_optimized_geotiff.py checks. It
// uses BigTIFF when l.BigTIFF is set or when the file reaches 4 GiB.
func (l Layout) Header() []byte {
	var dataSize int64
	for _, lv := range l.Levels {
		for _, s := range lv.TileSizes {
			dataSize += s
		}
	}
	h := l.header(dataSize, l.BigTIFF)
	if !l.BigTIFF && int64(len(h))+dataSize > math.MaxUint32 {
		h = l.header(dataSize, true)
	}
	return h
}

func (l Layout) header(dataSize int64, big bool) []byte {
	hdrSize := 8
	if big {
		hdrSize = 16
	}
	// Pass 1 measures each IFD with its values; pass 2 writes them with real offsets.
	sizes := make([]int, len(l.Levels))
	end := int64(hdrSize)
	for i := range l.Levels {
		sizes[i] = len(ifd(l.entries(i, big, nil), big, 0, 0))
		end += int64(sizes[i])
	}
	// Where each level's tiles start: the smallest overview's right after the header.
	tileOff := make([][]int64, len(l.Levels))
	off := end
	for i := len(l.Levels) - 1; i >= 0; i-- {
		for _, s := range l.Levels[i].TileSizes {
			tileOff[i] = append(tileOff[i], off)
			off += s
		}
	}
	b := make([]byte, 0, end)
	b = append(b, 'I', 'I')
	if big {
		b = le.AppendUint16(b, 43)
		b = le.AppendUint16(b, 8)
		b = le.AppendUint16(b, 0)
		b = le.AppendUint64(b, uint64(hdrSize))
	} else {
		b = le.AppendUint16(b, 42)
		b = le.AppendUint32(b, uint32(hdrSize))
	}
	pos := int64(hdrSize)
	for i := range l.Levels {
		var next int64
		if i+1 < len(l.Levels) {
			next = pos + int64(sizes[i])
		}
		b = append(b, ifd(l.entries(i, big, tileOff[i]), big, pos, next)...)
		pos += int64(sizes[i])
	}
	return b
}

// ifdEntry is one TIFF field: its tag, type, count and little-endian values.
type ifdEntry struct {
	tag, typ uint16
	count    int
	val      []byte
}

func shorts(vs ...uint16) []byte {
	var b []byte
	for _, x := range vs {
		b = le.AppendUint16(b, x)
	}
	return b
}

func appendOff(b []byte, x int64, big bool) []byte {
	if big {
		return le.AppendUint64(b, uint64(x))
	}
	return le.AppendUint32(b, uint32(x))
}

// entries are the fields of level li, sorted by tag; tileOff nil measures (the
// offsets are then zero, of the same length).
func (l Layout) entries(li int, big bool, tileOff []int64) []ifdEntry {
	lv := l.Levels[li]
	n := len(lv.TileSizes)
	if tileOff == nil {
		tileOff = make([]int64, n)
	}
	offType := uint16(typeLong)
	if big {
		offType = typeLong8
	}
	offs := func(vs []int64) []byte {
		var b []byte
		for _, v := range vs {
			b = appendOff(b, v, big)
		}
		return b
	}
	sub := uint32(0)
	if li > 0 {
		sub = 1 // a reduced-resolution version of the full image
	}
	sf, bits := l.Type.tiffFormat()
	compression, predictor := uint16(compressionNone), uint16(predictorNone)
	if l.Deflate {
		compression, predictor = compressionDeflate, predictorHorizontal
		if sf == 3 {
			predictor = predictorFloat
		}
	}
	es := []ifdEntry{
		{tagNewSubfileType, typeLong, 1, le.AppendUint32(nil, sub)},
		{tagImageWidth, typeLong, 1, le.AppendUint32(nil, uint32(lv.Width))},
		{tagImageLength, typeLong, 1, le.AppendUint32(nil, uint32(lv.Height))},
		{tagBitsPerSample, typeShort, 1, shorts(bits)},
		{tagCompression, typeShort, 1, shorts(compression)},
		{tagPhotometric, typeShort, 1, shorts(1)}, // BlackIsZero
		{tagSamplesPerPixel, typeShort, 1, shorts(1)},
		{tagPlanarConfig, typeShort, 1, shorts(1)},
		{tagTileWidth, typeShort, 1, shorts(uint16(l.TileW))},
		{tagTileLength, typeShort, 1, shorts(uint16(l.TileH))},
		{tagTileOffsets, offType, n, offs(tileOff)},
		{tagTileByteCounts, offType, n, offs(lv.TileSizes)},
		{tagSampleFormat, typeShort, 1, shorts(sf)},
	}
	if predictor != predictorNone {
		es = append(es, ifdEntry{tagPredictor, typeShort, 1, shorts(predictor)})
	}
	if li == 0 {
		g := l.Geo
		var scale, tie []byte
		for _, x := range []float64{g.DX, g.DY, 0} {
			scale = le.AppendUint64(scale, math.Float64bits(x))
		}
		for _, x := range []float64{0, 0, 0, g.X0, g.Y0, 0} {
			tie = le.AppendUint64(tie, math.Float64bits(x))
		}
		keys := geoKeys(g.EPSG)
		es = append(es,
			ifdEntry{tagModelPixelScale, typeDouble, 3, scale},
			ifdEntry{tagModelTiepoint, typeDouble, 6, tie},
			ifdEntry{tagGeoKeyDirectory, typeShort, len(keys), shorts(keys...)},
		)
	}
	if l.NoData != "" {
		es = append(es, ifdEntry{tagGDALNoData, typeASCII, len(l.NoData) + 1, append([]byte(l.NoData), 0)})
	}
	slices.SortFunc(es, func(a, b ifdEntry) int { return int(a.tag) - int(b.tag) })
	return es
}

// ifd returns the IFD of es at file offset at, followed by its out-of-line values;
// next is the offset of the next IFD (0 for the last).
func ifd(es []ifdEntry, big bool, at, next int64) []byte {
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
			b = le.AppendUint64(b, uint64(e.count))
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
			appendOff(field[:0], valuesAt+int64(len(values)), big)
			values = append(values, e.val...)
		}
		b = append(b, field...)
	}
	b = appendOff(b, next, big)
	if len(values)%2 == 1 {
		values = append(values, 0)
	}
	return append(b, values...)
}

// geoKeys is a GeoKeyDirectory for an EPSG code: geographic in degrees for 4326 (and
// other 4xxx codes), projected otherwise.
func geoKeys(epsg int) []uint16 {
	if epsg == 0 {
		return []uint16{1, 1, 0, 0}
	}
	if epsg >= 4000 && epsg < 5000 {
		return []uint16{1, 1, 0, 4,
			1024, 0, 1, 2, // GTModelTypeGeoKey = ModelTypeGeographic
			1025, 0, 1, 1, // GTRasterTypeGeoKey = RasterPixelIsArea
			2048, 0, 1, uint16(epsg), // GeographicTypeGeoKey
			2054, 0, 1, 9102, // GeogAngularUnitsGeoKey = degree
		}
	}
	return []uint16{1, 1, 0, 3,
		1024, 0, 1, 1, // ModelTypeProjected
		1025, 0, 1, 1, // RasterPixelIsArea
		3072, 0, 1, uint16(epsg), // ProjectedCSTypeGeoKey
	}
}
