package synthstac

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/geocheck"
)

// CollectionID is the id of the one collection.
const CollectionID = "synthetic-s2"

const (
	stacVersion  = "1.0.0"
	defaultLimit = 10
	maxLimit     = 1000
	thumbSize    = 256
	// version changes the ETags when the landscape or the file layout changes.
	version = "1"
)

var conformance = []string{
	"https://api.stacspec.org/v1.0.0/core",
	"https://api.stacspec.org/v1.0.0/collections",
	"https://api.stacspec.org/v1.0.0/ogcapi-features",
	"https://api.stacspec.org/v1.0.0/item-search",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
}

// assets are the COG assets of an item, in band order.
var assets = []struct {
	key, title, common string
	band               int
	typ                cog.DataType
	wavelength         float64
}{
	{"green", "Green (B03), surface reflectance", "green", bandGreen, cog.Uint16, 0.56},
	{"red", "Red (B04), surface reflectance", "red", bandRed, cog.Uint16, 0.665},
	{"nir", "Near infrared (B08), surface reflectance", "nir", bandNIR, cog.Uint16, 0.842},
	{"truth", "Water mask the scene was made from (1 water, 0 land)", "", bandTruth, cog.Uint8, 0},
}

// API serves the STAC API. Mount its Handler under a prefix with http.StripPrefix.
type API struct {
	base func(r *http.Request) string

	mu     sync.Mutex
	files  map[string]*cog.Virtual // by item id + "/" + asset, a few kept
	recent []string
}

// New returns the API; base gives the absolute URL at which the API's root ("/") is
// served for a request, without a trailing slash (links are built from it).
func New(base func(r *http.Request) string) *API {
	return &API{base: base, files: map[string]*cog.Virtual{}}
}

// Handler returns the HTTP handler of the API, rooted at "/".
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.landing)
	mux.HandleFunc("GET /conformance", a.conformance)
	mux.HandleFunc("GET /collections", a.collections)
	mux.HandleFunc("GET /collections/{cid}", a.collection)
	mux.HandleFunc("GET /collections/{cid}/items", a.items)
	mux.HandleFunc("GET /collections/{cid}/items/{id}", a.item)
	mux.HandleFunc("GET /collections/{cid}/items/{id}/{file}", a.asset)
	mux.HandleFunc("GET /search", a.search)
	mux.HandleFunc("POST /search", a.search)
	return mux
}

type link struct {
	Href   string         `json:"href"`
	Rel    string         `json:"rel"`
	Type   string         `json:"type,omitempty"`
	Title  string         `json:"title,omitempty"`
	Method string         `json:"method,omitempty"`
	Body   map[string]any `json:"body,omitempty"`
	Merge  *bool          `json:"merge,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, ct string, v any) {
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func problem(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, "application/json", map[string]any{
		"code": http.StatusText(status), "description": fmt.Sprintf(format, args...),
	})
}

func (a *API) landing(w http.ResponseWriter, r *http.Request) {
	b := a.base(r)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"type": "Catalog", "stac_version": stacVersion, "id": "geojobs-synthetic",
		"title":       "geojobs synthetic scenes",
		"description": "Synthetic Sentinel-2-like scenes over the whole world, computed on demand on this computer (collection synthetic-s2).",
		"conformsTo":  conformance,
		"links": []link{
			{Href: b + "/", Rel: "self", Type: "application/json"},
			{Href: b + "/", Rel: "root", Type: "application/json"},
			{Href: b + "/conformance", Rel: "conformance", Type: "application/json"},
			{Href: b + "/collections", Rel: "data", Type: "application/json"},
			{Href: b + "/collections/" + CollectionID, Rel: "child", Type: "application/json", Title: "Synthetic Sentinel-2"},
			{Href: b + "/search", Rel: "search", Type: "application/geo+json", Method: "GET"},
			{Href: b + "/search", Rel: "search", Type: "application/geo+json", Method: "POST"},
		},
	})
}

func (a *API) conformance(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"conformsTo": conformance})
}

func (a *API) collectionDoc(r *http.Request) map[string]any {
	b := a.base(r)
	c := b + "/collections/" + CollectionID
	itemAssets := map[string]any{}
	for _, as := range assets {
		itemAssets[as.key] = assetMeta(as.key)
	}
	itemAssets["thumbnail"] = map[string]any{"title": "Thumbnail", "type": "image/png", "roles": []string{"thumbnail"}}
	return map[string]any{
		"type": "Collection", "stac_version": stacVersion, "id": CollectionID,
		"stac_extensions": []string{"https://stac-extensions.github.io/item-assets/v1.0.0/schema.json"},
		"title":           "Synthetic Sentinel-2",
		"description": "Deterministic synthetic scenes: 1°×1° cells every 5 days in 2024–2025, with green, red and near-infrared " +
			"reflectance as 10980×10980 UInt16 COGs (scale 0.0001) and the true water mask, computed on demand.",
		"license":  "CC0-1.0",
		"keywords": []string{"synthetic", "sentinel-2", "water", "test"},
		"extent": map[string]any{
			"spatial":  map[string]any{"bbox": [][]float64{{-180, -90, 180, 90}}},
			"temporal": map[string]any{"interval": [][]any{{firstDate.Format(time.RFC3339), dateAt(numDates - 1).Format(time.RFC3339)}}},
		},
		"summaries":   map[string]any{"gsd": []float64{10}, "proj:epsg": []int{4326}, "platform": []string{"synthetic-2"}},
		"item_assets": itemAssets,
		"links": []link{
			{Href: c, Rel: "self", Type: "application/json"},
			{Href: b + "/", Rel: "root", Type: "application/json"},
			{Href: b + "/", Rel: "parent", Type: "application/json"},
			{Href: c + "/items", Rel: "items", Type: "application/geo+json"},
		},
	}
}

func (a *API) collections(w http.ResponseWriter, r *http.Request) {
	b := a.base(r)
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"collections": []any{a.collectionDoc(r)},
		"links": []link{
			{Href: b + "/collections", Rel: "self", Type: "application/json"},
			{Href: b + "/", Rel: "root", Type: "application/json"},
		},
	})
}

func (a *API) collection(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("cid") != CollectionID {
		problem(w, http.StatusNotFound, "no collection %q (this API has %q)", r.PathValue("cid"), CollectionID)
		return
	}
	writeJSON(w, http.StatusOK, "application/json", a.collectionDoc(r))
}

func assetMeta(key string) map[string]any {
	for _, as := range assets {
		if as.key != key {
			continue
		}
		m := map[string]any{
			"title": as.title, "type": "image/tiff; application=geotiff; profile=cloud-optimized",
			"gsd": 10, "proj:shape": []int{SceneSize, SceneSize},
		}
		if as.band == bandTruth {
			m["roles"] = []string{"data", "truth"}
			m["raster:bands"] = []map[string]any{{"data_type": "uint8", "nodata": 255}}
		} else {
			m["roles"] = []string{"data", "reflectance"}
			m["eo:bands"] = []map[string]any{{"name": as.key, "common_name": as.common, "center_wavelength": as.wavelength}}
			m["raster:bands"] = []map[string]any{{"data_type": "uint16", "scale": 0.0001, "offset": 0, "nodata": 0}}
		}
		return m
	}
	return nil
}

// itemDoc is the STAC item of a scene.
func (a *API) itemDoc(base string, s scene) map[string]any {
	self := base + "/collections/" + CollectionID + "/items/" + s.ID()
	x0, y0, x1, y1 := float64(s.lon0), float64(s.lat0), float64(s.lon0+1), float64(s.lat0+1)
	as := map[string]any{}
	for _, def := range assets {
		m := assetMeta(def.key)
		m["href"] = self + "/" + def.key + ".tif"
		as[def.key] = m
	}
	as["thumbnail"] = map[string]any{"href": self + "/thumbnail.png", "type": "image/png", "title": "Thumbnail (red, green, green)", "roles": []string{"thumbnail"}}
	d := 1.0 / SceneSize
	return map[string]any{
		"type": "Feature", "stac_version": stacVersion, "id": s.ID(), "collection": CollectionID,
		"stac_extensions": []string{
			"https://stac-extensions.github.io/eo/v1.1.0/schema.json",
			"https://stac-extensions.github.io/projection/v1.1.0/schema.json",
			"https://stac-extensions.github.io/raster/v1.1.0/schema.json",
		},
		"bbox":     []float64{x0, y0, x1, y1},
		"geometry": map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}},
		"properties": map[string]any{
			"datetime":       dateAt(s.date).Format(time.RFC3339),
			"platform":       "synthetic-2",
			"constellation":  "synthetic",
			"gsd":            10,
			"eo:cloud_cover": 0,
			"proj:epsg":      4326,
			"proj:shape":     []int{SceneSize, SceneSize},
			"proj:transform": []float64{d, 0, x0, 0, -d, y1, 0, 0, 1},
			"grid:code":      "SYN-" + s.name(),
		},
		"links": []link{
			{Href: self, Rel: "self", Type: "application/geo+json"},
			{Href: base + "/collections/" + CollectionID, Rel: "collection", Type: "application/json"},
			{Href: base + "/collections/" + CollectionID, Rel: "parent", Type: "application/json"},
			{Href: base + "/", Rel: "root", Type: "application/json"},
		},
		"assets": as,
	}
}

func (a *API) item(w http.ResponseWriter, r *http.Request) {
	s, ok := a.lookup(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, "application/geo+json", a.itemDoc(a.base(r), s))
}

func (a *API) lookup(w http.ResponseWriter, r *http.Request) (scene, bool) {
	if r.PathValue("cid") != CollectionID {
		problem(w, http.StatusNotFound, "no collection %q", r.PathValue("cid"))
		return scene{}, false
	}
	s, ok := parseID(r.PathValue("id"))
	if !ok {
		problem(w, http.StatusNotFound, "no item %q in %s", r.PathValue("id"), CollectionID)
		return scene{}, false
	}
	return s, true
}

// query is a search: a product of cells and dates, enumerated date by date, each date
// north to south and west to east.
type query struct {
	bbox        [4]float64
	from, to    int // date indexes, inclusive
	ids         []string
	limit, skip int
}

func (q *query) cells() (lon0, lon1, lat0, lat1 int) {
	lon0 = max(-180, int(math.Floor(q.bbox[0])))
	lon1 = min(179, int(math.Ceil(q.bbox[2]))-1)
	lat0 = max(-90, int(math.Floor(q.bbox[1])))
	lat1 = min(89, int(math.Ceil(q.bbox[3]))-1)
	return
}

func (q *query) total() int {
	if q.ids != nil {
		return len(q.ids)
	}
	lon0, lon1, lat0, lat1 := q.cells()
	if lon1 < lon0 || lat1 < lat0 || q.to < q.from {
		return 0
	}
	return (lon1 - lon0 + 1) * (lat1 - lat0 + 1) * (q.to - q.from + 1)
}

func (q *query) at(i int) (scene, bool) {
	if q.ids != nil {
		return parseID(q.ids[i])
	}
	lon0, lon1, lat0, lat1 := q.cells()
	nx, ny := lon1-lon0+1, lat1-lat0+1
	perDate := nx * ny
	d, k := i/perDate, i%perDate
	return scene{cell: cell{lon0: lon0 + k%nx, lat0: lat1 - k/nx}, date: q.from + d}, true
}

// parseQuery reads the search parameters from the URL query or a JSON body.
func parseQuery(r *http.Request) (*query, map[string]any, error) {
	params := map[string]any{}
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&params); err != nil {
			return nil, nil, fmt.Errorf("the search body is not a JSON object: %v", err)
		}
	} else {
		for k, vs := range r.URL.Query() {
			v := vs[len(vs)-1]
			switch k {
			case "bbox", "collections", "ids":
				var parts []any
				for _, p := range strings.Split(v, ",") {
					if k == "bbox" {
						f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
						if err != nil {
							return nil, nil, fmt.Errorf("bbox: %q is not a number", p)
						}
						parts = append(parts, f)
					} else {
						parts = append(parts, strings.TrimSpace(p))
					}
				}
				params[k] = parts
			case "limit":
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, nil, fmt.Errorf("limit: %q is not an integer", v)
				}
				params[k] = float64(n)
			case "intersects":
				var g any
				if err := json.Unmarshal([]byte(v), &g); err != nil {
					return nil, nil, fmt.Errorf("intersects is not GeoJSON: %v", err)
				}
				params[k] = g
			default:
				params[k] = v
			}
		}
	}
	q := &query{bbox: [4]float64{-180, -90, 180, 90}, from: 0, to: numDates - 1, limit: defaultLimit}
	for k, v := range params {
		switch k {
		case "bbox":
			arr, _ := v.([]any)
			var nums []float64
			for _, e := range arr {
				f, ok := e.(float64)
				if !ok {
					return nil, nil, fmt.Errorf("bbox must be numbers")
				}
				nums = append(nums, f)
			}
			switch len(nums) {
			case 4:
				copy(q.bbox[:], nums)
			case 6:
				q.bbox = [4]float64{nums[0], nums[1], nums[3], nums[4]}
			default:
				return nil, nil, fmt.Errorf("bbox must have 4 or 6 numbers, got %d", len(nums))
			}
			if q.bbox[0] > q.bbox[2] {
				return nil, nil, fmt.Errorf("bbox crosses the antimeridian: search its two halves")
			}
			if q.bbox[1] > q.bbox[3] {
				return nil, nil, fmt.Errorf("bbox: minimum latitude above maximum")
			}
		case "intersects":
			// Cells are rectangles: the geometry's box is exact for boxes, generous otherwise.
			bb, ok := geocheck.BoundsOf(v)
			if !ok {
				return nil, nil, fmt.Errorf("intersects has no coordinates")
			}
			q.bbox = bb
		case "datetime":
			s, _ := v.(string)
			from, to, err := dateRange(s)
			if err != nil {
				return nil, nil, err
			}
			q.from, q.to = from, to
		case "collections":
			arr, _ := v.([]any)
			found := false
			for _, c := range arr {
				found = found || c == CollectionID
			}
			if !found {
				q.to = -1 // no collection of this API: nothing matches
			}
		case "ids":
			arr, _ := v.([]any)
			q.ids = []string{}
			for _, id := range arr {
				if s, ok := id.(string); ok {
					q.ids = append(q.ids, s)
				}
			}
		case "limit":
			n, _ := v.(float64)
			if n < 1 {
				return nil, nil, fmt.Errorf("limit must be at least 1")
			}
			q.limit = min(int(n), maxLimit)
		case "token":
			s, _ := v.(string)
			n, err := strconv.Atoi(strings.TrimPrefix(s, "next:"))
			if err != nil || n < 0 {
				return nil, nil, fmt.Errorf("token %q is not one this API gave", s)
			}
			q.skip = n
		case "filter", "filter-lang", "query", "sortby", "fields":
			return nil, nil, fmt.Errorf("%s is not supported by this API (see its conformsTo)", k)
		}
	}
	return q, params, nil
}

// dateRange turns a datetime parameter (an instant, "a/b", "../b", "a/..") into date
// indexes.
func dateRange(s string) (from, to int, err error) {
	parse := func(p string, end bool) (time.Time, error) {
		p = strings.TrimSpace(p)
		if p == "" || p == ".." {
			if end {
				return dateAt(numDates - 1), nil
			}
			return firstDate, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, p); err == nil {
			return t, nil
		}
		if t, err := time.Parse("2006-01-02", p); err == nil {
			if end {
				return t.Add(24*time.Hour - time.Nanosecond), nil
			}
			return t, nil
		}
		return time.Time{}, fmt.Errorf("datetime %q is not RFC 3339", p)
	}
	a, b, interval := strings.Cut(s, "/")
	if !interval {
		b = a
	}
	ta, err := parse(a, false)
	if err != nil {
		return 0, 0, err
	}
	tb, err := parse(b, true)
	if err != nil {
		return 0, 0, err
	}
	from = int(math.Ceil(float64(ta.Sub(firstDate)) / float64(dateStep)))
	to = int(math.Floor(float64(tb.Sub(firstDate)) / float64(dateStep)))
	return max(from, 0), min(to, numDates-1), nil
}

func (a *API) items(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("cid") != CollectionID {
		problem(w, http.StatusNotFound, "no collection %q", r.PathValue("cid"))
		return
	}
	a.answer(w, r, a.base(r)+"/collections/"+CollectionID+"/items")
}

func (a *API) search(w http.ResponseWriter, r *http.Request) {
	a.answer(w, r, a.base(r)+"/search")
}

func (a *API) answer(w http.ResponseWriter, r *http.Request, self string) {
	q, params, err := parseQuery(r)
	if err != nil {
		problem(w, http.StatusBadRequest, "%v", err)
		return
	}
	base := a.base(r)
	total := q.total()
	features := []any{}
	i := q.skip
	for ; i < total && len(features) < q.limit; i++ {
		if s, ok := q.at(i); ok {
			features = append(features, a.itemDoc(base, s))
		}
	}
	links := []link{{Href: base + "/", Rel: "root", Type: "application/json"}}
	if i < total {
		token := "next:" + strconv.Itoa(i)
		if r.Method == http.MethodPost {
			body := map[string]any{}
			for k, v := range params {
				body[k] = v
			}
			body["token"] = token
			f := false
			links = append(links, link{Href: self, Rel: "next", Type: "application/geo+json", Method: "POST", Body: body, Merge: &f})
		} else {
			u := url.Values{}
			for k, vs := range r.URL.Query() {
				u[k] = vs
			}
			u.Set("token", token)
			links = append(links, link{Href: self + "?" + u.Encode(), Rel: "next", Type: "application/geo+json", Method: "GET"})
		}
	}
	writeJSON(w, http.StatusOK, "application/geo+json", map[string]any{
		"type": "FeatureCollection", "features": features, "links": links,
		"numberMatched": total, "numberReturned": len(features),
		"context": map[string]any{"returned": len(features), "limit": q.limit, "matched": total},
	})
}

// File returns the COG of an asset of an item ("green", "red", "nir", "truth"), for
// the handler and for tests in other packages that want the bytes without HTTP.
func (a *API) File(itemID, asset string) (*cog.Virtual, error) {
	s, ok := parseID(itemID)
	if !ok {
		return nil, fmt.Errorf("synthstac: no item %q", itemID)
	}
	key := itemID + "/" + asset
	a.mu.Lock()
	if v, ok := a.files[key]; ok {
		a.mu.Unlock()
		return v, nil
	}
	a.mu.Unlock()
	for _, def := range assets {
		if def.key != asset {
			continue
		}
		spec := cog.Spec{
			Width: SceneSize, Height: SceneSize, Type: def.typ, TileSize: 512,
			Geo: cog.Geo{EPSG: 4326, X0: float64(s.lon0), Y0: float64(s.lat0 + 1), DX: 1.0 / SceneSize, DY: 1.0 / SceneSize},
			Pixels: func(level, c0, r0, w, h int, dst []float64) {
				s.pixels(def.band, level, c0, r0, w, h, dst)
			},
		}
		v, err := cog.NewVirtual(spec)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if old, ok := a.files[key]; ok {
			return old, nil
		}
		a.files[key] = v
		a.recent = append(a.recent, key)
		if len(a.recent) > 16 {
			delete(a.files, a.recent[0])
			a.recent = a.recent[1:]
		}
		return v, nil
	}
	return nil, fmt.Errorf("synthstac: no asset %q", asset)
}

func (a *API) asset(w http.ResponseWriter, r *http.Request) {
	s, ok := a.lookup(w, r)
	if !ok {
		return
	}
	file := r.PathValue("file")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	if file == "thumbnail.png" {
		w.Header().Set("ETag", `"`+s.ID()+"-thumbnail-"+version+`"`)
		w.Header().Set("Content-Type", "image/png")
		_ = png.Encode(w, thumbnail(s))
		return
	}
	key, ok := strings.CutSuffix(file, ".tif")
	if !ok {
		problem(w, http.StatusNotFound, "no file %q in item %s", file, s.ID())
		return
	}
	v, err := a.File(s.ID(), key)
	if err != nil {
		problem(w, http.StatusNotFound, "no asset %q in item %s", key, s.ID())
		return
	}
	w.Header().Set("Content-Type", "image/tiff; application=geotiff; profile=cloud-optimized")
	w.Header().Set("ETag", `"`+s.ID()+"-"+key+"-"+version+`"`)
	http.ServeContent(w, r, file, dateAt(s.date), v.Reader())
}

// thumbnail is a small natural-looking picture of the scene: red, green and a blue
// made from green.
func thumbnail(s scene) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, thumbSize, thumbSize))
	level := 0
	for w := SceneSize; w > thumbSize; w = (w + 1) / 2 {
		level++
	}
	lw := SceneSize >> level
	step := float64(lw) / thumbSize
	vals := make([]float64, 1)
	for y := range thumbSize {
		for x := range thumbSize {
			c, r := int(float64(x)*step), int(float64(y)*step)
			var rgb [3]float64
			for i, band := range []int{bandRed, bandGreen, bandGreen} {
				s.pixels(band, level, c, r, 1, 1, vals)
				rgb[i] = vals[0]
			}
			rgb[2] *= 0.8
			conv := func(v float64) uint8 { return uint8(min(255, v/10000*255*2.5)) }
			img.Set(x, y, color.RGBA{conv(rgb[0]), conv(rgb[1]), conv(rgb[2]), 255})
		}
	}
	return img
}
