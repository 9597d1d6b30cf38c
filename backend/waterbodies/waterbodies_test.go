package waterbodies_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/synthstac"
	"github.com/geojobs/geojobs/backend/waterbodies"
)

func stacServer(t *testing.T) (*httptest.Server, *synthstac.API) {
	t.Helper()
	var hs *httptest.Server
	api := synthstac.New(func(*http.Request) string { return hs.URL + "/stac" })
	mux := http.NewServeMux()
	mux.Handle("/stac/", http.StripPrefix("/stac", api.Handler()))
	hs = httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs, api
}

const item = "S2SYN_N45E006_20240106"

// The mask of a 1/16 AOI of a 10980×10980 scene agrees with the truth, and reading it
// fetches less than 1/8 of the bands' files.
func TestDetectAgreesWithTruth(t *testing.T) {
	hs, api := stacServer(t)
	itemURL := hs.URL + "/stac/collections/synthetic-s2/items/" + item
	r := &waterbodies.Reader{}
	start := time.Now()
	res, err := r.Detect(context.Background(), waterbodies.Inputs{AOI: "6.25,45.25,6.5,45.5", Items: []string{itemURL}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	read := r.Meter.BytesRead.Load()
	green, _ := api.File(item, "green")
	nir, _ := api.File(item, "nir")
	files := green.Size() + nir.Size()

	it, err := r.FetchItem(context.Background(), itemURL)
	if err != nil {
		t.Fatal(err)
	}
	aoi, _ := waterbodies.ParseAOI("6.25,45.25,6.5,45.5")
	truth, err := (&waterbodies.Reader{}).Crop(context.Background(), it, "truth", aoi, 4326)
	if err != nil {
		t.Fatal(err)
	}
	iou, err := waterbodies.IoU(res[0].Mask, truth)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("AOI %d×%d px: IoU %.4f, threshold %.3f, read %d of %d bytes (%.2f%%) in %d requests, %v",
		res[0].Mask.Width, res[0].Mask.Height, iou, res[0].Threshold, read, files, 100*float64(read)/float64(files), r.Meter.Requests.Load(), elapsed.Round(time.Millisecond))
	if res[0].Mask.Width != 2745 || res[0].Mask.Height != 2745 {
		t.Fatalf("mask %d×%d, want the full-resolution 2745×2745", res[0].Mask.Width, res[0].Mask.Height)
	}
	if iou < 0.95 {
		t.Fatalf("IoU %.4f < 0.95", iou)
	}
	if read*8 >= files {
		t.Fatalf("read %d bytes of %d: not under 1/8", read, files)
	}

	// The catalog as EOAP writes it, and the mask reads back.
	dir := t.TempDir()
	if err := waterbodies.WriteCatalog(dir, res); err != nil {
		t.Fatal(err)
	}
	var cat struct{ Links []struct{ Rel, Href string } }
	b, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil || json.Unmarshal(b, &cat) != nil {
		t.Fatalf("catalog: %v %s", err, b)
	}
	back, err := waterbodies.ReadFile(context.Background(), filepath.Join(dir, item, "otsu.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if iou2, _ := waterbodies.IoU(back, truth); iou2 != iou {
		t.Fatalf("the written mask gives IoU %v, the computed one %v", iou2, iou)
	}
	if back.Geo.EPSG != 4326 || math.Abs(back.Geo.X0-6.25) > 1e-4 || math.Abs(back.Geo.Y0-45.5) > 1e-4 {
		t.Fatalf("mask geo %+v", back.Geo)
	}
}

// A large AOI is read from an overview.
func TestLargeAOIUsesOverview(t *testing.T) {
	hs, _ := stacServer(t)
	r := &waterbodies.Reader{MaxSide: 1000}
	res, err := r.Detect(context.Background(), waterbodies.Inputs{AOI: "6,45,7,46", Bands: []string{"green", "nir"},
		Items: []string{hs.URL + "/stac/collections/synthetic-s2/items/" + item}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := res[0].Mask.Width; w > 1000 || w < 500 {
		t.Fatalf("mask width %d", w)
	}
}

func TestOtsuSplitsTwoModes(t *testing.T) {
	img := &cog.Image{Width: 100, Height: 1, Data: make([]float32, 100)}
	for i := range img.Data {
		if i < 30 {
			img.Data[i] = 0.5 + float32(i%5)*0.01
		} else {
			img.Data[i] = -0.4 + float32(i%7)*0.01
		}
	}
	img.Data[3] = float32(math.NaN())
	th, err := waterbodies.Otsu(img)
	if err != nil {
		t.Fatal(err)
	}
	if th < -0.34 || th > 0.5 {
		t.Fatalf("threshold %v", th)
	}
}

func TestParseInputs(t *testing.T) {
	if _, err := waterbodies.ParseAOI("1,2,3"); err == nil {
		t.Fatal("3 numbers accepted")
	}
	if _, err := waterbodies.ParseAOI("3,2,1,4"); err == nil {
		t.Fatal("min > max accepted")
	}
	if n, err := waterbodies.ParseEPSG("EPSG:32631"); err != nil || n != 32631 {
		t.Fatalf("%v %v", n, err)
	}
}
