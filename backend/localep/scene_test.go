package localep

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/raster"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/spf13/afero"
)

type stacItem struct {
	Type           string         `json:"type"`
	StacVersion    string         `json:"stac_version"`
	StacExtensions []string       `json:"stac_extensions"`
	ID             string         `json:"id"`
	BBox           []float64      `json:"bbox"`
	Properties     map[string]any `json:"properties"`
	Assets         map[string]struct {
		Href     string   `json:"href"`
		Type     string   `json:"type"`
		Roles    []string `json:"roles"`
		Size     int64    `json:"file:size"`
		Checksum string   `json:"file:checksum"`
		Bands    []struct {
			Statistics map[string]float64 `json:"statistics"`
		} `json:"raster:bands"`
	} `json:"assets"`
}

func TestSyntheticScene(t *testing.T) {
	e := newEnv(t, nil)
	aoi := map[string]any{"bbox": []float64{5, 45, 6, 45.5}}
	id := e.submit("synthetic-scene", map[string]any{"inputs": map[string]any{"aoi": aoi, "size": 300, "seed": 7}, "response": "document"})
	st := e.waitJob(id)
	if st.Status != ogcapi.StatusSuccessful {
		t.Fatalf("status %+v", st)
	}
	r := e.do("GET", "/jobs/"+id+"/results", nil)
	expectStatus(t, r, 200)
	validate(t, "results.yaml", r.body)
	// The shape ZOO-Project returns for water-bodies: {"stac_catalog": {"value": FeatureCollection}}.
	var res map[string]struct {
		Value struct {
			Type     string            `json:"type"`
			Features []json.RawMessage `json:"features"`
		} `json:"value"`
	}
	r.json(t, &res)
	fc := res["stac_catalog"].Value
	if fc.Type != "FeatureCollection" || len(fc.Features) != 1 {
		t.Fatalf("results %s", r.body)
	}
	validateSTAC(t, fc.Features[0])
	var item stacItem
	if err := json.Unmarshal(fc.Features[0], &item); err != nil {
		t.Fatal(err)
	}
	want := raster.Field{BBox: [4]float64{5, 45, 6, 45.5}, Width: 300, Height: 150, Seed: 7}
	if fmt.Sprint(item.Properties["proj:shape"]) != "[150 300]" || item.Properties["proj:epsg"] != 4326.0 || fmt.Sprint(item.BBox) != "[5 45 6 45.5]" {
		t.Errorf("item %s", fc.Features[0])
	}
	data, thumb := item.Assets["data"], item.Assets["thumbnail"]
	if data.Href != e.base+"/jobs/"+id+"/outputs/scene.tif" || !strings.HasPrefix(data.Type, "image/tiff; application=geotiff") || data.Size == 0 {
		t.Errorf("data asset %+v", data)
	}
	if data.Type != "image/tiff; application=geotiff; profile=cloud-optimized" {
		t.Errorf("data type %q", data.Type)
	}

	// The band's statistics are the file's (the review found a nominal -0.45..0.95
	// beside gdalinfo's -0.431..0.886): computed here from every pixel of the field.
	lo, hi, total := math.Inf(1), math.Inf(-1), 0.0
	for row := range want.Height {
		for col := range want.Width {
			v := float64(want.Value(col, row))
			lo, hi, total = min(lo, v), max(hi, v), total+v
		}
	}
	mean := total / float64(want.Width*want.Height)
	if len(data.Bands) != 1 {
		t.Fatalf("raster:bands %+v", data.Bands)
	}
	stats := data.Bands[0].Statistics
	if stats["minimum"] != lo || stats["maximum"] != hi || math.Abs(stats["mean"]-mean) > 1e-9 || stats["stddev"] <= 0 || stats["valid_percent"] != 100 {
		t.Errorf("statistics %v, want minimum %v maximum %v mean %v", stats, lo, hi, mean)
	}

	// The GeoTIFF is the one raster writes, and its checksum is right.
	var buf bytes.Buffer
	if err := want.WriteGeoTIFF(&buf); err != nil {
		t.Fatal(err)
	}
	r = e.do("GET", data.Href, nil)
	expectStatus(t, r, 200)
	if !bytes.Equal(r.body, buf.Bytes()) {
		t.Fatalf("served GeoTIFF differs from raster's (%d vs %d bytes)", len(r.body), buf.Len())
	}
	if data.Size != int64(len(r.body)) {
		t.Errorf("file:size %d, served %d bytes", data.Size, len(r.body))
	}
	sum := sha256.Sum256(r.body)
	if data.Checksum != multihash.Encode(multihash.SHA2_256, sum[:]) {
		t.Errorf("checksum %s", data.Checksum)
	}
	if r.header.Get("ETag") != `"`+data.Checksum+`"` || r.header.Get("Content-Type") != "image/tiff; application=geotiff" {
		t.Errorf("headers %v", r.header)
	}

	// HEAD, Range and conditional requests.
	r = e.do("HEAD", data.Href, nil)
	expectStatus(t, r, 200)
	if r.header.Get("Content-Length") != fmt.Sprint(data.Size) || r.header.Get("Accept-Ranges") != "bytes" || len(r.body) != 0 {
		t.Errorf("HEAD %v", r.header)
	}
	r = e.do("GET", data.Href, nil, "Range", "bytes=100-199")
	expectStatus(t, r, http.StatusPartialContent)
	if !bytes.Equal(r.body, buf.Bytes()[100:200]) || r.header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", data.Size) {
		t.Errorf("range: %q", r.header.Get("Content-Range"))
	}
	r = e.do("GET", data.Href, nil, "If-None-Match", `"`+data.Checksum+`"`)
	expectStatus(t, r, http.StatusNotModified)
	r = e.do("GET", data.Href, nil, "Range", "bytes=0-3", "If-Range", `"`+data.Checksum+`"`)
	expectStatus(t, r, http.StatusPartialContent)

	// The thumbnail.
	r = e.do("GET", thumb.Href, nil)
	expectStatus(t, r, 200)
	img, err := png.Decode(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 300 || b.Dy() != 150 || int64(len(r.body)) != thumb.Size || thumb.Type != "image/png" {
		t.Errorf("thumbnail %v, %d bytes, asset %+v", b, len(r.body), thumb)
	}
	expectException(t, e.do("GET", "/jobs/"+id+"/outputs/other.tif", nil), 404, ogcapi.ExcPrefix+"no-such-output")

	// Raw response (the default) gives the ItemCollection itself.
	r = e.do("POST", "/processes/synthetic-scene/execution", map[string]any{"inputs": map[string]any{"aoi": aoi, "size": 16}})
	expectStatus(t, r, 200)
	var raw struct{ Type string }
	r.json(t, &raw)
	if raw.Type != "FeatureCollection" || r.header.Get("Content-Type") != "application/geo+json" {
		t.Errorf("raw scene %q %s", r.header.Get("Content-Type"), r.body)
	}

	// Dismissing removes the files.
	expectStatus(t, e.do("DELETE", "/jobs/"+id, nil), 200)
	expectException(t, e.do("GET", data.Href, nil), 404, ogcapi.ExcPrefix+"no-such-output")
	if ok, _ := afero.DirExists(e.fs, "/data/jobs/"+id+"/outputs"); ok {
		t.Error("outputs kept after dismiss")
	}
}

func TestSyntheticSceneBadAOI(t *testing.T) {
	e := newEnv(t, nil)
	for _, bb := range [][]float64{{6, 45, 5, 46}, {170, 0, 190, 10}} {
		r := e.do("POST", "/processes/synthetic-scene/execution", map[string]any{"inputs": map[string]any{"aoi": map[string]any{"bbox": bb}}})
		ex := expectException(t, r, 400, ogcapi.ExcInvalidParameter)
		if !strings.Contains(ex.Detail, `"aoi"`) {
			t.Errorf("detail %q", ex.Detail)
		}
	}
	expectException(t, e.do("POST", "/processes/synthetic-scene/execution", map[string]any{"inputs": map[string]any{"aoi": map[string]any{"bbox": []int{0, 0, 1, 1}}, "size": 50000}}), 400, ogcapi.ExcInvalidParameter)
	// A MemMapFs does not take multi-GiB outputs.
	ex := expectException(t, e.do("POST", "/processes/synthetic-scene/execution", map[string]any{"inputs": map[string]any{"aoi": map[string]any{"bbox": []int{0, 0, 1, 1}}, "size": 40000}}), 400, ogcapi.ExcInvalidParameter)
	if !strings.Contains(ex.Detail, "in memory") {
		t.Errorf("detail %q", ex.Detail)
	}
}

var (
	stacOnce  sync.Once
	stacItemS *jsonschema.Schema
	stacFileS *jsonschema.Schema
	stacErr   error
)

// validateSTAC checks an item against STAC 1.0.0 item.json and the file extension.
func validateSTAC(t *testing.T, item []byte) {
	t.Helper()
	stacOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.UseRegexpEngine(ecmaRegexp) // the file extension uses look-ahead
		stacErr = filepath.WalkDir("testdata/stac", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				return err
			}
			id, _ := doc.(map[string]any)["$id"].(string)
			return c.AddResource(strings.TrimSuffix(id, "#"), doc)
		})
		if stacErr != nil {
			return
		}
		if stacItemS, stacErr = c.Compile("https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/item.json"); stacErr != nil {
			return
		}
		stacFileS, stacErr = c.Compile("https://stac-extensions.github.io/file/v2.1.0/schema.json")
	})
	if stacErr != nil {
		t.Fatalf("STAC schemas: %v", stacErr)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(item))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*jsonschema.Schema{stacItemS, stacFileS} {
		if err := s.Validate(inst); err != nil {
			t.Errorf("STAC item invalid: %v\n%s", err, item)
		}
	}
}

// BenchmarkSyntheticScene generates a 256 MiB scene to files on the OS file system
// through the synchronous execution endpoint.
func BenchmarkSyntheticScene(b *testing.B) {
	const size = 8192 // 8192×8192 Float32 = 256 MiB
	dir := b.TempDir()
	srv, err := New(Options{DataDir: dir, Fs: afero.NewOsFs()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close(context.Background())
	h := srv.Handler()
	body := fmt.Sprintf(`{"inputs":{"aoi":{"bbox":[5,45,6,46]},"size":%d},"response":"document"}`, size)
	f := raster.Field{BBox: [4]float64{5, 45, 6, 46}, Width: size, Height: size}
	b.SetBytes(f.RawSize())
	b.ResetTimer()
	for range b.N {
		req, _ := http.NewRequest("POST", "http://bench/processes/synthetic-scene/execution", strings.NewReader(body))
		rec := &discardRecorder{header: http.Header{}}
		h.ServeHTTP(rec, req)
		if rec.status != 200 {
			b.Fatalf("status %d", rec.status)
		}
	}
	b.StopTimer()
	matches, _ := filepath.Glob(filepath.Join(dir, "jobs", "*", "outputs", "scene.tif"))
	for _, m := range matches {
		fi, err := os.Stat(m)
		if err != nil || fi.Size() == 0 {
			b.Fatalf("%s: %v size %d", m, err, fi.Size())
		}
	}
}

type discardRecorder struct {
	header http.Header
	status int
}

func (d *discardRecorder) Header() http.Header         { return d.header }
func (d *discardRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardRecorder) WriteHeader(s int)           { d.status = s }

type ecmaRE regexp2.Regexp

func (re *ecmaRE) MatchString(s string) bool {
	ok, err := (*regexp2.Regexp)(re).MatchString(s)
	return err == nil && ok
}

func (re *ecmaRE) String() string { return (*regexp2.Regexp)(re).String() }

func ecmaRegexp(s string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	return (*ecmaRE)(re), nil
}
