package raster

import (
	"bytes"
	"errors"
	"image/png"
	"io"
	"testing"
)

func TestWritePNG(t *testing.T) {
	for _, tc := range []struct {
		f      Field
		maxDim int
		w, h   int
	}{
		{testField, 256, 256, 123},
		{Field{BBox: [4]float64{0, 0, 1, 2}, Width: 300, Height: 3000, Seed: 2}, 100, 10, 100},
		{Field{BBox: [4]float64{0, 0, 1, 1}, Width: 40, Height: 30, Seed: 2}, 512, 40, 30}, // never upscaled
		{Field{BBox: [4]float64{0, 0, 1, 1}, Width: 5000, Height: 1, Seed: 2}, 64, 64, 1},
	} {
		var buf bytes.Buffer
		if err := tc.f.WritePNG(&buf, tc.maxDim); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%dx%d at %d: thumbnail %dx%d, want %dx%d", tc.f.Width, tc.f.Height, tc.maxDim, b.Dx(), b.Dy(), tc.w, tc.h)
		}
	}
}

func TestWritePNGColours(t *testing.T) {
	// At full size each thumbnail pixel is one raster pixel: water must be blue, land not.
	f := Field{BBox: [4]float64{0, 0, 1, 1}, Width: 200, Height: 200, Seed: 4}
	var buf bytes.Buffer
	if err := f.WritePNG(&buf, 200); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var water int
	for y := range f.Height {
		for x := range f.Width {
			r, g, b, _ := img.At(x, y).RGBA()
			blue := b > r && b > g
			if isWater := f.Value(x, y) < 0; blue != isWater {
				t.Fatalf("pixel (%d,%d) value %v has colour %d,%d,%d", x, y, f.Value(x, y), r>>8, g>>8, b>>8)
			}
			if blue {
				water++
			}
		}
	}
	if water == 0 {
		t.Error("no water in the thumbnail")
	}
}

func TestWritePNGRejectsBadSize(t *testing.T) {
	for _, d := range []int{0, -1, MaxThumbnail + 1} {
		if err := testField.WritePNG(io.Discard, d); !errors.Is(err, ErrInvalid) {
			t.Errorf("maxDim %d: err = %v, want ErrInvalid", d, err)
		}
	}
}
