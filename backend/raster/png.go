package raster

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// MaxThumbnail is the largest accepted maxDim for WritePNG.
const MaxThumbnail = 8192

// WritePNG writes a colour-mapped RGB thumbnail of f: water in blues, bare ground in
// browns, vegetation from yellow to dark green. Its long side is maxDim pixels, or the
// raster's own long side when that is smaller (never upscaled); the short side keeps
// the aspect ratio and is at least 1. Each thumbnail pixel shows the raster pixel at
// its centre.
func (f Field) WritePNG(w io.Writer, maxDim int) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if maxDim < 1 || maxDim > MaxThumbnail {
		return fmt.Errorf("%w: thumbnail size %d outside 1..%d", ErrInvalid, maxDim, MaxThumbnail)
	}
	tw, th := thumbSize(f.Width, f.Height, maxDim)
	img := image.NewRGBA(image.Rect(0, 0, tw, th))
	p := newParams(f.Seed)
	cols := make([]colTerm, tw)
	srcCol := make([]int, tw)
	for x := range tw {
		srcCol[x] = int((int64(2*x+1) * int64(f.Width)) / int64(2*tw))
		cols[x] = p.col(srcCol[x], f.Width)
	}
	vals := make([]byte, 4*tw)
	for y := range th {
		r := int((int64(2*y+1) * int64(f.Height)) / int64(2*th))
		rt := p.row(r, f.Height)
		// Thumbnail columns are not contiguous raster columns, so compute them one by one.
		for x := range tw {
			fillRow(vals[4*x:], cols[x:x+1], &rt, srcCol[x], 1, r, p.noiseSeed)
		}
		line := img.Pix[y*img.Stride:]
		for x := range tw {
			c := colorOf(math.Float32frombits(binary.LittleEndian.Uint32(vals[4*x:])))
			line[4*x], line[4*x+1], line[4*x+2], line[4*x+3] = c.R, c.G, c.B, 255
		}
	}
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, img); err != nil {
		return fmt.Errorf("raster: write png: %w", err)
	}
	return nil
}

func thumbSize(w, h, maxDim int) (int, int) {
	long := max(w, h)
	if long <= maxDim {
		return w, h
	}
	scale := func(n int) int { return max(1, int((int64(n)*int64(maxDim)+int64(long)/2)/int64(long))) }
	return scale(w), scale(h)
}

// ramp is the colour map, by value; colours between stops are interpolated.
var ramp = []struct {
	v float32
	c color.RGBA
}{
	{-0.5, color.RGBA{8, 48, 107, 255}},
	{-0.1, color.RGBA{66, 146, 198, 255}},
	{0.0, color.RGBA{140, 110, 80, 255}},
	{0.2, color.RGBA{191, 160, 110, 255}},
	{0.4, color.RGBA{224, 214, 120, 255}},
	{0.6, color.RGBA{120, 180, 80, 255}},
	{0.8, color.RGBA{40, 120, 50, 255}},
	{1.0, color.RGBA{0, 68, 27, 255}},
}

func colorOf(v float32) color.RGBA {
	if v <= ramp[0].v {
		return ramp[0].c
	}
	for i := 1; i < len(ramp); i++ {
		if v <= ramp[i].v {
			a, b := ramp[i-1], ramp[i]
			t := (v - a.v) / (b.v - a.v)
			mix := func(x, y uint8) uint8 { return uint8(float32(x) + t*(float32(y)-float32(x)) + 0.5) }
			return color.RGBA{mix(a.c.R, b.c.R), mix(a.c.G, b.c.G), mix(a.c.B, b.c.B), 255}
		}
	}
	return ramp[len(ramp)-1].c
}
