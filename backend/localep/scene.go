package localep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"sync/atomic"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/raster"
	"github.com/spf13/afero"
)

const (
	sceneMaxSize   = 40000 // long side in pixels: a 40000² Float32 GeoTIFF is about 6 GiB
	sceneThumbSize = 512
	sceneTIFF      = "scene.tif"
	sceneThumb     = "thumbnail.png"
	// maxInMemoryOutput caps a GeoTIFF written to an in-memory Fs (tests, previews).
	maxInMemoryOutput = 256 << 20
)

func sceneProcess() *process {
	return &process{
		builtin: true, run: runScene,
		desc: ogcapi.Process{
			ProcessSummary: ogcapi.ProcessSummary{
				ID: "synthetic-scene", Version: "1.0.0",
				DescriptionType: ogcapi.DescriptionType{
					Title: "Synthetic scene",
					Description: "Makes a deterministic synthetic raster (a vegetation-index-like field with hills, a river and a lake) " +
						"over an area of interest, written as a Float32 Cloud-Optimized GeoTIFF in EPSG:4326 with a PNG thumbnail, and " +
						"returns them as a STAC ItemCollection in-line (output stac_catalog), like the water-bodies application " +
						"package does on ZOO-Project. The size input sets the long side in pixels; large sizes give files of several GiB.",
					Keywords: []string{"raster", "GeoTIFF", "STAC", "demo"},
				},
				JobControlOptions:  []string{ogcapi.SyncExecute, ogcapi.AsyncExecute, ogcapi.Dismiss},
				OutputTransmission: []string{ogcapi.TransmissionValue, ogcapi.TransmissionReference},
			},
			Inputs: map[string]ogcapi.InputDescription{
				"aoi": {
					DescriptionType: ogcapi.DescriptionType{Title: "Area of interest", Description: "The bounding box of the scene, in CRS84 (longitude, latitude)."},
					Schema:          raw(`{"allOf":[{"format":"ogc-bbox"},` + bboxSchema + `]}`),
				},
				"size": {
					DescriptionType: ogcapi.DescriptionType{Title: "Size", Description: "Pixels on the long side of the scene; the short side follows the area's aspect in degrees."},
					MinOccurs:       intp(0),
					Schema:          raw(fmt.Sprintf(`{"type":"integer","minimum":1,"maximum":%d,"default":512}`, sceneMaxSize)),
				},
				"seed": {
					DescriptionType: ogcapi.DescriptionType{Title: "Seed", Description: "Picks the landscape; the same inputs always give the same files."},
					MinOccurs:       intp(0),
					Schema:          raw(`{"type":"integer","default":1}`),
				},
			},
			Outputs: map[string]ogcapi.OutputDescription{
				"stac_catalog": {
					DescriptionType: ogcapi.DescriptionType{Title: "STAC ItemCollection", Description: "One STAC 1.0.0 item with the GeoTIFF (asset data) and the thumbnail (asset thumbnail), served by this endpoint."},
					Schema:          raw(`{"type":"object","contentMediaType":"application/geo+json"}`),
				},
			},
		},
	}
}

// sceneField reads the inputs of synthetic-scene into a raster field.
func sceneField(inputs map[string]json.RawMessage) (raster.Field, error) {
	var aoi struct {
		BBox []float64 `json:"bbox"`
		CRS  string    `json:"crs"`
	}
	if err := json.Unmarshal(wrapUnwrap(inputs["aoi"]), &aoi); err != nil {
		return raster.Field{}, invalidParameter("input \"aoi\": %v", err)
	}
	var bb [4]float64
	switch len(aoi.BBox) {
	case 4:
		copy(bb[:], aoi.BBox)
	case 6: // minLon, minLat, minH, maxLon, maxLat, maxH
		bb = [4]float64{aoi.BBox[0], aoi.BBox[1], aoi.BBox[3], aoi.BBox[4]}
	default:
		return raster.Field{}, invalidParameter("input \"aoi\": a bbox has 4 or 6 numbers")
	}
	size, seed := 512, int64(1)
	if v, ok := inputs["size"]; ok {
		_ = json.Unmarshal(v, &size)
	}
	if v, ok := inputs["seed"]; ok {
		_ = json.Unmarshal(v, &seed)
	}
	dx, dy := bb[2]-bb[0], bb[3]-bb[1]
	f := raster.Field{BBox: bb, Width: size, Height: size, Seed: seed}
	if dx > 0 && dy > 0 {
		if dx >= dy {
			f.Height = max(1, int(math.Round(float64(size)*dy/dx)))
		} else {
			f.Width = max(1, int(math.Round(float64(size)*dx/dy)))
		}
	}
	if err := f.Validate(); err != nil {
		return f, invalidParameter("input \"aoi\": %v", errors.Unwrap(err))
	}
	return f, nil
}

// wrapUnwrap returns the inner value of a qualified value, or v.
func wrapUnwrap(v json.RawMessage) json.RawMessage {
	var q struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(v, &q) == nil && len(q.Value) > 0 {
		return q.Value
	}
	return v
}

func runScene(ctx context.Context, rc *runContext, inputs map[string]json.RawMessage) (map[string]outputValue, error) {
	f, err := sceneField(inputs)
	if err != nil {
		return nil, err
	}
	raw := f.RawSize()
	if _, inMemory := rc.s.st.fs.(*afero.MemMapFs); inMemory && raw > maxInMemoryOutput {
		return nil, invalidParameter("input \"size\": a %d×%d scene is %d MiB, more than this endpoint keeps in memory (%d MiB); run geojobs with its data on disk", f.Width, f.Height, raw>>20, maxInMemoryOutput>>20)
	}
	var last atomic.Int64
	rc.Logf("writing a %d×%d Float32 Cloud-Optimized GeoTIFF, %d MiB before compression (seed %d)", f.Width, f.Height, raw>>20, f.Seed)
	rc.Progress(0, "writing the GeoTIFF")
	opt := &raster.COGOptions{Progress: func(done, total int) {
		pct := done * 95 / max(total, 1)
		if int64(pct) > last.Load() {
			last.Store(int64(pct))
			rc.Progress(pct, fmt.Sprintf("writing the GeoTIFF: %d%%", pct*100/95))
		}
	}}
	if _, onDisk := rc.s.st.fs.(*afero.OsFs); onDisk {
		opt.TempDir = rc.s.st.dir // compressed tiles wait beside the data, not in a RAM-backed /tmp
	}
	// The writer compresses every tile before it writes the file's first byte: the
	// source checks ctx so that a dismissed job stops at once.
	// The full-resolution windows (Step 1) cover every pixel once: their statistics
	// are the file's, said in the item (not the field's nominal range).
	var stats raster.Stats
	src := raster.SourceFunc(func(dst []byte, w raster.Window) error {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err := f.ReadWindow(dst, w); err != nil {
			return err
		}
		if w.Step == 1 {
			stats.AddFloat32(dst[:w.Cols*w.Rows*4])
		}
		return nil
	})
	tif, err := rc.writeOutput(ctx, sceneTIFF, "image/tiff; application=geotiff", func(w io.Writer) error {
		return raster.WriteCOG(w, f.Image(), src, opt)
	})
	if err != nil {
		return nil, err
	}
	rc.Progress(96, "writing the thumbnail")
	png, err := rc.writeOutput(ctx, sceneThumb, "image/png", func(w io.Writer) error { return f.WritePNG(w, sceneThumbSize) })
	if err != nil {
		return nil, err
	}
	rc.Logf("wrote %s (%d bytes) and %s (%d bytes)", sceneTIFF, tif.Size, sceneThumb, png.Size)
	fc := sceneItems(rc.JobID(), rc.j.snapshot().Status.Created, f, stats.STAC(), tif, png)
	doc, err := json.Marshal(map[string]any{"value": fc})
	if err != nil {
		return nil, err
	}
	return map[string]outputValue{"stac_catalog": {Doc: doc, MediaType: "application/geo+json", Rebase: true}}, nil
}

// ctxWriter fails writes once ctx is done, so a dismissed job stops writing.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(b []byte) (int, error) {
	if c.ctx.Err() != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.w.Write(b)
}

// writeOutput creates the output file name of the job, streams write into it while
// computing its sha2-256 multihash, and registers it for /jobs/{id}/outputs/{name}.
func (rc *runContext) writeOutput(ctx context.Context, name, mediaType string, write func(io.Writer) error) (fileInfo, error) {
	st := rc.s.st
	dir := st.outputDir(rc.j.id)
	if err := st.fs.MkdirAll(dir, 0o755); err != nil {
		return fileInfo{}, fmt.Errorf("cannot create the output directory: %w", err)
	}
	file, err := st.fs.OpenFile(path.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fileInfo{}, fmt.Errorf("cannot create output %s: %w", name, err)
	}
	h, _ := multihash.New(multihash.SHA2_256)
	cw := &countWriter{}
	err = write(ctxWriter{ctx: ctx, w: io.MultiWriter(file, h, cw)})
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = st.fs.Remove(path.Join(dir, name))
		if ctx.Err() != nil {
			return fileInfo{}, context.Cause(ctx)
		}
		var p *problem
		if errors.As(err, &p) {
			return fileInfo{}, p
		}
		return fileInfo{}, fmt.Errorf("writing output %s failed: %w", name, err)
	}
	info := fileInfo{MediaType: mediaType, Size: cw.n, Checksum: multihash.Encode(multihash.SHA2_256, h.Sum(nil))}
	rc.s.update(rc.j, func(r *jobRecord) {
		if r.Files == nil {
			r.Files = map[string]fileInfo{}
		}
		r.Files[name] = info
	})
	return info, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

// sceneItems is the STAC ItemCollection of a scene: one item, two assets, hrefs
// relative to basePlaceholder.
func sceneItems(jobID string, created *time.Time, f raster.Field, stats map[string]any, tif, png fileInfo) map[string]any {
	bb := f.BBox
	dt := time.Now().UTC()
	if created != nil {
		dt = created.UTC()
	}
	files := basePlaceholder + "jobs/" + jobID + "/outputs/"
	// raster.WriteCOG writes a Cloud-Optimized GeoTIFF (tiled, DEFLATE with the
	// floating-point predictor, internal overviews, laid out as GDAL's validator wants).
	tiffType := "image/tiff; application=geotiff; profile=cloud-optimized"
	resX, resY := (bb[2]-bb[0])/float64(f.Width), (bb[3]-bb[1])/float64(f.Height)
	item := map[string]any{
		"type":         "Feature",
		"stac_version": "1.0.0",
		"stac_extensions": []string{
			"https://stac-extensions.github.io/file/v2.1.0/schema.json",
			"https://stac-extensions.github.io/projection/v1.1.0/schema.json",
			"https://stac-extensions.github.io/raster/v1.1.0/schema.json",
		},
		"id":       "synthetic-scene-" + jobID,
		"bbox":     []float64{bb[0], bb[1], bb[2], bb[3]},
		"geometry": map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{bb[0], bb[1]}, {bb[2], bb[1]}, {bb[2], bb[3]}, {bb[0], bb[3]}, {bb[0], bb[1]}}}},
		"properties": map[string]any{
			"title":          fmt.Sprintf("Synthetic scene, seed %d", f.Seed),
			"datetime":       dt.Format(time.RFC3339),
			"proj:epsg":      4326,
			"proj:shape":     []int{f.Height, f.Width},
			"proj:bbox":      []float64{bb[0], bb[1], bb[2], bb[3]},
			"proj:transform": []float64{resX, 0, bb[0], 0, -resY, bb[3], 0, 0, 1},
		},
		"links": []map[string]any{
			{"rel": "via", "href": basePlaceholder + "jobs/" + jobID, "type": "application/json", "title": "The job that made this item"},
		},
		"assets": map[string]any{
			"data": map[string]any{
				"href": files + sceneTIFF, "type": tiffType, "title": "Synthetic index (Float32)",
				"roles": []string{"data"}, "file:size": tif.Size, "file:checksum": tif.Checksum,
				// The file's statistics, so viewers can stretch the preview.
				"raster:bands": []map[string]any{{"data_type": "float32", "statistics": stats}},
			},
			"thumbnail": map[string]any{
				"href": files + sceneThumb, "type": "image/png", "title": "Thumbnail",
				"roles": []string{"thumbnail"}, "file:size": png.Size, "file:checksum": png.Checksum,
			},
		},
	}
	return map[string]any{"type": "FeatureCollection", "features": []any{item}}
}
