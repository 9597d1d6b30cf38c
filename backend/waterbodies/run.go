package waterbodies

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/geojobs/geojobs/backend/cog"
)

// Inputs are the EOAP water-bodies inputs.
type Inputs struct {
	AOI   string   // "minx,miny,maxx,maxy"
	EPSG  string   // of the AOI, default "EPSG:4326"
	Bands []string // green and near infrared, default ["green", "nir"]
	Items []string // STAC item URLs
}

// Result is the water mask of one item.
type Result struct {
	Item      *Item
	Mask      *cog.Image
	Threshold float32
	AOI       [4]float64 // in EPSG:4326 when the AOI was given so
	AOIEPSG   int
}

// Progress is told when an item starts (done items so far, of total).
type Progress func(done, total int, msg string)

// Detect runs the whole application on every item, one after the other.
func (r *Reader) Detect(ctx context.Context, in Inputs, progress Progress) ([]Result, error) {
	aoi, err := ParseAOI(in.AOI)
	if err != nil {
		return nil, err
	}
	if in.EPSG == "" {
		in.EPSG = "EPSG:4326"
	}
	epsg, err := ParseEPSG(in.EPSG)
	if err != nil {
		return nil, err
	}
	bands := in.Bands
	if len(bands) == 0 {
		bands = []string{"green", "nir"}
	}
	if len(bands) != 2 {
		return nil, fmt.Errorf("bands: expected two bands (green, near infrared), got %d", len(bands))
	}
	if len(in.Items) == 0 {
		return nil, fmt.Errorf("stac_items: no item")
	}
	var out []Result
	for i, loc := range in.Items {
		if progress != nil {
			progress(i, len(in.Items), "item "+loc)
		}
		res, err := r.DetectOne(ctx, loc, aoi, epsg, bands)
		if err != nil {
			return nil, err
		}
		out = append(out, *res)
	}
	return out, nil
}

// DetectOne crops the two bands of one item, computes the NDWI and its Otsu mask.
func (r *Reader) DetectOne(ctx context.Context, itemURL string, aoi [4]float64, epsg int, bands []string) (*Result, error) {
	it, err := r.FetchItem(ctx, itemURL)
	if err != nil {
		return nil, err
	}
	imgs := make([]*cog.Image, 2)
	errs := make(chan error, 2)
	for k := range 2 {
		go func() {
			var err error
			imgs[k], err = r.Crop(ctx, it, bands[k], aoi, epsg)
			errs <- err
		}()
	}
	for range 2 {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		return nil, err
	}
	ndwi, err := NDWI(imgs[0], imgs[1])
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", it.ID, err)
	}
	th, err := Otsu(ndwi)
	if err != nil {
		return nil, fmt.Errorf("item %s: %w", it.ID, err)
	}
	return &Result{Item: it, Mask: Mask(ndwi, th), Threshold: th, AOI: aoi, AOIEPSG: epsg}, nil
}

// ItemDoc is the STAC item of a result, its asset data at href (otsu.tif as EOAP
// names it).
func ItemDoc(res Result, href string, size int64) map[string]any {
	src := res.Item.Doc
	g := res.Mask.Geo
	bounds := g.Bounds(res.Mask.Width, res.Mask.Height)
	bbox := footprint(res, bounds)
	props := map[string]any{
		"proj:epsg":      g.EPSG,
		"proj:shape":     []int{res.Mask.Height, res.Mask.Width},
		"proj:bbox":      bounds[:],
		"proj:transform": []float64{g.DX, 0, g.X0, 0, -g.DY, g.Y0, 0, 0, 1},
		"datetime":       time.Now().UTC().Format(time.RFC3339),
	}
	if !math.IsNaN(float64(res.Threshold)) {
		props["water:otsu_threshold"] = res.Threshold
	}
	if p, ok := src["properties"].(map[string]any); ok {
		for _, k := range []string{"datetime", "start_datetime", "end_datetime", "platform", "constellation"} {
			if v, ok := p[k]; ok {
				props[k] = v
			}
		}
	}
	asset := map[string]any{
		"href": href, "type": "image/tiff; application=geotiff; profile=cloud-optimized",
		"title": "Water mask (1 water, 0 land, 255 no data)", "roles": []string{"data", "visual"},
		"raster:bands": []map[string]any{{"data_type": "uint8", "nodata": MaskNoData}},
	}
	if size > 0 {
		asset["file:size"] = size
	}
	x0, y0, x1, y1 := bbox[0], bbox[1], bbox[2], bbox[3]
	return map[string]any{
		"type": "Feature", "stac_version": "1.0.0", "id": res.Item.ID,
		"stac_extensions": []string{
			"https://stac-extensions.github.io/projection/v1.1.0/schema.json",
			"https://stac-extensions.github.io/raster/v1.1.0/schema.json",
		},
		"bbox":       []float64{x0, y0, x1, y1},
		"geometry":   map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}},
		"properties": props,
		"links":      []map[string]any{{"rel": "derived_from", "href": res.Item.URL, "type": "application/geo+json", "title": "The input item"}},
		"assets":     map[string]any{"data": asset},
	}
}

// footprint is the result's extent in longitude and latitude: the mask's bounds when
// it is in EPSG:4326, otherwise the AOI (when given in EPSG:4326) within the input
// item's bbox.
func footprint(res Result, bounds [4]float64) [4]float64 {
	if res.Mask.Geo.EPSG == 4326 {
		return bounds
	}
	bb := res.AOI
	if b, ok := res.Item.Doc["bbox"].([]any); ok && len(b) == 4 {
		var ib [4]float64
		for i := range 4 {
			ib[i], _ = b[i].(float64)
		}
		if res.AOIEPSG != 4326 {
			return ib
		}
		bb = [4]float64{math.Max(bb[0], ib[0]), math.Max(bb[1], ib[1]), math.Min(bb[2], ib[2]), math.Min(bb[3], ib[3])}
	}
	return bb
}

// WriteCatalog writes the results as EOAP does: dir/catalog.json, and per item
// dir/<id>/<id>.json with its mask dir/<id>/otsu.tif.
func WriteCatalog(dir string, results []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	links := []map[string]any{
		{"rel": "root", "href": "./catalog.json", "type": "application/json"},
		{"rel": "self", "href": "./catalog.json", "type": "application/json"},
	}
	for _, res := range results {
		id := res.Item.ID
		if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
			return err
		}
		size, err := writeFile(filepath.Join(dir, id, "otsu.tif"), func(w io.Writer) error { return WriteCOG(w, res.Mask, cog.Uint8) })
		if err != nil {
			return err
		}
		doc := ItemDoc(res, "./otsu.tif", size)
		doc["links"] = append(doc["links"].([]map[string]any),
			map[string]any{"rel": "root", "href": "../catalog.json", "type": "application/json"},
			map[string]any{"rel": "parent", "href": "../catalog.json", "type": "application/json"},
			map[string]any{"rel": "self", "href": "./" + id + ".json", "type": "application/geo+json"},
		)
		if err := writeJSONFile(filepath.Join(dir, id, id+".json"), doc); err != nil {
			return err
		}
		links = append(links, map[string]any{"rel": "item", "href": "./" + id + "/" + id + ".json", "type": "application/geo+json"})
	}
	return writeJSONFile(filepath.Join(dir, "catalog.json"), map[string]any{
		"type": "Catalog", "stac_version": "1.0.0", "id": "water-bodies",
		"description": "Water bodies detected with the NDWI and Otsu's threshold", "links": links,
	})
}

func writeFile(name string, write func(io.Writer) error) (int64, error) {
	f, err := os.Create(name)
	if err != nil {
		return 0, err
	}
	if err := write(f); err != nil {
		f.Close()
		return 0, fmt.Errorf("write %s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return fi.Size(), f.Close()
}

func writeJSONFile(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// IoU is the intersection over union of the water (value 1) of two masks on the same
// grid; pixels that are NoData in either are left out.
func IoU(a, b *cog.Image) (float64, error) {
	if a.Width != b.Width || a.Height != b.Height {
		return 0, fmt.Errorf("masks of %d×%d and %d×%d", a.Width, a.Height, b.Width, b.Height)
	}
	var inter, union int
	for i := range a.Data {
		x, y := a.Data[i], b.Data[i]
		if x == MaskNoData || y == MaskNoData || math.IsNaN(float64(x)) || math.IsNaN(float64(y)) {
			continue
		}
		if x == 1 && y == 1 {
			inter++
		}
		if x == 1 || y == 1 {
			union++
		}
	}
	if union == 0 {
		return 1, nil
	}
	return float64(inter) / float64(union), nil
}
