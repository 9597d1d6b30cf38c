package raster

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"testing"
)

var testField = Field{BBox: [4]float64{5.5, 45.0, 7.5, 46.5}, Width: 1100, Height: 530, Seed: 42}

func writeTIFF(t *testing.T, f Field, opt *COGOptions) (*tiffFile, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCOG(&buf, f.Image(), f, opt); err != nil {
		t.Fatal(err)
	}
	tf, err := parseTIFF(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if opt != nil && tf.big != opt.bigTIFF {
		t.Fatalf("BigTIFF = %v, want %v", tf.big, opt.bigTIFF)
	}
	return tf, buf.Bytes()
}

// TestGeoTIFFReadBack decodes every level of the file with an independent reader: the
// full image holds exactly Value, each overview every 2^k-th pixel of it.
func TestGeoTIFFReadBack(t *testing.T) {
	for _, opt := range []*COGOptions{nil, {bigTIFF: true}, {spoolLimit: 1000, TempDir: t.TempDir()}} {
		for _, f := range []Field{
			testField,
			{BBox: [4]float64{-180, -90, 180, 90}, Width: 1, Height: 1, Seed: -7},
			{BBox: [4]float64{10, 20, 10.001, 20.5}, Width: 17, Height: 1030, Seed: 3},
			{BBox: [4]float64{0, 0, 1, 1}, Width: 2100, Height: 513, Seed: 1},
		} {
			tf, _ := writeTIFF(t, f, opt)
			checkTags(t, tf, f)
			step := 1
			for i, d := range tf.ifds {
				vals, err := tf.decode(i)
				if err != nil {
					t.Fatalf("%dx%d level %d: %v", f.Width, f.Height, i, err)
				}
				w, h := int(d.one(tagImageWidth)), int(d.one(tagImageLength))
				if w != (f.Width+step-1)/step || h != (f.Height+step-1)/step {
					t.Fatalf("%dx%d level %d is %dx%d, want 1/%d", f.Width, f.Height, i, w, h, step)
				}
				for row := range h {
					for col := range w {
						got, want := float32(vals[row*w+col]), f.Value(col*step, row*step)
						if math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%dx%d level %d: pixel (%d,%d) = %v, Value says %v", f.Width, f.Height, i, col, row, got, want)
						}
					}
				}
				step *= 2
			}
		}
	}
}

func checkTags(t *testing.T, tf *tiffFile, f Field) {
	t.Helper()
	d := tf.ifds[0]
	for tag, want := range map[uint16]uint64{
		tagImageWidth: uint64(f.Width), tagImageLength: uint64(f.Height), tagBitsPerSample: 32,
		tagCompression: compressionDeflate, tagPredictor: 3, tagSamplesPerPixel: 1, tagPlanarConfig: 1,
		tagSampleFormat: 3, tagPhotometric: 1, tagNewSubfileType: 0,
	} {
		if got := d.one(tag); got != want {
			t.Errorf("tag %d = %d, want %d", tag, got, want)
		}
	}
	tw, th := d.one(tagTileWidth), d.one(tagTileLength)
	if tw%16 != 0 || th%16 != 0 || tw > 512 || th > 512 {
		t.Errorf("tile %dx%d: want multiples of 16, at most 512", tw, th)
	}
	if f.Width > 512 && tw != 512 || f.Height > 512 && th != 512 {
		t.Errorf("tile %dx%d for a %dx%d image: want 512 on long sides", tw, th, f.Width, f.Height)
	}
	// Cloud-optimized layout: the IFDs first (the full image's right after the header,
	// then the overviews, halving down to ≤ 512 px); then the tile data from the smallest
	// overview to the full image, contiguous and in row-major order, ending at the file's end.
	if hdr := map[bool]uint64{false: 8, true: 16}[tf.big]; d.off != hdr {
		t.Errorf("IFD at %d, want %d", d.off, hdr)
	}
	last := tf.ifds[len(tf.ifds)-1]
	if w, h := last.one(tagImageWidth), last.one(tagImageLength); w > 512 || h > 512 {
		t.Errorf("smallest level %dx%d, want ≤ 512", w, h)
	}
	if len(tf.ifds) > 1 && (tf.ifds[len(tf.ifds)-2].one(tagImageWidth) <= 512 && tf.ifds[len(tf.ifds)-2].one(tagImageLength) <= 512) {
		t.Errorf("%d levels: one more than needed", len(tf.ifds))
	}
	if (f.Width > 512 || f.Height > 512) != (len(tf.ifds) > 1) {
		t.Errorf("%dx%d: %d levels", f.Width, f.Height, len(tf.ifds))
	}
	pos := uint64(0)
	for i := len(tf.ifds) - 1; i >= 0; i-- {
		di := tf.ifds[i]
		if i > 0 && (di.one(tagNewSubfileType) != 1 || di.off <= tf.ifds[i-1].off || di.one(tagTileWidth) != tw) {
			t.Errorf("overview %d: subfile type %d, IFD at %d, tile width %d", i, di.one(tagNewSubfileType), di.off, di.one(tagTileWidth))
		}
		n := ((di.one(tagImageWidth) + tw - 1) / tw) * ((di.one(tagImageLength) + th - 1) / th)
		offs, counts := di.tags[tagTileOffsets], di.tags[tagTileByteCounts]
		if uint64(len(offs)) != n || uint64(len(counts)) != n {
			t.Fatalf("level %d: %d offsets and %d counts for %d tiles", i, len(offs), len(counts), n)
		}
		if pos == 0 {
			pos = offs[0]
			if pos <= last.off+100 {
				t.Errorf("first tile at %d overlaps the last IFD at %d", pos, last.off)
			}
		}
		for k := range offs {
			if offs[k] != pos {
				t.Fatalf("level %d tile %d at %d, want %d", i, k, offs[k], pos)
			}
			pos += counts[k]
		}
	}
	if pos != uint64(len(tf.data)) {
		t.Errorf("last tile ends at %d, file has %d bytes", pos, len(tf.data))
	}
	dx, dy := (f.BBox[2]-f.BBox[0])/float64(f.Width), (f.BBox[3]-f.BBox[1])/float64(f.Height)
	if got := d.doubles[tagModelPixelScale]; !equalFloats(got, []float64{dx, dy, 0}) {
		t.Errorf("ModelPixelScale = %v", got)
	}
	if got := d.doubles[tagModelTiepoint]; !equalFloats(got, []float64{0, 0, 0, f.BBox[0], f.BBox[3], 0}) {
		t.Errorf("ModelTiepoint = %v", got)
	}
	keys := map[uint64]uint64{}
	gk := d.tags[tagGeoKeyDirectory]
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

// TestGeoTIFFGolden pins the pixels of a small file, as decoded from it, so that the
// field stays reproducible across versions and platforms (the value is the one the
// uncompressed writer gave before the COG writer).
func TestGeoTIFFGolden(t *testing.T) {
	f := Field{BBox: [4]float64{-1, 50, 1, 51}, Width: 300, Height: 200, Seed: 1}
	tf, _ := writeTIFF(t, f, nil)
	vals, err := tf.decode(0)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, v := range vals {
		h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(v))))
	}
	const want = "a8f24c8be820a6f0d44e22091a78b642541513ba7ec4803b2bf809eec6cfd295"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("sha256 of the pixels = %s, want %s", got, want)
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
		if f.WriteGeoTIFF(io.Discard) == nil || f.WritePNG(io.Discard, 10) == nil {
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
	var all bytes.Buffer
	if err := testField.WriteGeoTIFF(&all); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 100, all.Len() / 2, all.Len() - 1} {
		if err := testField.WriteGeoTIFF(&failAfter{n}); err == nil {
			t.Errorf("failing after %d bytes: no error", n)
		}
	}
}

func BenchmarkWriteGeoTIFF1GiB(b *testing.B) {
	f := Field{BBox: [4]float64{0, 0, 10, 10}, Width: 16384, Height: 16384, Seed: 5}
	b.SetBytes(f.RawSize())
	for b.Loop() {
		if err := f.WriteGeoTIFF(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
