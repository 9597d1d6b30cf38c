package cmd

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/waterbodies"
)

// The commands over two rasters (ndwi, iou) read both arguments and fail on a
// missing one.
func TestRasterPairCommands(t *testing.T) {
	dir := t.TempDir()
	geo := cog.Geo{EPSG: 4326, X0: 6, Y0: 46, DX: 0.01, DY: 0.01}
	write := func(name string, typ cog.DataType, data ...float32) string {
		p := filepath.Join(dir, name)
		if err := writeImage(p, &cog.Image{Width: 2, Height: 2, Geo: geo, Data: data}, typ); err != nil {
			t.Fatal(err)
		}
		return p
	}
	green := write("green.tif", cog.Float32, 3, 1, 2, 2)
	nir := write("nir.tif", cog.Float32, 1, 3, 2, 0)
	maskA := write("a.tif", cog.Uint8, 1, 1, 0, 0)
	maskB := write("b.tif", cog.Uint8, 1, 0, 0, 0)

	out := filepath.Join(dir, "nd.tif")
	if code, stderr := runCLI(t, "geojobs", "raster", "ndwi", green, nir, "-o", out); code != 0 {
		t.Fatalf("ndwi: exit %d: %s", code, stderr)
	}
	nd, err := waterbodies.ReadFile(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0.5, -0.5, 0, 1}; nd.Width != 2 || nd.Height != 2 || !slices.Equal(nd.Data, want) {
		t.Errorf("ndwi = %v, want %v", nd.Data, want)
	}

	if code, stderr := runCLI(t, "geojobs", "raster", "iou", maskA, maskA, "--min", "1"); code != 0 {
		t.Errorf("iou of a mask with itself: exit %d: %s", code, stderr)
	}
	if code, stderr := runCLI(t, "geojobs", "raster", "iou", maskA, maskB, "--min", "0.6"); code != 1 || !strings.Contains(stderr, "IoU 0.5000 is below 0.6") {
		t.Errorf("iou of masks apart: exit %d: %s", code, stderr)
	}
	if code, _ := runCLI(t, "geojobs", "raster", "iou", maskA, filepath.Join(dir, "missing.tif")); code == 0 {
		t.Error("iou of a missing file: exit 0")
	}
}
