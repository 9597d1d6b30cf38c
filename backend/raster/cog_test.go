package raster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gdalPython returns a Python that has GDAL's bindings and COG validator (Debian
// python3-gdal, which .ci/run installs). The test fails without one rather than skip:
// the file's validity is the point of the writer.
func gdalPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import osgeo_utils.samples.validate_cloud_optimized_geotiff").Run() == nil {
			return py
		}
	}
	t.Fatal("no Python with GDAL's COG validator: install python3-gdal (Debian), as .ci/run does")
	return ""
}

// TestCOGValidatesWithGDAL runs GDAL's validate_cloud_optimized_geotiff.py on written
// files (errors and warnings both fail) and reads pixels back through GDAL, from the full
// image and from an overview.
func TestCOGValidatesWithGDAL(t *testing.T) {
	py := gdalPython(t)
	dir := t.TempDir()
	mask := Image{Width: 700, Height: 600, BBox: [4]float64{5, 45, 6, 46}, Type: Uint8, NoData: "255"}
	maskSrc := SourceFunc(func(dst []byte, w Window) error {
		for i := range w.Rows {
			for j := range w.Cols {
				dst[i*w.Cols+j] = byte((w.Col + j*w.Step + w.Row + i*w.Step) % 3)
			}
		}
		return nil
	})
	field := Field{BBox: [4]float64{5.5, 45, 7.5, 46.5}, Width: 2100, Height: 1300, Seed: 42}
	for name, write := range map[string]func(*os.File) error{
		"field.tif": func(f *os.File) error { return field.WriteGeoTIFF(f) },
		"big.tif":   func(f *os.File) error { return WriteCOG(f, field.Image(), field, &COGOptions{bigTIFF: true}) },
		"mask.tif":  func(f *os.File) error { return WriteCOG(f, mask, maskSrc, nil) },
		"one.tif": func(f *os.File) error {
			return Field{BBox: [4]float64{0, 0, 1, 1}, Width: 300, Height: 10}.WriteGeoTIFF(f)
		},
	} {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(write(f), f.Close()); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-m", "osgeo_utils.samples.validate_cloud_optimized_geotiff", "--full-check=yes", path).CombinedOutput()
		t.Logf("%s:\n%s", name, out)
		if err != nil || !strings.Contains(string(out), "is a valid cloud optimized GeoTIFF") || strings.Contains(strings.ToLower(string(out)), "warning") {
			t.Errorf("%s: GDAL's validator (%v) says:\n%s", name, err, out)
		}
	}

	// Pixels through GDAL: (level, col, row) of the field and of the mask.
	script := `
import sys, struct
from osgeo import gdal
gdal.UseExceptions()
for arg in sys.argv[1:]:
    path, ovr, x, y = arg.split(",")
    ds = gdal.Open(path)  # kept: a band outlives its dataset only in C
    band = ds.GetRasterBand(1)
    if int(ovr) >= 0:
        band = band.GetOverview(int(ovr))
    raw = band.ReadRaster(int(x), int(y), 1, 1)
    v = struct.unpack("<f", raw)[0] if len(raw) == 4 else raw[0]
    print(repr(v), band.XSize, band.YSize, band.GetNoDataValue(), band.DataType)
`
	type probe struct {
		file          string
		level, col, r int
		want          float64
	}
	probes := []probe{
		{"field.tif", -1, 1234, 567, float64(field.Value(1234, 567))},
		{"field.tif", 0, 300, 200, float64(field.Value(600, 400))},
		{"field.tif", 2, 262, 162, float64(field.Value(262*8, 162*8))},
		{"big.tif", 1, 100, 300, float64(field.Value(400, 1200))},
		{"mask.tif", -1, 699, 599, float64((699 + 599) % 3)},
		{"mask.tif", 0, 349, 10, float64((698 + 20) % 3)},
	}
	args := []string{"-c", script}
	for _, p := range probes {
		args = append(args, fmt.Sprintf("%s,%d,%d,%d", filepath.Join(dir, p.file), p.level, p.col, p.r))
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("reading through GDAL: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(probes) {
		t.Fatalf("GDAL printed:\n%s", out)
	}
	for i, p := range probes {
		got, err := strconv.ParseFloat(strings.Fields(lines[i])[0], 64)
		if err != nil || float32(got) != float32(p.want) {
			t.Errorf("%s level %d (%d,%d): GDAL reads %q, want %v", p.file, p.level, p.col, p.r, lines[i], p.want)
		}
	}
	if !strings.HasSuffix(lines[4], "255.0 1") { // nodata 255, GDT_Byte
		t.Errorf("mask band: %q, want nodata 255 and type Byte", lines[4])
	}
	if f := strings.Fields(lines[2]); f[1] != "263" || f[2] != "163" {
		t.Errorf("third overview of 2100x1300: %q, want 263x163", lines[2])
	}
}

// TestCOGUint8ReadBack checks the byte layout of a mask with the independent reader.
func TestCOGUint8ReadBack(t *testing.T) {
	img := Image{Width: 1030, Height: 40, BBox: [4]float64{0, 0, 1, 1}, Type: Uint8, NoData: "0"}
	val := func(c, r int) byte { return byte(c*7 + r*13) }
	var buf bytes.Buffer
	err := WriteCOG(&buf, img, SourceFunc(func(dst []byte, w Window) error {
		for i := range w.Rows {
			for j := range w.Cols {
				dst[i*w.Cols+j] = val(w.Col+j*w.Step, w.Row+i*w.Step)
			}
		}
		return nil
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	tf, err := parseTIFF(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(tf.ifds) != 3 || tf.ifds[0].ascii[tagGDALNoData] != "0" || tf.ifds[0].one(tagPredictor) != 2 || tf.ifds[0].one(tagSampleFormat) != 1 {
		t.Fatalf("%d IFDs, nodata %q, predictor %d", len(tf.ifds), tf.ifds[0].ascii[tagGDALNoData], tf.ifds[0].one(tagPredictor))
	}
	for lv, step := range []int{1, 2, 4} {
		vals, err := tf.decode(lv)
		if err != nil {
			t.Fatal(err)
		}
		w := (img.Width + step - 1) / step
		for k, v := range vals {
			if want := val(k%w*step, k/w*step); byte(v) != want {
				t.Fatalf("level %d pixel %d = %v, want %d", lv, k, v, want)
			}
		}
	}
}

func TestCOGReportsSourceErrorsAndProgress(t *testing.T) {
	boom := errors.New("sensor offline")
	img := Image{Width: 2000, Height: 600, BBox: [4]float64{0, 0, 1, 1}}
	err := WriteCOG(&bytes.Buffer{}, img, SourceFunc(func(dst []byte, w Window) error {
		if w.Step == 1 && w.Row > 0 {
			return boom
		}
		for k := 0; k < len(dst); k += 4 {
			binary.LittleEndian.PutUint32(dst[k:], math.Float32bits(1))
		}
		return nil
	}), nil)
	if !errors.Is(err, boom) {
		t.Errorf("source error: got %v", err)
	}
	var calls, last, total int
	f := Field{BBox: [4]float64{0, 0, 1, 1}, Width: 2000, Height: 600}
	err = f.WriteCOG(&bytes.Buffer{}, &COGOptions{Progress: func(done, n int) { calls++; last, total = done, n }})
	// 4×2 tiles at full resolution, 2×1 and 1×1 in the overviews.
	if err != nil || calls == 0 || last != total || total != 8+2+1 {
		t.Errorf("progress: %d calls, last %d of %d (err %v)", calls, last, total, err)
	}
	if WriteCOG(&bytes.Buffer{}, Image{Width: 10, Height: 10, BBox: [4]float64{0, 0, 1, 1}, Type: 7}, f, nil) == nil {
		t.Error("unknown sample type accepted")
	}
}
