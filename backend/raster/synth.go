package raster

import (
	"encoding/binary"
	"math"
)

// The field is a sum of terms that are separable in column and row, so a writer
// computes the expensive parts (sines) once per column and once per row and combines
// them per pixel with a few multiplications and one integer hash.

const hills = 3

// params are the seed-derived shape parameters, in normalised coordinates
// u = (col+0.5)/Width, v = (row+0.5)/Height, both in 0..1 (v grows southwards).
type params struct {
	amp, fu, pu, fv, pv [hills]float64 // hills: amp · sin(2π(fu·u+pu)) · sin(2π(fv·v+pv))
	gu, gv              float64        // linear gradients
	riverU, riverA      float64        // river centre u = riverU + riverA·sin(2π(riverF·v+riverP))
	riverF, riverP      float64
	riverW              float64 // river half-width in u
	lakeU, lakeV        float64 // lake centre
	lakeRU, lakeRV      float64 // lake radii
	noiseSeed           uint32
}

// colTerm and rowTerm hold the per-column and per-row parts of a pixel.
type colTerm struct {
	h    [hills]float32
	add  float32 // gradient in u
	u    float32
	lake float32 // ((u-lakeU)/lakeRU)²
}

type rowTerm struct {
	h    [hills]float32
	add  float32 // gradient in v
	uc   float32 // river centre
	w    float32 // river half-width
	lake float32 // ((v-lakeV)/lakeRV)²
	invW float32
}

// splitmix64 is a tiny deterministic generator for the parameters.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a number in lo..hi.
func (s *splitmix64) float(lo, hi float64) float64 {
	return lo + (hi-lo)*float64(s.next()>>11)/(1<<53)
}

func newParams(seed int64) params {
	s := splitmix64(seed)
	var p params
	for k := range hills {
		p.amp[k] = s.float(0.08, 0.2) / float64(k+1)
		p.fu[k] = s.float(0.6, 2.2) * float64(k+1)
		p.fv[k] = s.float(0.6, 2.2) * float64(k+1)
		p.pu[k] = s.float(0, 1)
		p.pv[k] = s.float(0, 1)
	}
	p.gu = s.float(-0.12, 0.12)
	p.gv = s.float(-0.12, 0.12)
	p.riverU = s.float(0.3, 0.7)
	p.riverA = s.float(0.05, 0.15)
	p.riverF = s.float(0.8, 2.0)
	p.riverP = s.float(0, 1)
	p.riverW = s.float(0.008, 0.02)
	p.lakeU = s.float(0.15, 0.85)
	p.lakeV = s.float(0.15, 0.85)
	p.lakeRU = s.float(0.04, 0.1)
	p.lakeRV = s.float(0.04, 0.1)
	p.noiseSeed = uint32(s.next())
	return p
}

func sin2pi(x float64) float64 { return math.Sin(2 * math.Pi * x) }

func (p *params) col(c, width int) colTerm {
	u := (float64(c) + 0.5) / float64(width)
	var t colTerm
	for k := range hills {
		t.h[k] = float32(p.amp[k] * sin2pi(p.fu[k]*u+p.pu[k]))
	}
	t.add = float32(p.gu * (u - 0.5))
	t.u = float32(u)
	d := (u - p.lakeU) / p.lakeRU
	t.lake = float32(d * d)
	return t
}

func (p *params) row(r, height int) rowTerm {
	v := (float64(r) + 0.5) / float64(height)
	var t rowTerm
	for k := range hills {
		t.h[k] = float32(sin2pi(p.fv[k]*v + p.pv[k]))
	}
	t.add = float32(p.gv * (v - 0.5))
	t.uc = float32(p.riverU + p.riverA*sin2pi(p.riverF*v+p.riverP) + 0.03*p.riverA*sin2pi(7*v))
	w := p.riverW * (1 + 0.3*sin2pi(3*v+p.riverP))
	t.w = float32(w)
	t.invW = float32(1 / w)
	d := (v - p.lakeV) / p.lakeRV
	t.lake = float32(d * d)
	return t
}

// noiseRow is the per-row part of the noise hash; noise mixes in the column.
func noiseRow(r int, seed uint32) uint32 { return uint32(r)*0x85ebca77 ^ seed }

// noise is a hash of the pixel position in -1..1.
func noise(c int, row uint32) float32 {
	x := uint32(c)*0x9e3779b1 ^ row
	x ^= x >> 15
	x *= 0x2c1b3c6d
	x ^= x >> 13
	return float32(int32(x)) * (1.0 / (1 << 31))
}

// fillRow writes the little-endian float32 values of the pixels (c0+j·step, r) for
// every cols[j] to line. It is the only place pixel values are computed, so Value, the GeoTIFF
// and the PNG agree bit for bit; each product is converted explicitly so the compiler
// cannot fuse it into a multiply-add.
func fillRow(line []byte, cols []colTerm, rt *rowTerm, c0, step, r int, seed uint32) {
	line = line[:4*len(cols)]
	nr := noiseRow(r, seed)
	h0, h1, h2 := rt.h[0], rt.h[1], rt.h[2]
	base := float32(0.5) + rt.add
	for j := range cols {
		ct := &cols[j]
		n := noise(c0+j*step, nr)
		d := ct.u - rt.uc
		if d < 0 {
			d = -d
		}
		var v float32
		switch {
		case d < rt.w:
			t := float32(d * rt.invW)
			v = float32(-0.35) + float32(float32(0.25*t)*t) + float32(0.02*n)
		case ct.lake+rt.lake < 1:
			v = float32(-0.42) + float32(0.3*(ct.lake+rt.lake)) + float32(0.02*n)
		default:
			v = base + ct.add + float32(ct.h[0]*h0) + float32(ct.h[1]*h1) + float32(ct.h[2]*h2)
			if d < 3*rt.w { // a greener strip along the banks
				v += 0.12
			}
			v += float32(0.05 * n)
			v = min(max(v, -1), 1)
		}
		binary.LittleEndian.PutUint32(line[4*j:4*j+4], math.Float32bits(v))
	}
}

// pixel computes one value through fillRow.
func pixel(ct colTerm, rt rowTerm, c, r int, seed uint32) float32 {
	var b [4]byte
	fillRow(b[:], []colTerm{ct}, &rt, c, 1, r, seed)
	return math.Float32frombits(binary.LittleEndian.Uint32(b[:]))
}
