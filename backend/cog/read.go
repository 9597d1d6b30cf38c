package cog

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// headerBytes is what Open reads first: the header and, in a COG, every IFD with its
// arrays (GDAL reads 16 KiB too).
const headerBytes = 16 << 10

// ErrFormat is wrapped by the errors about files this package cannot read.
var ErrFormat = errors.New("cog: unsupported or malformed TIFF")

// File is an opened (Cloud-Optimized) GeoTIFF.
type File struct {
	src    Source
	order  binary.ByteOrder
	big    bool
	prefix []byte

	// Levels are the full-resolution image (0) and its overviews, largest first.
	Levels []*Level
	Type   DataType
	Geo    Geo      // of level 0
	NoData *float64 // GDAL_NODATA, when set

	cache *tileCache
}

// Level is one image of the file.
type Level struct {
	Width, Height int
	Geo           Geo
	tileW, tileH  int // strips are tiles as wide as the image
	across, down  int
	compression   uint16
	predictor     uint16
	samples       int
	offField      field
	countField    field

	mu      sync.Mutex
	offsets []uint64
	counts  []uint64
}

type field struct {
	typ    uint16
	count  uint64
	inline []byte // the value when it fits in the entry
	off    uint64 // where it is otherwise
}

// Options tunes a File.
type Options struct {
	CacheBytes  int64 // decoded tiles kept, default 64 MiB
	Parallel    int   // range requests in flight, default 4
	MaxMergeGap int64 // ranges this close are fetched together, default 0 (adjacent only)
}

// Open reads the header and IFDs of the file at src.
func Open(ctx context.Context, src Source, opts *Options) (*File, error) {
	o := Options{CacheBytes: 64 << 20, Parallel: 4}
	if opts != nil {
		if opts.CacheBytes > 0 {
			o.CacheBytes = opts.CacheBytes
		}
		if opts.Parallel > 0 {
			o.Parallel = opts.Parallel
		}
		o.MaxMergeGap = opts.MaxMergeGap
	}
	f := &File{src: src, cache: newTileCache(o)}
	prefix, err := src.ReadRange(ctx, 0, headerBytes)
	if err != nil {
		return nil, err
	}
	f.prefix = prefix
	if len(prefix) < 8 {
		return nil, fmt.Errorf("%w: %s is too short", ErrFormat, src.Name())
	}
	switch string(prefix[:2]) {
	case "II":
		f.order = binary.LittleEndian
	case "MM":
		f.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: %s is not a TIFF", ErrFormat, src.Name())
	}
	var ifd uint64
	switch f.order.Uint16(prefix[2:]) {
	case 42:
		ifd = uint64(f.order.Uint32(prefix[4:]))
	case 43:
		if len(prefix) < 16 {
			return nil, fmt.Errorf("%w: %s: short BigTIFF header", ErrFormat, src.Name())
		}
		f.big = true
		ifd = f.order.Uint64(prefix[8:])
	default:
		return nil, fmt.Errorf("%w: %s is not a TIFF", ErrFormat, src.Name())
	}
	var geoTags map[uint16]field
	for seen := 0; ifd != 0; seen++ {
		if seen > 64 {
			return nil, fmt.Errorf("%w: %s: too many IFDs", ErrFormat, src.Name())
		}
		tags, next, err := f.readIFD(ctx, ifd)
		if err != nil {
			return nil, err
		}
		ifd = next
		subfile, _ := f.uint(ctx, tags, tagNewSubfileType, 0)
		if subfile&4 != 0 || (len(f.Levels) > 0 && subfile&1 == 0) {
			continue // masks, and pages after the first that are not overviews
		}
		l, dt, err := f.level(ctx, tags)
		if err != nil {
			return nil, err
		}
		if len(f.Levels) == 0 {
			f.Type = dt
			geoTags = tags
		} else if dt != f.Type {
			continue
		}
		f.Levels = append(f.Levels, l)
	}
	if len(f.Levels) == 0 {
		return nil, fmt.Errorf("%w: %s has no image", ErrFormat, src.Name())
	}
	sort.SliceStable(f.Levels[1:], func(i, j int) bool { return f.Levels[1+i].Width > f.Levels[1+j].Width })
	if err := f.readGeo(ctx, geoTags); err != nil {
		return nil, err
	}
	l0 := f.Levels[0]
	l0.Geo = f.Geo
	for _, l := range f.Levels[1:] {
		l.Geo = Geo{EPSG: f.Geo.EPSG, X0: f.Geo.X0, Y0: f.Geo.Y0,
			DX: f.Geo.DX * float64(l0.Width) / float64(l.Width), DY: f.Geo.DY * float64(l0.Height) / float64(l.Height)}
	}
	return f, nil
}

// bytesAt returns n bytes at off, from the prefix when it holds them.
func (f *File) bytesAt(ctx context.Context, off, n uint64) ([]byte, error) {
	if off+n <= uint64(len(f.prefix)) {
		return f.prefix[off : off+n], nil
	}
	if n > 1<<28 {
		return nil, fmt.Errorf("%w: %s: a %d-byte TIFF field", ErrFormat, f.src.Name(), n)
	}
	b, err := f.src.ReadRange(ctx, int64(off), int64(n))
	if err != nil {
		return nil, err
	}
	if uint64(len(b)) < n {
		return nil, fmt.Errorf("%w: %s is truncated", ErrFormat, f.src.Name())
	}
	return b, nil
}

func (f *File) readIFD(ctx context.Context, off uint64) (map[uint16]field, uint64, error) {
	countSize, entrySize, inlineCap := uint64(2), uint64(12), uint64(4)
	if f.big {
		countSize, entrySize, inlineCap = 8, 20, 8
	}
	b, err := f.bytesAt(ctx, off, countSize)
	if err != nil {
		return nil, 0, err
	}
	var n uint64
	if f.big {
		n = f.order.Uint64(b)
	} else {
		n = uint64(f.order.Uint16(b))
	}
	if n > 4096 {
		return nil, 0, fmt.Errorf("%w: %s: an IFD of %d entries", ErrFormat, f.src.Name(), n)
	}
	body, err := f.bytesAt(ctx, off+countSize, n*entrySize+inlineCap)
	if err != nil {
		return nil, 0, err
	}
	tags := make(map[uint16]field, n)
	for i := range n {
		e := body[i*entrySize:]
		fl := field{typ: f.order.Uint16(e[2:])}
		var val []byte
		if f.big {
			fl.count, val = f.order.Uint64(e[4:]), e[12:20]
		} else {
			fl.count, val = uint64(f.order.Uint32(e[4:])), e[8:12]
		}
		size := uint64(typeSize(fl.typ))
		if size == 0 {
			continue // unknown type: not a tag we need
		}
		if fl.count*size <= inlineCap {
			fl.inline = val[:fl.count*size]
		} else if f.big {
			fl.off = f.order.Uint64(val)
		} else {
			fl.off = uint64(f.order.Uint32(val))
		}
		tags[f.order.Uint16(e)] = fl
	}
	nb := body[n*entrySize:]
	if f.big {
		return tags, f.order.Uint64(nb), nil
	}
	return tags, uint64(f.order.Uint32(nb)), nil
}

// raw returns the bytes of a field's value.
func (f *File) raw(ctx context.Context, fl field) ([]byte, error) {
	if fl.inline != nil || fl.count == 0 {
		return fl.inline, nil
	}
	return f.bytesAt(ctx, fl.off, fl.count*uint64(typeSize(fl.typ)))
}

// uints reads an integer field.
func (f *File) uints(ctx context.Context, fl field) ([]uint64, error) {
	b, err := f.raw(ctx, fl)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, fl.count)
	for i := range out {
		switch fl.typ {
		case typeByte, typeUndef:
			out[i] = uint64(b[i])
		case typeShort:
			out[i] = uint64(f.order.Uint16(b[2*i:]))
		case typeLong, typeIFD:
			out[i] = uint64(f.order.Uint32(b[4*i:]))
		case typeLong8, typeIFD8:
			out[i] = f.order.Uint64(b[8*i:])
		default:
			return nil, fmt.Errorf("%w: %s: an integer field of type %d", ErrFormat, f.src.Name(), fl.typ)
		}
	}
	return out, nil
}

func (f *File) uint(ctx context.Context, tags map[uint16]field, tag uint16, def uint64) (uint64, error) {
	fl, ok := tags[tag]
	if !ok {
		return def, nil
	}
	v, err := f.uints(ctx, fl)
	if err != nil || len(v) == 0 {
		return def, err
	}
	return v[0], nil
}

func (f *File) doubles(ctx context.Context, fl field) ([]float64, error) {
	if fl.typ != typeDouble {
		return nil, fmt.Errorf("%w: %s: expected doubles, got type %d", ErrFormat, f.src.Name(), fl.typ)
	}
	b, err := f.raw(ctx, fl)
	if err != nil {
		return nil, err
	}
	out := make([]float64, fl.count)
	for i := range out {
		out[i] = math.Float64frombits(f.order.Uint64(b[8*i:]))
	}
	return out, nil
}

func (f *File) level(ctx context.Context, tags map[uint16]field) (*Level, DataType, error) {
	name := f.src.Name()
	get := func(tag uint16, def uint64) uint64 {
		v, _ := f.uint(ctx, tags, tag, def)
		return v
	}
	l := &Level{
		Width: int(get(tagImageWidth, 0)), Height: int(get(tagImageLength, 0)),
		compression: uint16(get(tagCompression, 1)), predictor: uint16(get(tagPredictor, 1)),
		samples: int(get(tagSamplesPerPixel, 1)),
	}
	if l.Width <= 0 || l.Height <= 0 || l.Width > 1<<24 || l.Height > 1<<24 {
		return nil, 0, fmt.Errorf("%w: %s: image size %d×%d", ErrFormat, name, l.Width, l.Height)
	}
	bits, sf := uint16(get(tagBitsPerSample, 1)), uint16(get(tagSampleFormat, 1))
	dt := dataTypeOf(sf, bits)
	if dt == 0 {
		return nil, 0, fmt.Errorf("%w: %s: %d-bit samples of format %d", ErrFormat, name, bits, sf)
	}
	switch l.compression {
	case compressionNone, compressionDeflate, compressionAdobeDeflate:
	default:
		return nil, 0, fmt.Errorf("%w: %s: compression %d (this reader knows none and DEFLATE)", ErrFormat, name, l.compression)
	}
	switch l.predictor {
	case predictorNone, predictorHorizontal, predictorFloat:
	default:
		return nil, 0, fmt.Errorf("%w: %s: predictor %d", ErrFormat, name, l.predictor)
	}
	if get(tagPlanarConfig, 1) != 1 && l.samples > 1 {
		return nil, 0, fmt.Errorf("%w: %s: separate planes", ErrFormat, name)
	}
	if tw, ok := tags[tagTileWidth]; ok {
		_ = tw
		l.tileW, l.tileH = int(get(tagTileWidth, 0)), int(get(tagTileLength, 0))
		l.offField, l.countField = tags[tagTileOffsets], tags[tagTileByteCounts]
	} else {
		l.tileW, l.tileH = l.Width, int(min(get(tagRowsPerStrip, uint64(l.Height)), uint64(l.Height)))
		l.offField, l.countField = tags[tagStripOffsets], tags[tagStripByteCounts]
	}
	if l.tileW <= 0 || l.tileH <= 0 || l.tileW > 1<<16 || l.tileH > 1<<24 || int64(l.tileW)*int64(l.tileH) > 1<<26 {
		return nil, 0, fmt.Errorf("%w: %s: tile size %d×%d", ErrFormat, name, l.tileW, l.tileH)
	}
	l.across = (l.Width + l.tileW - 1) / l.tileW
	l.down = (l.Height + l.tileH - 1) / l.tileH
	if n := uint64(l.across * l.down); l.offField.count != n || l.countField.count != n {
		return nil, 0, fmt.Errorf("%w: %s: %d tile offsets and %d byte counts for %d tiles", ErrFormat, name, l.offField.count, l.countField.count, n)
	}
	return l, dt, nil
}

func (f *File) readGeo(ctx context.Context, tags map[uint16]field) error {
	g := Geo{DX: 1, DY: 1}
	if fl, ok := tags[tagModelTransform]; ok {
		m, err := f.doubles(ctx, fl)
		if err != nil || len(m) < 16 {
			return fmt.Errorf("%w: %s: bad ModelTransformation", ErrFormat, f.src.Name())
		}
		if m[1] != 0 || m[4] != 0 {
			return fmt.Errorf("%w: %s: a rotated image", ErrFormat, f.src.Name())
		}
		g.DX, g.X0, g.DY, g.Y0 = m[0], m[3], -m[5], m[7]
	} else if sc, ok := tags[tagModelPixelScale]; ok {
		s, err := f.doubles(ctx, sc)
		if err != nil || len(s) < 2 {
			return fmt.Errorf("%w: %s: bad ModelPixelScale", ErrFormat, f.src.Name())
		}
		t := []float64{0, 0, 0, 0, 0, 0}
		if tp, ok := tags[tagModelTiepoint]; ok {
			if t, err = f.doubles(ctx, tp); err != nil || len(t) < 6 {
				return fmt.Errorf("%w: %s: bad ModelTiepoint", ErrFormat, f.src.Name())
			}
		}
		g.DX, g.DY = s[0], s[1]
		g.X0, g.Y0 = t[3]-t[0]*g.DX, t[4]+t[1]*g.DY
	}
	if fl, ok := tags[tagGeoKeyDirectory]; ok {
		keys, err := f.uints(ctx, fl)
		if err != nil {
			return err
		}
		for i := 4; i+3 < len(keys); i += 4 {
			key, loc, val := keys[i], keys[i+1], keys[i+3]
			if loc != 0 {
				continue
			}
			switch key {
			case 3072, 2048:
				if val != 32767 && (g.EPSG == 0 || key == 3072) {
					g.EPSG = int(val)
				}
			case 1025:
				if val == 2 { // RasterPixelIsPoint: the tie point is a pixel centre
					g.X0 -= g.DX / 2
					g.Y0 += g.DY / 2
				}
			}
		}
	}
	f.Geo = g
	if fl, ok := tags[tagGDALNoData]; ok && fl.typ == typeASCII {
		b, err := f.raw(ctx, fl)
		if err != nil {
			return err
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimRight(string(b), "\x00")), 64); err == nil {
			f.NoData = &v
		}
	}
	return nil
}

// LevelFor returns the coarsest level whose pixels are no larger than res (in the
// file's CRS units along x), or 0.
func (f *File) LevelFor(res float64) int {
	best := 0
	for i, l := range f.Levels {
		if l.Geo.DX <= res*(1+1e-9) {
			best = i
		}
	}
	return best
}

// Window returns the pixel window of level li covering bounds (minX, minY, maxX,
// maxY in the file's CRS), clipped to the image; w or h is 0 when they do not meet.
func (f *File) Window(li int, bounds [4]float64) (col0, row0, w, h int) {
	l := f.Levels[li]
	g := l.Geo
	c0 := int(math.Floor((bounds[0] - g.X0) / g.DX))
	c1 := int(math.Ceil((bounds[2] - g.X0) / g.DX))
	r0 := int(math.Floor((g.Y0 - bounds[3]) / g.DY))
	r1 := int(math.Ceil((g.Y0 - bounds[1]) / g.DY))
	c0, r0 = max(c0, 0), max(r0, 0)
	c1, r1 = min(c1, l.Width), min(r1, l.Height)
	if c1 <= c0 || r1 <= r0 {
		return 0, 0, 0, 0
	}
	return c0, r0, c1 - c0, r1 - r0
}

// Image is a window of a file as float32 values.
type Image struct {
	Width, Height int
	Data          []float32 // row by row; NaN where the file holds NoData
	Geo           Geo
}

// ReadBounds reads the window of level li that covers bounds.
func (f *File) ReadBounds(ctx context.Context, li int, bounds [4]float64) (*Image, error) {
	c0, r0, w, h := f.Window(li, bounds)
	if w == 0 {
		return nil, fmt.Errorf("cog: %s does not cover %v", f.src.Name(), bounds)
	}
	return f.Read(ctx, li, c0, r0, w, h)
}

// Read reads the window (col0, row0, w, h) of level li, which must lie inside it.
func (f *File) Read(ctx context.Context, li, col0, row0, w, h int) (*Image, error) {
	if li < 0 || li >= len(f.Levels) {
		return nil, fmt.Errorf("cog: %s has no level %d", f.src.Name(), li)
	}
	l := f.Levels[li]
	if col0 < 0 || row0 < 0 || w <= 0 || h <= 0 || col0+w > l.Width || row0+h > l.Height {
		return nil, fmt.Errorf("cog: window %d,%d %d×%d outside the %d×%d image", col0, row0, w, h, l.Width, l.Height)
	}
	if err := f.loadOffsets(ctx, l); err != nil {
		return nil, err
	}
	tx0, tx1 := col0/l.tileW, (col0+w-1)/l.tileW
	ty0, ty1 := row0/l.tileH, (row0+h-1)/l.tileH
	var want []int
	for ty := ty0; ty <= ty1; ty++ {
		for tx := tx0; tx <= tx1; tx++ {
			want = append(want, ty*l.across+tx)
		}
	}
	tiles, err := f.tiles(ctx, li, l, want)
	if err != nil {
		return nil, err
	}
	g := l.Geo
	img := &Image{Width: w, Height: h, Data: make([]float32, w*h),
		Geo: Geo{EPSG: g.EPSG, X0: g.X0 + float64(col0)*g.DX, Y0: g.Y0 - float64(row0)*g.DY, DX: g.DX, DY: g.DY}}
	for k, idx := range want {
		t := tiles[k]
		tc0, tr0 := (idx%l.across)*l.tileW, (idx/l.across)*l.tileH
		for r := max(row0, tr0); r < min(row0+h, tr0+l.tileH); r++ {
			c0, c1 := max(col0, tc0), min(col0+w, tc0+l.tileW)
			copy(img.Data[(r-row0)*w+(c0-col0):(r-row0)*w+(c1-col0)], t[(r-tr0)*l.tileW+(c0-tc0):])
		}
	}
	return img, nil
}

func (f *File) loadOffsets(ctx context.Context, l *Level) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.offsets != nil {
		return nil
	}
	offs, err := f.uints(ctx, l.offField)
	if err != nil {
		return err
	}
	counts, err := f.uints(ctx, l.countField)
	if err != nil {
		return err
	}
	l.offsets, l.counts = offs, counts
	return nil
}

// tiles returns the decoded tiles idx of level li, fetching the missing ones with
// merged range requests.
func (f *File) tiles(ctx context.Context, li int, l *Level, idx []int) ([][]float32, error) {
	out := make([][]float32, len(idx))
	type need struct {
		k         int
		off, size int64
	}
	var missing []need
	for k, i := range idx {
		if t := f.cache.get(tileKey{li, i}); t != nil {
			out[k] = t
			continue
		}
		if l.counts[i] == 0 { // a sparse tile: all NoData
			out[k] = f.emptyTile(l)
			continue
		}
		missing = append(missing, need{k: k, off: int64(l.offsets[i]), size: int64(l.counts[i])})
	}
	if len(missing) == 0 {
		return out, nil
	}
	sort.Slice(missing, func(a, b int) bool { return missing[a].off < missing[b].off })
	type group struct {
		off, end int64
		members  []need
	}
	var groups []*group
	for _, m := range missing {
		if n := len(groups); n > 0 && m.off <= groups[n-1].end+f.cache.opts.MaxMergeGap && m.off >= groups[n-1].off {
			g := groups[n-1]
			g.end = max(g.end, m.off+m.size)
			g.members = append(g.members, m)
			continue
		}
		groups = append(groups, &group{off: m.off, end: m.off + m.size, members: []need{m}})
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, f.cache.opts.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b, err := f.src.ReadRange(ctx, g.off, g.end-g.off)
			if err == nil && int64(len(b)) < g.end-g.off {
				err = fmt.Errorf("%w: %s is truncated", ErrFormat, f.src.Name())
			}
			for _, m := range g.members {
				if err != nil {
					break
				}
				var t []float32
				t, err = f.decode(l, idx[m.k], b[m.off-g.off:m.off-g.off+m.size])
				if err == nil {
					f.cache.put(tileKey{li, idx[m.k]}, t)
					mu.Lock()
					out[m.k] = t
					mu.Unlock()
				}
			}
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func (f *File) emptyTile(l *Level) []float32 {
	t := make([]float32, l.tileW*l.tileH)
	nan := float32(math.NaN())
	for i := range t {
		t[i] = nan
	}
	return t
}

// decode turns a stored tile into float32 values (NaN for NoData). Rows beyond the
// end of a last strip are NaN.
func (f *File) decode(l *Level, idx int, stored []byte) ([]float32, error) {
	size := f.Type.Size()
	rows := l.tileH
	if l.tileW == l.Width && l.across == 1 { // strips: the last one may be short
		rows = min(l.tileH, l.Height-(idx/l.across)*l.tileH)
	}
	rowBytes := l.tileW * l.samples * size
	want := rows * rowBytes
	var b []byte
	switch l.compression {
	case compressionNone:
		b = stored
	default:
		zr, err := zlib.NewReader(bytes.NewReader(stored))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: tile %d: %v", ErrFormat, f.src.Name(), idx, err)
		}
		b = make([]byte, want)
		if _, err := io.ReadFull(zr, b); err != nil {
			return nil, fmt.Errorf("%w: %s: tile %d: %v", ErrFormat, f.src.Name(), idx, err)
		}
	}
	if len(b) < want {
		return nil, fmt.Errorf("%w: %s: tile %d has %d bytes, expected %d", ErrFormat, f.src.Name(), idx, len(b), want)
	}
	order := f.order
	switch l.predictor {
	case predictorHorizontal:
		b = append([]byte(nil), b[:want]...)
		undoHorizontal(b, rows, l.tileW*l.samples, l.samples, size, order)
	case predictorFloat:
		b = undoFloat(b[:want], rows, l.tileW*l.samples, l.samples, size)
		order = binary.LittleEndian
	}
	out := make([]float32, l.tileW*l.tileH)
	nan := float32(math.NaN())
	var nd float64
	hasND := f.NoData != nil
	if hasND {
		nd = *f.NoData
	}
	step := l.samples * size
	for r := range l.tileH {
		for c := range l.tileW {
			i := r*l.tileW + c
			if r >= rows {
				out[i] = nan
				continue
			}
			v := sample(b[r*rowBytes+c*step:], f.Type, order)
			if hasND && v == nd || math.IsNaN(v) {
				out[i] = nan
				continue
			}
			out[i] = float32(v)
		}
	}
	return out, nil
}

func sample(b []byte, t DataType, o binary.ByteOrder) float64 {
	switch t {
	case Uint8:
		return float64(b[0])
	case Int8:
		return float64(int8(b[0]))
	case Uint16:
		return float64(o.Uint16(b))
	case Int16:
		return float64(int16(o.Uint16(b)))
	case Uint32:
		return float64(o.Uint32(b))
	case Int32:
		return float64(int32(o.Uint32(b)))
	case Float32:
		return float64(math.Float32frombits(o.Uint32(b)))
	case Float64:
		return math.Float64frombits(o.Uint64(b))
	}
	return math.NaN()
}

// undoHorizontal reverses predictor 2: each sample is stored as the difference from
// the sample of the same band to its left.
func undoHorizontal(b []byte, rows, perRow, stride, size int, o binary.ByteOrder) {
	rowBytes := perRow * size
	for r := range rows {
		row := b[r*rowBytes : (r+1)*rowBytes]
		for i := stride; i < perRow; i++ {
			switch size {
			case 1:
				row[i] += row[i-stride]
			case 2:
				o.PutUint16(row[2*i:], o.Uint16(row[2*i:])+o.Uint16(row[2*(i-stride):]))
			case 4:
				o.PutUint32(row[4*i:], o.Uint32(row[4*i:])+o.Uint32(row[4*(i-stride):]))
			case 8:
				o.PutUint64(row[8*i:], o.Uint64(row[8*i:])+o.Uint64(row[8*(i-stride):]))
			}
		}
	}
}

// undoFloat reverses predictor 3 (libtiff's fpAcc): byte differences across the row,
// then the bytes of each sample regrouped from planes, most significant first. The
// result is little-endian whatever the file's byte order.
func undoFloat(b []byte, rows, perRow, stride, size int) []byte {
	rowBytes := perRow * size
	out := make([]byte, len(b))
	tmp := make([]byte, rowBytes)
	for r := range rows {
		copy(tmp, b[r*rowBytes:(r+1)*rowBytes])
		for i := stride; i < rowBytes; i++ {
			tmp[i] += tmp[i-stride]
		}
		row := out[r*rowBytes:]
		for i := range perRow {
			for k := range size {
				row[i*size+k] = tmp[(size-1-k)*perRow+i]
			}
		}
	}
	return out
}

type tileKey struct{ level, index int }

// tileCache keeps decoded tiles, least recently used dropped first.
type tileCache struct {
	opts  Options
	mu    sync.Mutex
	tiles map[tileKey][]float32
	order []tileKey
	bytes int64
}

func newTileCache(o Options) *tileCache {
	return &tileCache{opts: o, tiles: map[tileKey][]float32{}}
}

func (c *tileCache) get(k tileKey) []float32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tiles[k]
	if ok {
		for i, o := range c.order {
			if o == k {
				c.order = append(append(c.order[:i:i], c.order[i+1:]...), k)
				break
			}
		}
	}
	return t
}

func (c *tileCache) put(k tileKey, t []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tiles[k]; ok {
		return
	}
	c.tiles[k] = t
	c.order = append(c.order, k)
	c.bytes += int64(len(t)) * 4
	for c.bytes > c.opts.CacheBytes && len(c.order) > 1 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= int64(len(c.tiles[old])) * 4
		delete(c.tiles, old)
	}
}
