package cog_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/raster"
)

// pattern is a deterministic value for a pixel of a level: the writer's Pixels and the
// test's expectation.
func pattern(level, col, row int) float64 {
	return float64((col*7+row*13+level*1000)%60000) + 0.25*float64(level)
}

func patternSpec(w, h int, t cog.DataType) cog.Spec {
	return cog.Spec{
		Width: w, Height: h, Type: t, TileSize: 64,
		Geo: cog.Geo{EPSG: 32631, X0: 500000, Y0: 5000000, DX: 10, DY: 10},
		Pixels: func(level, c0, r0, w, h int, dst []float64) {
			for r := range h {
				for c := range w {
					dst[r*w+c] = pattern(level, c0+c, r0+r)
				}
			}
		},
	}
}

func expect(t cog.DataType, level, col, row int) float32 {
	v := pattern(level, col, row)
	switch t {
	case cog.Uint8:
		return float32(min(math.Round(v), 255))
	case cog.Uint16, cog.Int32:
		return float32(math.Round(v))
	case cog.Int16:
		return float32(min(math.Round(v), math.MaxInt16))
	}
	return float32(v)
}

func open(t *testing.T, v *cog.Virtual) (*cog.File, *cog.ReaderAtSource) {
	t.Helper()
	src := &cog.ReaderAtSource{R: v, Label: "virtual"}
	f, err := cog.Open(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f, src
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		name    string
		typ     cog.DataType
		deflate bool
		big     bool
	}{
		{"uint16", cog.Uint16, false, false},
		{"uint16-deflate", cog.Uint16, true, false},
		{"uint8-deflate", cog.Uint8, true, false},
		{"int16-deflate", cog.Int16, true, false},
		{"float32", cog.Float32, false, false},
		{"float32-deflate", cog.Float32, true, false},
		{"float64-deflate-bigtiff", cog.Float64, true, true},
		{"int32-bigtiff", cog.Int32, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := patternSpec(300, 170, tc.typ)
			spec.Deflate, spec.BigTIFF = tc.deflate, tc.big
			v, err := cog.NewVirtual(spec)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := open(t, v)
			if f.Type != tc.typ {
				t.Fatalf("type %v, want %v", f.Type, tc.typ)
			}
			// 300×170 with 64-pixel tiles: 150×85, 75×43, 38×22.
			if len(f.Levels) != 4 || f.Levels[3].Width != 38 || f.Levels[3].Height != 22 {
				t.Fatalf("levels: %d, last %d×%d", len(f.Levels), f.Levels[len(f.Levels)-1].Width, f.Levels[len(f.Levels)-1].Height)
			}
			if f.Geo != spec.Geo {
				t.Fatalf("geo %+v, want %+v", f.Geo, spec.Geo)
			}
			if g := f.Levels[1].Geo; g.DX != 20 || g.DY != 10*170.0/85 {
				t.Fatalf("overview geo %+v", g)
			}
			for li, l := range f.Levels {
				// A window across tile edges, and the whole level.
				for _, win := range [][4]int{{l.Width / 3, l.Height / 4, l.Width / 2, l.Height / 2}, {0, 0, l.Width, l.Height}} {
					img, err := f.Read(context.Background(), li, win[0], win[1], win[2], win[3])
					if err != nil {
						t.Fatal(err)
					}
					for r := range img.Height {
						for c := range img.Width {
							got, want := img.Data[r*img.Width+c], expect(tc.typ, li, win[0]+c, win[1]+r)
							if got != want {
								t.Fatalf("level %d pixel %d,%d: %v, want %v", li, win[0]+c, win[1]+r, got, want)
							}
						}
					}
				}
			}
		})
	}
}

func TestDeflateIsSmaller(t *testing.T) {
	spec := patternSpec(256, 256, cog.Uint16)
	plain, _ := cog.NewVirtual(spec)
	spec.Deflate = true
	packed, _ := cog.NewVirtual(spec)
	if packed.Size()*2 > plain.Size() {
		t.Fatalf("deflate %d bytes, plain %d", packed.Size(), plain.Size())
	}
}

func TestNoDataIsNaN(t *testing.T) {
	nd := 0.0
	spec := patternSpec(100, 100, cog.Uint16)
	spec.NoData = &nd
	spec.Pixels = func(level, c0, r0, w, h int, dst []float64) {
		for i := range dst {
			dst[i] = float64(i % 3) // every third pixel is NoData
		}
	}
	v, _ := cog.NewVirtual(spec)
	f, _ := open(t, v)
	if f.NoData == nil || *f.NoData != 0 {
		t.Fatalf("nodata %v", f.NoData)
	}
	img, err := f.Read(context.Background(), 0, 0, 0, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(img.Data[0])) || img.Data[1] != 1 || img.Data[2] != 2 {
		t.Fatalf("row %v", img.Data[:3])
	}
}

// The writer of backend/raster (uncompressed Float32 tiles, no overviews) reads back
// as the field's values.
func TestReadsRasterGeoTIFF(t *testing.T) {
	fld := raster.Field{BBox: [4]float64{5, 45, 6.5, 46}, Width: 700, Height: 530, Seed: 9}
	var buf bytes.Buffer
	if err := fld.WriteGeoTIFF(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := cog.Open(context.Background(), &cog.ReaderAtSource{R: bytes.NewReader(buf.Bytes()), Label: "field"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Geo.EPSG != 4326 || f.Geo.X0 != 5 || f.Geo.Y0 != 46 || math.Abs(f.Geo.DX-1.5/700) > 1e-15 {
		t.Fatalf("geo %+v", f.Geo)
	}
	img, err := f.ReadBounds(context.Background(), 0, [4]float64{5.5, 45.2, 6, 45.7})
	if err != nil {
		t.Fatal(err)
	}
	c0 := int(math.Round((img.Geo.X0 - 5) / f.Geo.DX))
	r0 := int(math.Round((46 - img.Geo.Y0) / f.Geo.DY))
	for r := 0; r < img.Height; r += 7 {
		for c := 0; c < img.Width; c += 5 {
			if got, want := img.Data[r*img.Width+c], fld.Value(c0+c, r0+r); got != want {
				t.Fatalf("pixel %d,%d: %v, want %v", c0+c, r0+r, got, want)
			}
		}
	}
}

// A small window of a large file served over HTTP reads a small part of it, in few
// requests, and a second read of it comes from the cache.
func TestHTTPReadsOnlyTheWindow(t *testing.T) {
	spec := patternSpec(10980, 10980, cog.Uint16)
	spec.TileSize = 512
	v, err := cog.NewVirtual(spec)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "scene.tif", time.Time{}, v.Reader())
	}))
	defer hs.Close()
	src := &cog.HTTPSource{URL: hs.URL}
	f, err := cog.Open(context.Background(), src, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A quarter of the width and of the height: 1/16 of the scene.
	q := 10980 / 4
	img, err := f.Read(context.Background(), 0, 4000, 5000, q, q)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := img.Data[len(img.Data)-1], expect(cog.Uint16, 0, 4000+q-1, 5000+q-1); got != want {
		t.Fatalf("last pixel %v, want %v", got, want)
	}
	read, reqs := src.Stats.BytesRead.Load(), src.Stats.Requests.Load()
	t.Logf("1/16 window of a %d-byte file: %d bytes (%.1f%%) in %d requests", v.Size(), read, 100*float64(read)/float64(v.Size()), reqs)
	if read*8 >= v.Size() {
		t.Fatalf("read %d bytes of %d, not under 1/8", read, v.Size())
	}
	// Tiles 7..13 across, 9..15 down: 7 rows of adjacent tiles, one request each, plus the header.
	if reqs > 1+7 {
		t.Fatalf("%d requests: adjacent tiles were not merged", reqs)
	}
	if _, err := f.Read(context.Background(), 0, 4100, 5100, 1000, 1000); err != nil {
		t.Fatal(err)
	}
	if src.Stats.BytesRead.Load() != read {
		t.Fatalf("a window inside the first one was fetched again")
	}
	// An overview is picked for a coarse resolution and reads less.
	li := f.LevelFor(80)
	if li != 3 {
		t.Fatalf("level for 80 m: %d", li)
	}
}

func TestServerWithoutRanges(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("II*\x00 whole file"))
	}))
	defer hs.Close()
	_, err := cog.Open(context.Background(), &cog.HTTPSource{URL: hs.URL}, nil)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("range requests")) {
		t.Fatalf("err %v", err)
	}
}

// The COGs backend/raster writes (DEFLATE with predictors, overviews decimated) read
// back pixel for pixel at every level.
func TestReadsRasterWriteCOG(t *testing.T) {
	for _, typ := range []raster.SampleType{raster.Float32, raster.Uint8} {
		img := raster.Image{Width: 1300, Height: 700, BBox: [4]float64{5, 45, 6.3, 45.7}, Type: typ, NoData: "255"}
		if typ == raster.Float32 {
			img.NoData = "nan"
		}
		val := func(c, r int) float32 {
			if typ == raster.Uint8 {
				return float32((c/7 + r/5) % 200)
			}
			return float32(c)*0.25 - float32(r)*0.5
		}
		src := raster.SourceFunc(func(dst []byte, w raster.Window) error {
			k := 0
			for i := range w.Rows {
				for j := range w.Cols {
					v := val(w.Col+j*w.Step, w.Row+i*w.Step)
					if typ == raster.Uint8 {
						dst[k] = uint8(v)
						k++
					} else {
						binary.LittleEndian.PutUint32(dst[k:], math.Float32bits(v))
						k += 4
					}
				}
			}
			return nil
		})
		var buf bytes.Buffer
		if err := raster.WriteCOG(&buf, img, src, nil); err != nil {
			t.Fatal(err)
		}
		f, err := cog.Open(context.Background(), &cog.ReaderAtSource{R: bytes.NewReader(buf.Bytes()), Label: "raster"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Levels) != 3 || f.Geo.EPSG != 4326 || math.Abs(f.Geo.DX-0.001) > 1e-12 {
			t.Fatalf("%d levels, geo %+v", len(f.Levels), f.Geo)
		}
		for li, l := range f.Levels {
			got, err := f.Read(context.Background(), li, 0, 0, l.Width, l.Height)
			if err != nil {
				t.Fatal(err)
			}
			step := 1 << li
			for r := 0; r < l.Height; r += 3 {
				for c := 0; c < l.Width; c += 3 {
					if g, w := got.Data[r*l.Width+c], val(c*step, r*step); g != w {
						t.Fatalf("type %v level %d pixel %d,%d: %v, want %v", typ, li, c, r, g, w)
					}
				}
			}
		}
	}
}
