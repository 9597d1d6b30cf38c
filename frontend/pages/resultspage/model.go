package resultspage

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"mime"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
)

// Paging: items per page, and assets shown per item before "show all".
const (
	ItemsPerPage  = 20
	AssetsPerItem = 50
	AssetsPerPage = 200
)

// Model is the results page.
type Model struct {
	Job         store.Job
	Items       []ItemView
	TotalItems  int
	TotalAssets int
	Page, Pages int
	// Focus is the item shown alone ("show all assets"), with asset paging.
	Focus                 string
	AssetPage, AssetPages int
	AOI                   string // the job's AOI, GeoJSON
	Dest                  string // default download folder
	Downloads             results.JobProgress
	Notice, Problem       string
	// Export is the export form and panel; nil when exports are not available.
	Export *ExportModel
	// Map is the user's map preferences (the footprints map's tiles).
	Map prefs.Prefs
	// Outputs are the job's outputs, typed, in the description's order (nil for
	// results collected before geojobs listed them).
	Outputs []OutputView
}

// ItemView is one item and the assets shown.
type ItemView struct {
	ID, Title, Datetime string
	Assets              []AssetView
	More                int    // assets not shown
	Props               []Prop // the item's properties and its rasters' band statistics
}

// Prop is one property shown: a name and its value as compact JSON (strings unquoted).
type Prop struct{ Name, Value string }

// maxPropValue is the longest property value shown in full.
const maxPropValue = 300

// itemProps lists an item's properties (proj:*, eo:*, datetime, …; the job's own
// geojobs:outputs are in the Outputs card) and the raster:bands of its assets.
func itemProps(it *stac.Item) []Prop {
	var out []Prop
	add := func(name string, raw json.RawMessage) {
		v := compactJSON(raw)
		var s string
		if json.Unmarshal(raw, &s) == nil {
			v = s
		}
		if len(v) > maxPropValue {
			v = strings.ToValidUTF8(v[:maxPropValue], "") + "…"
		}
		out = append(out, Prop{Name: name, Value: v})
	}
	for _, k := range slices.Sorted(maps.Keys(it.Properties)) {
		if k == stac.PropOutputs || k == "title" {
			continue
		}
		add(k, it.Properties[k])
	}
	for _, k := range it.AssetKeys() {
		if b, ok := it.Assets[k].Extra["raster:bands"]; ok {
			add(k+" · raster:bands", b)
		}
	}
	return out
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// AssetView is one asset row.
type AssetView struct {
	Key, Title, Type, Href string
	Roles                  []string
	Size                   string
	Checksum               string
	Proxy                  string // same-origin URL through the backend
	Image                  bool   // shown as an image (thumbnail, overview)
	Ref                    string // form value naming the asset
	Alternates             []Alternate
	// NotFetched says why the app never fetches this asset (a file: href in a server's
	// results); such an asset is shown, not offered for download, preview or opening.
	NotFetched string
}

// Alternate is another way to reach an asset (STAC alternate-assets extension).
type Alternate struct{ Name, Href string }

// AssetURL is the proxy route of an asset.
func AssetURL(jobID, item, key string) string {
	return "/jobs/" + url.PathEscape(jobID) + "/assets/" + url.PathEscape(item) + "/" + url.PathEscape(key)
}

// RefValue encodes an asset reference as a form value.
func RefValue(item, key string) string { return url.PathEscape(item) + "/" + url.PathEscape(key) }

// ParseRef decodes RefValue.
func ParseRef(v string) (results.AssetRef, bool) {
	a, b, ok := strings.Cut(v, "/")
	if !ok {
		return results.AssetRef{}, false
	}
	item, err1 := url.PathUnescape(a)
	key, err2 := url.PathUnescape(b)
	if err1 != nil || err2 != nil || item == "" || key == "" {
		return results.AssetRef{}, false
	}
	return results.AssetRef{Item: item, Asset: key}, true
}

func baseType(t string) string {
	mt, _, _ := mime.ParseMediaType(t)
	return strings.ToLower(mt)
}

// isImage: a browser-displayable picture meant for display (thumbnail, overview) or
// simply a PNG/JPEG/WebP.
func isImage(a stac.Asset) bool {
	switch baseType(a.Type) {
	case "image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif":
		return true
	}
	return false
}

// localFile: the asset names a file on this computer, which a job's results (a
// server's) may not make the app read: never previewed.
func localFile(a stac.Asset) bool {
	u, err := url.Parse(a.Href)
	return err == nil && netpolicy.LocalFile(u)
}

// isCOG: a GeoTIFF to preview on the map.
func isCOG(a stac.Asset) bool {
	if localFile(a) {
		return false
	}
	t := strings.ToLower(a.Type)
	if strings.HasPrefix(t, "image/tiff") || strings.HasPrefix(t, "image/vnd.stac.geotiff") {
		return true
	}
	u, err := url.Parse(a.Href)
	return t == "" && err == nil && (strings.HasSuffix(strings.ToLower(u.Path), ".tif") || strings.HasSuffix(strings.ToLower(u.Path), ".tiff"))
}

func isGeoJSON(a stac.Asset) bool { return baseType(a.Type) == "application/geo+json" && !localFile(a) }

// sentence makes a message start with a capital letter and end with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func title(it *stac.Item) string {
	var s string
	if json.Unmarshal(it.Properties["title"], &s) == nil && s != "" {
		return s
	}
	return it.ID
}

// alternates reads the alternate-assets extension's "alternate" object.
func alternates(a stac.Asset) []Alternate {
	var alt map[string]struct {
		Href  string `json:"href"`
		Title string `json:"title"`
	}
	if json.Unmarshal(a.Extra["alternate"], &alt) != nil {
		return nil
	}
	var out []Alternate
	for name, v := range alt {
		if v.Href != "" {
			out = append(out, Alternate{Name: cmp.Or(v.Title, name), Href: v.Href})
		}
	}
	return out
}

// mapFeature is one feature of the map's FeatureCollection.
type mapFeature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id,omitempty"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

// maxPreviewBands bounds the assets a preview reads as bands.
const maxPreviewBands = 12

// footprintFeatures are the items' footprints, titled, with a COG preview URL (and its
// stretch) when the item has a GeoTIFF asset; geo lists the GeoJSON assets.
func footprintFeatures(jobID string, items []*stac.Item) (fs []any, geo []results.AssetRef) {
	fs = []any{}
	for _, it := range items {
		if it == nil {
			continue
		}
		for _, k := range it.AssetKeys() {
			if isGeoJSON(it.Assets[k]) {
				geo = append(geo, results.AssetRef{Item: it.ID, Asset: k})
			}
		}
		g := strings.TrimSpace(string(it.Geometry))
		if g == "" || g == "null" {
			continue
		}
		props := map[string]any{"title": title(it)}
		for _, k := range it.AssetKeys() {
			a := it.Assets[k]
			if isCOG(a) && hasRole(a, "data", "visual", "overview") {
				props["data-cog"] = AssetURL(jobID, it.ID, k)
				if st, ok := bandStats(a); ok {
					props["data-cog-min"], props["data-cog-max"] = st.Minimum, st.Maximum
				}
				if nd, ok := bandNodata(a); ok {
					props["data-cog-nodata"] = nd
				}
				break
			}
		}
		// Several single-raster assets (one per band, as Sentinel-2 items have): the
		// preview offers them as bands, for band selection and RGB composites.
		var bands []map[string]any
		for _, k := range it.AssetKeys() {
			a := it.Assets[k]
			if !isCOG(a) || !hasRole(a, "data") || len(bands) == maxPreviewBands {
				continue
			}
			b := map[string]any{"name": cmp.Or(a.Title, k), "url": AssetURL(jobID, it.ID, k)}
			if st, ok := bandStats(a); ok {
				b["min"], b["max"] = st.Minimum, st.Maximum
			}
			bands = append(bands, b)
		}
		if len(bands) > 1 {
			props["data-cog-bands"] = bands
		}
		fs = append(fs, mapFeature{Type: "Feature", ID: it.ID, Properties: props, Geometry: it.Geometry})
	}
	return fs, geo
}

// geoJSONFeatures reads the features of a GeoJSON document (FeatureCollection, Feature
// or bare geometry) for the map, titled with where they come from; nil if unreadable.
func geoJSONFeatures(b []byte, from string) []any {
	var doc struct {
		Type     string          `json:"type"`
		Features []mapFeature    `json:"features"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return nil
	}
	var out []any
	add := func(f mapFeature) {
		if f.Properties == nil {
			f.Properties = map[string]any{}
		}
		// Only a title: a remote document must not set the preview properties.
		t, _ := f.Properties["title"].(string)
		f.Properties = map[string]any{"title": cmp.Or(t, from)}
		f.Type, f.ID = "Feature", ""
		out = append(out, f)
	}
	switch doc.Type {
	case "FeatureCollection":
		for _, f := range doc.Features {
			add(f)
		}
	case "Feature":
		add(mapFeature{Geometry: doc.Geometry})
	case "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection":
		add(mapFeature{Geometry: json.RawMessage(b)})
	}
	return out
}

func hasRole(a stac.Asset, roles ...string) bool {
	if len(a.Roles) == 0 {
		return true
	}
	for _, r := range a.Roles {
		for _, want := range roles {
			if r == want {
				return true
			}
		}
	}
	return false
}

// Bytes formats a size ("unknown" when it is not known).
func Bytes(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return transfer.FormatSize(n)
}

// Speed formats bytes per second.
func Speed(bps float64) string {
	if bps <= 0 {
		return ""
	}
	return Bytes(int64(bps)) + "/s"
}

// ETA formats a remaining time.
func ETA(d time.Duration) string {
	if d < 0 {
		return ""
	}
	return d.Round(time.Second).String() + " left"
}

var stateTexts = map[transfer.State]string{
	transfer.StateQueued:    "Queued",
	transfer.StateRunning:   "Downloading",
	transfer.StateVerifying: "Verifying",
	transfer.StatePaused:    "Paused",
	transfer.StateCompleted: "Done",
	transfer.StateFailed:    "Failed",
	transfer.StateCanceled:  "Canceled",
}

// StateText names a state for people.
func StateText(s transfer.State) string { return cmp.Or(stateTexts[s], s.String()) }

func urlQuery(s string) string { return url.QueryEscape(s) }

// bandStats reads the first band's statistics (STAC raster extension), which the map
// uses to stretch a COG preview.
func bandStats(a stac.Asset) (st struct{ Minimum, Maximum float64 }, ok bool) {
	var bands []struct {
		Statistics *struct {
			Minimum *float64 `json:"minimum"`
			Maximum *float64 `json:"maximum"`
		} `json:"statistics"`
	}
	if json.Unmarshal(a.Extra["raster:bands"], &bands) != nil || len(bands) == 0 || bands[0].Statistics == nil {
		return st, false
	}
	s := bands[0].Statistics
	if s.Minimum == nil || s.Maximum == nil || *s.Maximum <= *s.Minimum {
		return st, false
	}
	st.Minimum, st.Maximum = *s.Minimum, *s.Maximum
	return st, true
}

func bandNodata(a stac.Asset) (float64, bool) {
	var bands []struct {
		Nodata *float64 `json:"nodata"`
	}
	if json.Unmarshal(a.Extra["raster:bands"], &bands) != nil || len(bands) == 0 || bands[0].Nodata == nil {
		return 0, false
	}
	return *bands[0].Nodata, true
}

// fileLabel names a file of the download panel: by its name in the job's folder, or,
// when the job was downloaded into more than one folder, by its whole path (the same
// names showed twice, with no way to tell which copy was which).
func fileLabel(f results.FileView, manyFolders bool) string {
	if !manyFolders || f.Dest == "" {
		return f.Name
	}
	return filepath.Join(f.Dest, filepath.FromSlash(f.Name))
}
