package waterbodies

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/geojobs/geojobs/backend/cog"
)

// DefaultMaxSide is the largest side, in pixels, of a crop: an AOI wider than that at
// full resolution is read from the overview that brings it under (as a viewer
// would), so a large AOI does not read a whole scene.
const DefaultMaxSide = 8192

// Meter adds up what the crops read.
type Meter struct {
	Requests  atomic.Int64
	BytesRead atomic.Int64
}

// Reader fetches items and crops their bands.
type Reader struct {
	Client  *http.Client // default http.DefaultClient
	MaxSide int          // default DefaultMaxSide
	Meter   Meter
}

// Item is the part of a STAC item water-bodies uses.
type Item struct {
	ID     string
	URL    string         // where it was read from
	Doc    map[string]any // the whole item
	Assets map[string]Asset
}

// Asset is a STAC asset.
type Asset struct {
	Href        string                              `json:"href"`
	Type        string                              `json:"type"`
	EOBands     []struct{ Name, CommonName string } `json:"eo:bands"`
	RasterBands []struct {
		Scale  *float64 `json:"scale"`
		Offset *float64 `json:"offset"`
	} `json:"raster:bands"`
}

func (r *Reader) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return http.DefaultClient
}

// FetchItem reads a STAC item from an http(s) URL or a local file; relative asset
// hrefs are resolved against it.
func (r *Reader) FetchItem(ctx context.Context, loc string) (*Item, error) {
	var body []byte
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/geo+json, application/json")
		resp, err := r.client().Do(req)
		if err != nil {
			return nil, fmt.Errorf("item %s: %w", loc, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("item %s: %s", loc, resp.Status)
		}
		if body, err = io.ReadAll(io.LimitReader(resp.Body, 16<<20)); err != nil {
			return nil, fmt.Errorf("item %s: %w", loc, err)
		}
	} else {
		var err error
		if body, err = os.ReadFile(strings.TrimPrefix(loc, "file://")); err != nil {
			return nil, fmt.Errorf("item %s: %w", loc, err)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("item %s is not JSON: %w", loc, err)
	}
	var parsed struct {
		ID     string           `json:"id"`
		Type   string           `json:"type"`
		Assets map[string]Asset `json:"assets"`
	}
	if err := json.Unmarshal(body, &parsed); err != nil || parsed.Type != "Feature" || parsed.ID == "" {
		return nil, fmt.Errorf("%s is not a STAC item", loc)
	}
	base, _ := url.Parse(loc)
	for k, a := range parsed.Assets {
		if u, err := url.Parse(a.Href); err == nil && base != nil && !u.IsAbs() && !strings.HasPrefix(a.Href, "/") {
			a.Href = base.ResolveReference(u).String()
			parsed.Assets[k] = a
		}
	}
	return &Item{ID: parsed.ID, URL: loc, Doc: doc, Assets: parsed.Assets}, nil
}

// Asset finds a band by asset key, or by eo:bands common name or name.
func (it *Item) Asset(band string) (Asset, error) {
	if a, ok := it.Assets[band]; ok {
		return a, nil
	}
	for _, a := range it.Assets {
		for _, b := range a.EOBands {
			if strings.EqualFold(b.CommonName, band) || strings.EqualFold(b.Name, band) {
				return a, nil
			}
		}
	}
	return Asset{}, fmt.Errorf("item %s has no band %q (assets: %s)", it.ID, band, strings.Join(slices.Sorted(maps.Keys(it.Assets)), ", "))
}

// Crop reads the part of a band of it that covers aoi (in EPSG:epsg), in the band's
// CRS, with the asset's raster:bands scale and offset applied.
func (r *Reader) Crop(ctx context.Context, it *Item, band string, aoi [4]float64, epsg int) (*cog.Image, error) {
	a, err := it.Asset(band)
	if err != nil {
		return nil, err
	}
	src, closeSrc, err := cog.SourceFor(a.Href, r.client())
	if err != nil {
		return nil, fmt.Errorf("band %s of %s: %w", band, it.ID, err)
	}
	defer closeSrc()
	defer func() {
		if st := cog.StatsOf(src); st != nil {
			r.Meter.Requests.Add(st.Requests.Load())
			r.Meter.BytesRead.Add(st.BytesRead.Load())
		}
	}()
	f, err := cog.Open(ctx, src, nil)
	if err != nil {
		return nil, fmt.Errorf("band %s of %s: %w", band, it.ID, err)
	}
	bounds, err := toCRS(aoi, epsg, f.Geo.EPSG)
	if err != nil {
		return nil, fmt.Errorf("band %s of %s: %w", band, it.ID, err)
	}
	maxSide := r.MaxSide
	if maxSide <= 0 {
		maxSide = DefaultMaxSide
	}
	li := 0
	for ; li < len(f.Levels)-1; li++ {
		if _, _, w, h := f.Window(li, bounds); max(w, h) <= maxSide {
			break
		}
	}
	img, err := f.ReadBounds(ctx, li, bounds)
	if err != nil {
		return nil, fmt.Errorf("band %s of %s: the AOI is outside the image: %w", band, it.ID, err)
	}
	if len(a.RasterBands) > 0 {
		scale, offset := 1.0, 0.0
		if s := a.RasterBands[0].Scale; s != nil {
			scale = *s
		}
		if o := a.RasterBands[0].Offset; o != nil {
			offset = *o
		}
		if scale != 1 || offset != 0 {
			for i, v := range img.Data {
				img.Data[i] = float32(float64(v)*scale + offset)
			}
		}
	}
	return img, nil
}

// NDWI is (a − b) / (a + b) pixel by pixel: with a = green and b = near infrared,
// water is positive. The images must have the same grid.
func NDWI(a, b *cog.Image) (*cog.Image, error) {
	if a.Width != b.Width || a.Height != b.Height || math.Abs(a.Geo.X0-b.Geo.X0) > a.Geo.DX/2 || math.Abs(a.Geo.Y0-b.Geo.Y0) > a.Geo.DY/2 {
		return nil, fmt.Errorf("the two rasters are not on the same grid (%d×%d and %d×%d)", a.Width, a.Height, b.Width, b.Height)
	}
	out := &cog.Image{Width: a.Width, Height: a.Height, Geo: a.Geo, Data: make([]float32, len(a.Data))}
	for i := range a.Data {
		x, y := a.Data[i], b.Data[i]
		if x+y == 0 {
			out.Data[i] = float32(math.NaN())
			continue
		}
		out.Data[i] = (x - y) / (x + y)
	}
	return out, nil
}

// Otsu returns the threshold that best splits the finite values of img in two classes
// (Otsu's method on a 256-bin histogram, as scikit-image's threshold_otsu).
func Otsu(img *cog.Image) (float32, error) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range img.Data {
		if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
	}
	if math.IsInf(lo, 0) {
		return 0, fmt.Errorf("the raster has no valid pixel")
	}
	if lo == hi {
		return float32(lo), nil
	}
	const bins = 256
	var hist [bins]float64
	width := (hi - lo) / bins
	for _, v := range img.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		hist[min(int((f-lo)/width), bins-1)]++
	}
	var total, sumAll float64
	for i, h := range hist {
		total += h
		sumAll += h * (lo + (float64(i)+0.5)*width)
	}
	best, bestVar := 0, -1.0
	var w0, sum0 float64
	for i := 0; i < bins-1; i++ {
		w0 += hist[i]
		sum0 += hist[i] * (lo + (float64(i)+0.5)*width)
		w1 := total - w0
		if w0 == 0 || w1 == 0 {
			continue
		}
		m0, m1 := sum0/w0, (sumAll-sum0)/w1
		if v := w0 * w1 * (m0 - m1) * (m0 - m1); v > bestVar {
			best, bestVar = i, v
		}
	}
	return float32(lo + (float64(best)+0.5)*width), nil
}

// Mask is 1 where img is above threshold, 0 elsewhere, and 255 (NoData) where img
// has no value.
func Mask(img *cog.Image, threshold float32) *cog.Image {
	out := &cog.Image{Width: img.Width, Height: img.Height, Geo: img.Geo, Data: make([]float32, len(img.Data))}
	for i, v := range img.Data {
		switch {
		case math.IsNaN(float64(v)):
			out.Data[i] = MaskNoData
		case v > threshold:
			out.Data[i] = 1
		}
	}
	return out
}

// MaskNoData is the NoData value of masks.
const MaskNoData = 255
