package raster

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"testing"
)

var testField = Field{BBox: [4]float64{5.5, 45.0, 7.5, 46.5}, Width: 1100, Height: 530, Seed: 42}

func writeTIFF(t *testing.T, f Field, big bool) *tiffFile {
	t.Helper()
	var buf bytes.Buffer
	var err error
	var want int64
	if big {
		l := f.layout(true)
		want = l.size
		err = f.writeGeoTIFF(&buf, l)
	} else {
		want = f.GeoTIFFSize()
		err = f.WriteGeoTIFF(&buf)
	}
	if err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != want {
		t.Fatalf("wrote %d bytes, size says %d", buf.Len(), want)
	}
	tf, err := parseTIFF(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if tf.big != big {
		t.Fatalf("BigTIFF = %v, want %v", tf.big, big)
	}
	return tf
}

func TestGeoTIFFReadBack(t *testing.T) {
	for _, big := range []bool{false, true} {
		for _, f := range []Field{
			testField,
			{BBox: [4]float64{-180, -90, 180, 90}, Width: 1, Height: 1, Seed: -7},
			{BBox: [4]float64{10, 20, 10.001, 20.5}, Width: 17, Height: 1030, Seed: 3},
			{BBox: [4]float64{0, 0, 1, 1}, Width: 1024, Height: 512, Seed: 1},
		} {
			tf := writeTIFF(t, f, big)
			checkTags(t, tf, f)
			for row := range f.Height {
				for col := range f.Width {
					got, want := tf.pixel(col, row), f.Value(col, row)
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%dx%d big=%v: pixel (%d,%d) = %v, Value says %v", f.Width, f.Height, big, col, row, got, want)
					}
				}
			}
		}
	}
}

func checkTags(t *testing.T, tf *tiffFile, f Field) {
	t.Helper()
	for tag, want := range map[uint16]uint64{
		tagImageWidth: uint64(f.Width), tagImageLength: uint64(f.Height), tagBitsPerSample: 32,
		tagCompression: 1, tagSamplesPerPixel: 1, tagPlanarConfig: 1, tagSampleFormat: 3, tagPhotometric: 1,
	} {
		if got := tf.one(tag); got != want {
			t.Errorf("tag %d = %d, want %d", tag, got, want)
		}
	}
	tw, th := tf.one(tagTileWidth), tf.one(tagTileLength)
	if tw%16 != 0 || th%16 != 0 || tw > 512 || th > 512 {
		t.Errorf("tile %dx%d: want multiples of 16, at most 512", tw, th)
	}
	if f.Width > 512 && tw != 512 || f.Height > 512 && th != 512 {
		t.Errorf("tile %dx%d for a %dx%d image: want 512 on long sides", tw, th, f.Width, f.Height)
	}
	n := ((uint64(f.Width) + tw - 1) / tw) * ((uint64(f.Height) + th - 1) / th)
	offs, counts := tf.tags[tagTileOffsets], tf.tags[tagTileByteCounts]
	if uint64(len(offs)) != n || uint64(len(counts)) != n {
		t.Fatalf("%d offsets and %d counts for %d tiles", len(offs), len(counts), n)
	}
	// Cloud-optimized layout: IFD right after the header, no second IFD, tile data
	// after the IFD and its arrays, contiguous and in order, ending at the file's end.
	if hdr := map[bool]uint64{false: 8, true: 16}[tf.big]; tf.ifdOff != hdr {
		t.Errorf("IFD at %d, want %d", tf.ifdOff, hdr)
	}
	if tf.next != 0 {
		t.Errorf("next IFD = %d, want 0", tf.next)
	}
	for i := range offs {
		if counts[i] != tw*th*4 {
			t.Fatalf("tile %d: %d bytes, want %d", i, counts[i], tw*th*4)
		}
		if i > 0 && offs[i] != offs[i-1]+counts[i-1] {
			t.Fatalf("tile %d at %d, not right after tile %d", i, offs[i], i-1)
		}
	}
	if end := offs[n-1] + counts[n-1]; end != uint64(len(tf.data)) {
		t.Errorf("last tile ends at %d, file has %d bytes", end, len(tf.data))
	}
	if offs[0] < tf.ifdOff+100 {
		t.Errorf("first tile at %d overlaps the IFD", offs[0])
	}
	dx, dy := (f.BBox[2]-f.BBox[0])/float64(f.Width), (f.BBox[3]-f.BBox[1])/float64(f.Height)
	if got := tf.doubles[tagModelPixelScale]; !equalFloats(got, []float64{dx, dy, 0}) {
		t.Errorf("ModelPixelScale = %v", got)
	}
	if got := tf.doubles[tagModelTiepoint]; !equalFloats(got, []float64{0, 0, 0, f.BBox[0], f.BBox[3], 0}) {
		t.Errorf("ModelTiepoint = %v", got)
	}
	keys := map[uint64]uint64{}
	gk := tf.tags[tagGeoKeyDirectory]
	if len(gk) < 4 || gk[0] != 1 || int(gk[3])*4+4 != len(gk) {
		t.Fatalf("GeoKeyDirectory header %v", gk)
	}
	for i := 4; i < len(gk); i += 4 {
		if gk[i+1] != 0 || gk[i+2] != 1 {
			t.Errorf("geokey %d: location %d count %d, want 0 1", gk[i], gk[i+1], gk[i+2])
		}
		keys[gk[i]] = gk[i+3]
	}
	for k, want := range map[uint64]uint64{1024: 2, 1025: 1, 2048: 4326} {
		if keys[k] != want {
			t.Errorf("geokey %d = %d, want %d", k, keys[k], want)
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestGeoTIFFSizeChoosesBigTIFF(t *testing.T) {
	small := Field{BBox: [4]float64{0, 0, 1, 1}, Width: 32768, Height: 32000} // 62.5 tile rows of 512: just under 4 GiB
	if l := small.fileLayout(); l.big || small.GeoTIFFSize() >= 1<<32 {
		t.Errorf("%dx%d: big=%v size=%d, want classic under 4 GiB", small.Width, small.Height, l.big, small.GeoTIFFSize())
	}
	large := Field{BBox: [4]float64{0, 0, 1, 1}, Width: 32768, Height: 32768} // exactly 4 GiB of pixels
	l := large.fileLayout()
	if !l.big {
		t.Fatalf("%dx%d: want BigTIFF", large.Width, large.Height)
	}
	n := int64(l.across) * int64(l.down)
	if want := l.dataOff + n*512*512*4; large.GeoTIFFSize() != want || l.dataOff != 16+8+numTags*20+8+112+2*n*8 {
		t.Errorf("BigTIFF size %d dataOff %d; want %d", large.GeoTIFFSize(), l.dataOff, want)
	}
	huge := Field{BBox: [4]float64{0, 0, 1, 1}, Width: MaxDim, Height: MaxDim}
	if got := huge.GeoTIFFSize(); got < 4<<40 {
		t.Errorf("MaxDim² size = %d, want ≥ 4 TiB", got)
	}
}

// TestGeoTIFFGolden pins the bytes of a small file so that the field stays reproducible
// across versions and platforms.
func TestGeoTIFFGolden(t *testing.T) {
	h := sha256.New()
	f := Field{BBox: [4]float64{-1, 50, 1, 51}, Width: 64, Height: 40, Seed: 1}
	if err := f.WriteGeoTIFF(h); err != nil {
		t.Fatal(err)
	}
	const want = "bdf74de0e1b3f3dddb2be701f2a6f5a25ca8e17df72c35ead9faf7eb01013fe3"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("sha256 = %s, want %s", got, want)
	}
}

func TestFieldLooksLikeALandscape(t *testing.T) {
	f := Field{BBox: [4]float64{0, 0, 1, 1}, Width: 400, Height: 400, Seed: 9}
	var water, land int
	lo, hi := float32(10), float32(-10)
	for r := range f.Height {
		for c := range f.Width {
			v := f.Value(c, r)
			lo, hi = min(lo, v), max(hi, v)
			if v < 0 {
				water++
			} else {
				land++
			}
		}
	}
	if share := float64(water) / float64(water+land); share < 0.01 || share > 0.3 {
		t.Errorf("water share %.3f, want a river and a lake (1%%..30%%)", share)
	}
	if lo < -1 || hi > 1 || hi-lo < 0.8 {
		t.Errorf("values %v..%v, want a wide range inside -1..1", lo, hi)
	}
	other := f
	other.Seed = 10
	same := 0
	for i := range 100 {
		if f.Value(i*4, i*3) == other.Value(i*4, i*3) {
			same++
		}
	}
	if same > 5 {
		t.Errorf("seeds 9 and 10 agree on %d of 100 pixels", same)
	}
	if f.Value(-5, 1000) != f.Value(0, 399) {
		t.Error("Value does not clamp out-of-range pixels to the edge")
	}
}

func TestValidate(t *testing.T) {
	ok := Field{BBox: [4]float64{-10, -5, 10, 5}, Width: 10, Height: 10}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Field){
		"nan":        func(f *Field) { f.BBox[1] = math.NaN() },
		"lon range":  func(f *Field) { f.BBox[2] = 181 },
		"lat range":  func(f *Field) { f.BBox[1] = -91 },
		"lon order":  func(f *Field) { f.BBox[0], f.BBox[2] = f.BBox[2], f.BBox[0] },
		"lat empty":  func(f *Field) { f.BBox[3] = f.BBox[1] },
		"width 0":    func(f *Field) { f.Width = 0 },
		"height big": func(f *Field) { f.Height = MaxDim + 1 },
	} {
		f := ok
		mod(&f)
		err := f.Validate()
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", name, err)
		}
		if f.GeoTIFFSize() != 0 || f.WriteGeoTIFF(io.Discard) == nil || f.WritePNG(io.Discard, 10) == nil {
			t.Errorf("%s: invalid field accepted for writing", name)
		}
	}
}

type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestWriteGeoTIFFReportsWriterErrors(t *testing.T) {
	for _, n := range []int{0, 100, 3 << 20} {
		if err := testField.WriteGeoTIFF(&failAfter{n}); err == nil {
			t.Errorf("failing after %d bytes: no error", n)
		}
	}
}

func BenchmarkWriteGeoTIFF1GiB(b *testing.B) {
	f := Field{BBox: [4]float64{0, 0, 10, 10}, Width: 16384, Height: 16384, Seed: 5}
	b.SetBytes(f.GeoTIFFSize())
	for b.Loop() {
		if err := f.WriteGeoTIFF(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
