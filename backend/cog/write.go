package cog

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
)

// Geo is the georeferencing of a north-up image: its CRS and the position and size of
// its pixels. Pixel (col, row) covers X0+col·DX … X0+(col+1)·DX and
// Y0−(row+1)·DY … Y0−row·DY.
type Geo struct {
	EPSG   int     // 4326 (longitude, latitude) or a projected CRS; 0 when unknown
	X0, Y0 float64 // the outer corner of the upper-left pixel
	DX, DY float64 // pixel size, both positive
}

// Bounds is the area the image covers: minX, minY, maxX, maxY.
func (g Geo) Bounds(width, height int) [4]float64 {
	return [4]float64{g.X0, g.Y0 - float64(height)*g.DY, g.X0 + float64(width)*g.DX, g.Y0}
}

// Spec describes a single-band COG to write.
type Spec struct {
	Width, Height int
	Type          DataType
	Geo           Geo
	NoData        *float64 // written as GDAL_NODATA when set; fills the padding of edge tiles
	TileSize      int      // a multiple of 16; default 512
	// Deflate compresses the tiles (with the horizontal predictor for integers and the
	// floating-point one for floats). NewVirtual then computes every tile at once, to
	// know their sizes: use it for files of moderate size.
	Deflate bool
	BigTIFF bool // BigTIFF even when the file stays under 4 GiB
	// Pixels fills dst (w·h values, row by row) with the window (col0, row0, w, h) of
	// level; level 0 is the image, level k an overview of about Width/2ᵏ × Height/2ᵏ
	// pixels. It must be deterministic and safe for concurrent use.
	Pixels func(level, col0, row0, w, h int, dst []float64)
}

// level is one image of the file: the full resolution or an overview.
type level struct {
	width, height int
	across, down  int
	ifdOff        int64
	tileStart     int // index of its first tile in Virtual.tiles
}

type tileRef struct {
	level, index int
	off, size    int64
}

// Virtual is a COG computed on demand. It implements io.ReaderAt; Size is its length.
type Virtual struct {
	spec   Spec
	levels []level
	header []byte    // everything before the tile data
	tiles  []tileRef // in file order
	stored [][]byte  // the compressed tiles (Deflate only), in file order
	size   int64

	mu    sync.Mutex
	cache map[int][]byte // encoded uncompressed tiles by position in tiles
	order []int
}

// ErrSpec is wrapped by the errors of NewVirtual.
var ErrSpec = errors.New("cog: invalid spec")

// Levels is the number of images NewVirtual writes for an image of that size: the
// image and overviews halving it until it fits in one tile.
func levelSizes(w, h, tile int) [][2]int {
	sizes := [][2]int{{w, h}}
	for w > tile || h > tile {
		w, h = (w+1)/2, (h+1)/2
		sizes = append(sizes, [2]int{w, h})
	}
	return sizes
}

// NewVirtual lays out the COG of spec. With spec.Deflate it computes and compresses
// every tile now; otherwise tiles are computed when they are read.
func NewVirtual(spec Spec) (*Virtual, error) {
	if spec.TileSize == 0 {
		spec.TileSize = 512
	}
	switch {
	case spec.Width < 1 || spec.Height < 1 || spec.Width > 1<<24 || spec.Height > 1<<24:
		return nil, fmt.Errorf("%w: size %d×%d", ErrSpec, spec.Width, spec.Height)
	case spec.TileSize%16 != 0 || spec.TileSize < 16 || spec.TileSize > 4096:
		return nil, fmt.Errorf("%w: tile size %d is not a multiple of 16 in 16..4096", ErrSpec, spec.TileSize)
	case spec.Type.Size() == 0:
		return nil, fmt.Errorf("%w: no data type", ErrSpec)
	case spec.Pixels == nil:
		return nil, fmt.Errorf("%w: no Pixels function", ErrSpec)
	}
	v := &Virtual{spec: spec, cache: map[int][]byte{}}
	ts := spec.TileSize
	for _, s := range levelSizes(spec.Width, spec.Height, ts) {
		v.levels = append(v.levels, level{width: s[0], height: s[1], across: (s[0] + ts - 1) / ts, down: (s[1] + ts - 1) / ts})
	}
	// Tile order: the smallest overview first, the full resolution last (as GDAL's COG
	// driver does), row by row within a level.
	for li := len(v.levels) - 1; li >= 0; li-- {
		l := &v.levels[li]
		l.tileStart = len(v.tiles)
		for i := range l.across * l.down {
			v.tiles = append(v.tiles, tileRef{level: li, index: i})
		}
	}
	tileBytes := int64(ts * ts * spec.Type.Size())
	if spec.Deflate {
		v.stored = make([][]byte, len(v.tiles))
		for i, t := range v.tiles {
			b, err := deflateTile(v.encodeTile(t), spec.Type, ts)
			if err != nil {
				return nil, err
			}
			v.stored[i] = b
			v.tiles[i].size = int64(len(b))
		}
	} else {
		for i := range v.tiles {
			v.tiles[i].size = tileBytes
		}
	}
	big := spec.BigTIFF
	for {
		if err := v.layout(big); err != nil {
			return nil, err
		}
		if big || v.size <= math.MaxUint32 {
			break
		}
		big = true
	}
	return v, nil
}

// Size is the length of the file in bytes.
func (v *Virtual) Size() int64 { return v.size }

// ifdEntry is one TIFF field before layout.
type ifdEntry struct {
	tag, typ uint16
	count    int
	data     []byte // little-endian values
	offArray bool   // data is the tile offsets, patched after layout
}

func shorts(vs ...uint16) []byte {
	var b []byte
	for _, x := range vs {
		b = le.AppendUint16(b, x)
	}
	return b
}

func (v *Virtual) layout(big bool) error {
	spec := v.spec
	sf, bits := spec.Type.tiffFormat()
	compression, predictor := uint16(compressionNone), uint16(predictorNone)
	if spec.Deflate {
		compression, predictor = compressionDeflate, predictorHorizontal
		if sf == 3 {
			predictor = predictorFloat
		}
	}
	offType, offSize := uint16(typeLong), 4
	if big {
		offType, offSize = typeLong8, 8
	}
	putOff := func(b []byte, x int64) []byte {
		if big {
			return le.AppendUint64(b, uint64(x))
		}
		return le.AppendUint32(b, uint32(x))
	}
	entries := make([][]ifdEntry, len(v.levels))
	for li, l := range v.levels {
		subfile := uint32(0)
		if li > 0 {
			subfile = 1 // reduced-resolution image
		}
		n := l.across * l.down
		counts := make([]byte, 0, n*offSize)
		for i := range n {
			counts = putOff(counts, v.tiles[l.tileStart+i].size)
		}
		e := []ifdEntry{
			{tag: tagNewSubfileType, typ: typeLong, count: 1, data: le.AppendUint32(nil, subfile)},
			{tag: tagImageWidth, typ: typeLong, count: 1, data: le.AppendUint32(nil, uint32(l.width))},
			{tag: tagImageLength, typ: typeLong, count: 1, data: le.AppendUint32(nil, uint32(l.height))},
			{tag: tagBitsPerSample, typ: typeShort, count: 1, data: shorts(bits)},
			{tag: tagCompression, typ: typeShort, count: 1, data: shorts(compression)},
			{tag: tagPhotometric, typ: typeShort, count: 1, data: shorts(1)},
			{tag: tagSamplesPerPixel, typ: typeShort, count: 1, data: shorts(1)},
			{tag: tagPlanarConfig, typ: typeShort, count: 1, data: shorts(1)},
		}
		if predictor != predictorNone {
			e = append(e, ifdEntry{tag: tagPredictor, typ: typeShort, count: 1, data: shorts(predictor)})
		}
		e = append(e,
			ifdEntry{tag: tagTileWidth, typ: typeShort, count: 1, data: shorts(uint16(spec.TileSize))},
			ifdEntry{tag: tagTileLength, typ: typeShort, count: 1, data: shorts(uint16(spec.TileSize))},
			ifdEntry{tag: tagTileOffsets, typ: offType, count: n, data: make([]byte, n*offSize), offArray: true},
			ifdEntry{tag: tagTileByteCounts, typ: offType, count: n, data: counts},
			ifdEntry{tag: tagSampleFormat, typ: typeShort, count: 1, data: shorts(sf)},
		)
		if li == 0 {
			g := spec.Geo
			var scale, tie []byte
			for _, x := range []float64{g.DX, g.DY, 0} {
				scale = le.AppendUint64(scale, math.Float64bits(x))
			}
			for _, x := range []float64{0, 0, 0, g.X0, g.Y0, 0} {
				tie = le.AppendUint64(tie, math.Float64bits(x))
			}
			keys := geoKeys(g.EPSG)
			e = append(e,
				ifdEntry{tag: tagModelPixelScale, typ: typeDouble, count: 3, data: scale},
				ifdEntry{tag: tagModelTiepoint, typ: typeDouble, count: 6, data: tie},
				ifdEntry{tag: tagGeoKeyDirectory, typ: typeShort, count: len(keys), data: shorts(keys...)},
			)
		}
		if spec.NoData != nil {
			s := strconv.FormatFloat(*spec.NoData, 'g', -1, 64) + "\x00"
			e = append(e, ifdEntry{tag: tagGDALNoData, typ: typeASCII, count: len(s), data: []byte(s)})
		}
		entries[li] = e
	}

	// Sizes: header, then every IFD, then their out-of-line values, then the tiles.
	hdr, countSize, entrySize, inlineCap, nextSize := int64(8), int64(2), int64(12), 4, int64(4)
	if big {
		hdr, countSize, entrySize, inlineCap, nextSize = 16, 8, 20, 8, 8
	}
	pos := hdr
	for li := range v.levels {
		v.levels[li].ifdOff = pos
		pos += countSize + int64(len(entries[li]))*entrySize + nextSize
	}
	valueOff := make([][]int64, len(v.levels))
	for li, es := range entries {
		valueOff[li] = make([]int64, len(es))
		for i, e := range es {
			if len(e.data) > inlineCap {
				pos += pos & 1 // word alignment
				valueOff[li][i] = pos
				pos += int64(len(e.data))
			}
		}
	}
	dataOff := pos
	off := dataOff
	for i := range v.tiles {
		v.tiles[i].off = off
		off += v.tiles[i].size
	}
	v.size = off

	// Patch the tile offsets, then write.
	for li, es := range entries {
		l := v.levels[li]
		for i := range es {
			if !es[i].offArray {
				continue
			}
			b := es[i].data[:0]
			for t := range l.across * l.down {
				b = putOff(b, v.tiles[l.tileStart+t].off)
			}
			es[i].data = b
		}
	}
	h := make([]byte, 0, dataOff)
	h = append(h, 'I', 'I')
	if big {
		h = le.AppendUint16(h, 43)
		h = le.AppendUint16(h, 8)
		h = le.AppendUint16(h, 0)
		h = le.AppendUint64(h, uint64(v.levels[0].ifdOff))
	} else {
		h = le.AppendUint16(h, 42)
		h = le.AppendUint32(h, uint32(v.levels[0].ifdOff))
	}
	for li, es := range entries {
		if big {
			h = le.AppendUint64(h, uint64(len(es)))
		} else {
			h = le.AppendUint16(h, uint16(len(es)))
		}
		for i, e := range es {
			h = le.AppendUint16(h, e.tag)
			h = le.AppendUint16(h, e.typ)
			if big {
				h = le.AppendUint64(h, uint64(e.count))
			} else {
				h = le.AppendUint32(h, uint32(e.count))
			}
			field := make([]byte, inlineCap)
			if valueOff[li][i] != 0 {
				putOff(field[:0], valueOff[li][i])
			} else {
				copy(field, e.data)
			}
			h = append(h, field...)
		}
		next := int64(0)
		if li+1 < len(v.levels) {
			next = v.levels[li+1].ifdOff
		}
		if big {
			h = le.AppendUint64(h, uint64(next))
		} else {
			h = le.AppendUint32(h, uint32(next))
		}
	}
	for li, es := range entries {
		for i, e := range es {
			if o := valueOff[li][i]; o != 0 {
				for int64(len(h)) < o {
					h = append(h, 0)
				}
				h = append(h, e.data...)
			}
		}
	}
	if int64(len(h)) != dataOff {
		return fmt.Errorf("cog: internal layout error: header %d bytes, expected %d", len(h), dataOff)
	}
	v.header = h
	return nil
}

// geoKeys is a GeoKeyDirectory for an EPSG code: geographic for 4326 (and other
// 4xxx codes), projected otherwise.
func geoKeys(epsg int) []uint16 {
	if epsg == 0 {
		return []uint16{1, 1, 0, 0}
	}
	if epsg >= 4000 && epsg < 5000 {
		return []uint16{1, 1, 0, 3,
			1024, 0, 1, 2, // ModelTypeGeographic
			1025, 0, 1, 1, // RasterPixelIsArea
			2048, 0, 1, uint16(epsg),
		}
	}
	return []uint16{1, 1, 0, 3,
		1024, 0, 1, 1, // ModelTypeProjected
		1025, 0, 1, 1, // RasterPixelIsArea
		3072, 0, 1, uint16(epsg),
	}
}

// encodeTile computes tile t and returns its uncompressed little-endian bytes.
func (v *Virtual) encodeTile(t tileRef) []byte {
	ts := v.spec.TileSize
	l := v.levels[t.level]
	col0, row0 := (t.index%l.across)*ts, (t.index/l.across)*ts
	w, h := min(ts, l.width-col0), min(ts, l.height-row0)
	vals := make([]float64, w*h)
	v.spec.Pixels(t.level, col0, row0, w, h, vals)
	fill := 0.0
	if v.spec.NoData != nil {
		fill = *v.spec.NoData
	}
	size := v.spec.Type.Size()
	out := make([]byte, ts*ts*size)
	for r := range ts {
		for c := range ts {
			x := fill
			if r < h && c < w {
				x = vals[r*w+c]
			}
			putSample(out[(r*ts+c)*size:], v.spec.Type, x)
		}
	}
	return out
}

func putSample(b []byte, t DataType, x float64) {
	clampRound := func(lo, hi float64) float64 {
		if math.IsNaN(x) {
			return 0
		}
		return math.Min(math.Max(math.Round(x), lo), hi)
	}
	switch t {
	case Uint8:
		b[0] = uint8(clampRound(0, math.MaxUint8))
	case Int8:
		b[0] = uint8(int8(clampRound(math.MinInt8, math.MaxInt8)))
	case Uint16:
		le.PutUint16(b, uint16(clampRound(0, math.MaxUint16)))
	case Int16:
		le.PutUint16(b, uint16(int16(clampRound(math.MinInt16, math.MaxInt16))))
	case Uint32:
		le.PutUint32(b, uint32(clampRound(0, math.MaxUint32)))
	case Int32:
		le.PutUint32(b, uint32(int32(clampRound(math.MinInt32, math.MaxInt32))))
	case Float32:
		le.PutUint32(b, math.Float32bits(float32(x)))
	case Float64:
		le.PutUint64(b, math.Float64bits(x))
	}
}

// deflateTile applies the predictor to a tile's rows and compresses it with zlib.
func deflateTile(raw []byte, t DataType, ts int) ([]byte, error) {
	size := t.Size()
	rowBytes := ts * size
	b := make([]byte, len(raw))
	copy(b, raw)
	for r := range ts {
		row := b[r*rowBytes : (r+1)*rowBytes]
		if t == Float32 || t == Float64 {
			tmp := make([]byte, rowBytes)
			for i := range ts {
				for k := range size {
					tmp[(size-1-k)*ts+i] = row[i*size+k]
				}
			}
			for i := rowBytes - 1; i >= 1; i-- {
				tmp[i] -= tmp[i-1]
			}
			copy(row, tmp)
			continue
		}
		switch size {
		case 1:
			for i := ts - 1; i >= 1; i-- {
				row[i] -= row[i-1]
			}
		case 2:
			for i := ts - 1; i >= 1; i-- {
				le.PutUint16(row[2*i:], le.Uint16(row[2*i:])-le.Uint16(row[2*i-2:]))
			}
		case 4:
			for i := ts - 1; i >= 1; i-- {
				le.PutUint32(row[4*i:], le.Uint32(row[4*i:])-le.Uint32(row[4*i-4:]))
			}
		}
	}
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.DefaultCompression)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tileBytes returns the stored bytes of the tile at position i in file order.
func (v *Virtual) tileBytes(i int) []byte {
	if v.stored != nil {
		return v.stored[i]
	}
	v.mu.Lock()
	b, ok := v.cache[i]
	v.mu.Unlock()
	if ok {
		return b
	}
	b = v.encodeTile(v.tiles[i])
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.cache[i]; !ok {
		v.cache[i] = b
		v.order = append(v.order, i)
		if len(v.order) > 16 { // a few tiles: range reads come in tile-sized pieces
			delete(v.cache, v.order[0])
			v.order = v.order[1:]
		}
	}
	return b
}

// ReadAt reads the file's bytes at off (io.ReaderAt).
func (v *Virtual) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("cog: negative offset")
	}
	n := 0
	for n < len(p) && off < v.size {
		if off < int64(len(v.header)) {
			c := copy(p[n:], v.header[off:])
			n += c
			off += int64(c)
			continue
		}
		i := sort.Search(len(v.tiles), func(i int) bool { return v.tiles[i].off+v.tiles[i].size > off })
		t := v.tiles[i]
		c := copy(p[n:], v.tileBytes(i)[off-t.off:])
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Reader returns a reader of the whole file, for io.Copy and http.ServeContent.
func (v *Virtual) Reader() *io.SectionReader { return io.NewSectionReader(v, 0, v.size) }
