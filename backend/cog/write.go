package cog

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
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
	v.layout()
	return v, nil
}

// Size is the length of the file in bytes.
func (v *Virtual) Size() int64 { return v.size }

// layout writes the header and places the tiles after it, in file order.
func (v *Virtual) layout() {
	spec := v.spec
	l := Layout{Type: spec.Type, TileW: spec.TileSize, TileH: spec.TileSize, Deflate: spec.Deflate,
		Geo: spec.Geo, BigTIFF: spec.BigTIFF, Levels: make([]LevelLayout, len(v.levels))}
	if spec.NoData != nil {
		l.NoData = NoDataString(*spec.NoData)
	}
	for li, lv := range v.levels {
		sizes := make([]int64, lv.across*lv.down)
		for i := range sizes {
			sizes[i] = v.tiles[lv.tileStart+i].size
		}
		l.Levels[li] = LevelLayout{Width: lv.width, Height: lv.height, TileSizes: sizes}
	}
	v.header = l.Header()
	off := int64(len(v.header))
	for i := range v.tiles {
		v.tiles[i].off = off
		off += v.tiles[i].size
	}
	v.size = off
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
