package raster

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// TIFF tags the tests look at (written down again, as the TIFF 6.0 and GeoTIFF
// specifications number them, so that the tests do not take the writer's word).
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

	compressionDeflate = 8
)

// tiffFile is a minimal, independent TIFF/BigTIFF reader for the tests: it decodes
// every IFD and the DEFLATE tiles (predictor 2 or 3) of single-band images.
type tiffFile struct {
	big  bool
	ifds []*tiffIFD
	data []byte
}

type tiffIFD struct {
	off     uint64
	tags    map[uint16][]uint64 // integer tags
	doubles map[uint16][]float64
	ascii   map[uint16]string
}

func parseTIFF(b []byte) (*tiffFile, error) {
	le := binary.LittleEndian
	if len(b) < 16 || string(b[:2]) != "II" {
		return nil, fmt.Errorf("not a little-endian TIFF")
	}
	t := &tiffFile{data: b}
	var off uint64
	switch le.Uint16(b[2:]) {
	case 42:
		off = uint64(le.Uint32(b[4:]))
	case 43:
		if le.Uint16(b[4:]) != 8 || le.Uint16(b[6:]) != 0 {
			return nil, fmt.Errorf("bad BigTIFF header")
		}
		t.big = true
		off = le.Uint64(b[8:])
	default:
		return nil, fmt.Errorf("bad magic")
	}
	for off != 0 {
		if len(t.ifds) > 64 || off >= uint64(len(b)) {
			return nil, fmt.Errorf("bad IFD chain at %d", off)
		}
		d, next, err := t.parseIFD(off)
		if err != nil {
			return nil, err
		}
		t.ifds = append(t.ifds, d)
		off = next
	}
	return t, nil
}

func (t *tiffFile) parseIFD(off uint64) (*tiffIFD, uint64, error) {
	le, b := binary.LittleEndian, t.data
	d := &tiffIFD{off: off, tags: map[uint16][]uint64{}, doubles: map[uint16][]float64{}, ascii: map[uint16]string{}}
	var n, entrySize, pos uint64
	if t.big {
		n, entrySize, pos = le.Uint64(b[off:]), 20, off+8
	} else {
		n, entrySize, pos = uint64(le.Uint16(b[off:])), 12, off+2
	}
	var prev uint16
	for i := range n {
		e := b[pos+i*entrySize:]
		tag, typ := le.Uint16(e), le.Uint16(e[2:])
		if i > 0 && tag <= prev {
			return nil, 0, fmt.Errorf("tags not ascending: %d after %d", tag, prev)
		}
		prev = tag
		var count uint64
		var field []byte
		if t.big {
			count, field = le.Uint64(e[4:]), e[12:20]
		} else {
			count, field = uint64(le.Uint32(e[4:])), e[8:12]
		}
		size := map[uint16]uint64{2: 1, 3: 2, 4: 4, 12: 8, 16: 8}[typ]
		if size == 0 {
			return nil, 0, fmt.Errorf("tag %d: unexpected type %d", tag, typ)
		}
		val := field
		if count*size > uint64(len(field)) {
			var voff uint64
			if t.big {
				voff = le.Uint64(field)
			} else {
				voff = uint64(le.Uint32(field))
			}
			if voff+count*size > uint64(len(b)) {
				return nil, 0, fmt.Errorf("tag %d: value outside file", tag)
			}
			val = b[voff : voff+count*size]
		}
		if typ == 2 {
			d.ascii[tag] = string(bytes.TrimRight(val[:count], "\x00"))
			continue
		}
		for k := range count {
			v := val[k*size:]
			switch typ {
			case 3:
				d.tags[tag] = append(d.tags[tag], uint64(le.Uint16(v)))
			case 4:
				d.tags[tag] = append(d.tags[tag], uint64(le.Uint32(v)))
			case 16:
				d.tags[tag] = append(d.tags[tag], le.Uint64(v))
			case 12:
				d.doubles[tag] = append(d.doubles[tag], math.Float64frombits(le.Uint64(v)))
			}
		}
	}
	nextPos := pos + n*entrySize
	if t.big {
		return d, le.Uint64(b[nextPos:]), nil
	}
	return d, uint64(le.Uint32(b[nextPos:])), nil
}

func (d *tiffIFD) one(tag uint16) uint64 {
	if v := d.tags[tag]; len(v) == 1 {
		return v[0]
	}
	return math.MaxUint64
}

// decode returns the samples of IFD i, row-major, unpadded, each as float64.
func (t *tiffFile) decode(i int) ([]float64, error) {
	d := t.ifds[i]
	w, h := int(d.one(tagImageWidth)), int(d.one(tagImageLength))
	tw, th := int(d.one(tagTileWidth)), int(d.one(tagTileLength))
	ss := int(d.one(tagBitsPerSample)) / 8
	if d.one(tagCompression) != compressionDeflate {
		return nil, fmt.Errorf("compression %d", d.one(tagCompression))
	}
	across := (w + tw - 1) / tw
	offs, counts := d.tags[tagTileOffsets], d.tags[tagTileByteCounts]
	out := make([]float64, w*h)
	for k := range offs {
		zr, err := zlib.NewReader(bytes.NewReader(t.data[offs[k] : offs[k]+counts[k]]))
		if err != nil {
			return nil, fmt.Errorf("tile %d: %w", k, err)
		}
		tile, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("tile %d: %w", k, err)
		}
		if len(tile) != tw*th*ss {
			return nil, fmt.Errorf("tile %d: %d bytes, want %d", k, len(tile), tw*th*ss)
		}
		tx, ty := k%across, k/across
		for r := range th {
			line := tile[r*tw*ss : (r+1)*tw*ss]
			switch d.one(tagPredictor) {
			case 2:
				for j := 1; j < len(line); j++ {
					line[j] += line[j-1]
				}
			case 3: // undo the differences, then the byte planes (most significant first)
				for j := 1; j < len(line); j++ {
					line[j] += line[j-1]
				}
				planes := append([]byte(nil), line...)
				for j := range tw {
					for p := range ss {
						line[j*ss+ss-1-p] = planes[p*tw+j]
					}
				}
			}
			row := ty*th + r
			for j := range tw {
				col := tx*tw + j
				if row >= h || col >= w {
					continue
				}
				if ss == 4 {
					out[row*w+col] = float64(math.Float32frombits(binary.LittleEndian.Uint32(line[j*4:])))
				} else {
					out[row*w+col] = float64(line[j])
				}
			}
		}
	}
	return out, nil
}
