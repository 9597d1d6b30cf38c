package raster

import (
	"encoding/binary"
	"fmt"
	"math"
)

// tiffFile is a minimal, independent TIFF/BigTIFF reader for the tests: it decodes the
// first IFD and the tiles of an uncompressed single-band float32 image.
type tiffFile struct {
	big     bool
	ifdOff  uint64
	next    uint64
	tags    map[uint16][]uint64 // integer tags
	doubles map[uint16][]float64
	data    []byte
}

func parseTIFF(b []byte) (*tiffFile, error) {
	le := binary.LittleEndian
	if len(b) < 16 || string(b[:2]) != "II" {
		return nil, fmt.Errorf("not a little-endian TIFF")
	}
	t := &tiffFile{tags: map[uint16][]uint64{}, doubles: map[uint16][]float64{}, data: b}
	var n, entrySize, pos uint64
	switch le.Uint16(b[2:]) {
	case 42:
		t.ifdOff = uint64(le.Uint32(b[4:]))
		n, entrySize, pos = uint64(le.Uint16(b[t.ifdOff:])), 12, t.ifdOff+2
	case 43:
		if le.Uint16(b[4:]) != 8 || le.Uint16(b[6:]) != 0 {
			return nil, fmt.Errorf("bad BigTIFF header")
		}
		t.big = true
		t.ifdOff = le.Uint64(b[8:])
		n, entrySize, pos = le.Uint64(b[t.ifdOff:]), 20, t.ifdOff+8
	default:
		return nil, fmt.Errorf("bad magic")
	}
	var prev uint16
	for i := range n {
		e := b[pos+i*entrySize:]
		tag, typ := le.Uint16(e), le.Uint16(e[2:])
		if i > 0 && tag <= prev {
			return nil, fmt.Errorf("tags not ascending: %d after %d", tag, prev)
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
			return nil, fmt.Errorf("tag %d: unexpected type %d", tag, typ)
		}
		val := field
		if count*size > uint64(len(field)) {
			var off uint64
			if t.big {
				off = le.Uint64(field)
			} else {
				off = uint64(le.Uint32(field))
			}
			if off+count*size > uint64(len(b)) {
				return nil, fmt.Errorf("tag %d: value outside file", tag)
			}
			val = b[off : off+count*size]
		}
		for k := range count {
			v := val[k*size:]
			switch typ {
			case 3:
				t.tags[tag] = append(t.tags[tag], uint64(le.Uint16(v)))
			case 4:
				t.tags[tag] = append(t.tags[tag], uint64(le.Uint32(v)))
			case 16:
				t.tags[tag] = append(t.tags[tag], le.Uint64(v))
			case 12:
				t.doubles[tag] = append(t.doubles[tag], math.Float64frombits(le.Uint64(v)))
			}
		}
	}
	nextPos := pos + n*entrySize
	if t.big {
		t.next = le.Uint64(b[nextPos:])
	} else {
		t.next = uint64(le.Uint32(b[nextPos:]))
	}
	return t, nil
}

func (t *tiffFile) one(tag uint16) uint64 {
	if v := t.tags[tag]; len(v) == 1 {
		return v[0]
	}
	return math.MaxUint64
}

// pixel decodes the float32 at (col,row) through the tile arrays.
func (t *tiffFile) pixel(col, row int) float32 {
	tw, th := int(t.one(tagTileWidth)), int(t.one(tagTileLength))
	across := (int(t.one(tagImageWidth)) + tw - 1) / tw
	i := (row/th)*across + col/tw
	off := t.tags[tagTileOffsets][i] + uint64(((row%th)*tw+col%tw)*4)
	return math.Float32frombits(binary.LittleEndian.Uint32(t.data[off:]))
}
