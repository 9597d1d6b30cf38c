package stac

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Versions this package writes and validates.
const (
	Version    = "1.0.0" // what JobItem writes
	Version1_1 = "1.1.0"
)

// FileExtension is the schema URL of the file extension (file:size, file:checksum).
const FileExtension = "https://stac-extensions.github.io/file/v2.1.0/schema.json"

// Link is a STAC link object.
type Link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
	// Extra holds the other members (method, headers, body, file:*, …).
	Extra map[string]json.RawMessage `json:"-"`
}

type linkJSON Link

func (l *Link) UnmarshalJSON(b []byte) (err error) {
	l.Extra, err = decodeExtra(b, (*linkJSON)(l))
	return err
}

func (l Link) MarshalJSON() ([]byte, error) { return encodeExtra(linkJSON(l), l.Extra) }

// Asset is a STAC asset object.
type Asset struct {
	Href        string   `json:"href"`
	Type        string   `json:"type,omitempty"`
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Roles       []string `json:"roles,omitzero"`
	// Extra holds the other members (file:*, raster:bands, storage:*, …).
	Extra map[string]json.RawMessage `json:"-"`
}

type assetJSON Asset

func (a *Asset) UnmarshalJSON(b []byte) (err error) {
	a.Extra, err = decodeExtra(b, (*assetJSON)(a))
	return err
}

func (a Asset) MarshalJSON() ([]byte, error) { return encodeExtra(assetJSON(a), a.Extra) }

// Size is the asset's file:size in bytes, if it has a valid one.
func (a Asset) Size() (int64, bool) {
	raw, ok := a.Extra["file:size"]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// Checksum is the asset's file:checksum (a hex multihash, see backend/multihash), or "".
func (a Asset) Checksum() string {
	var s string
	if json.Unmarshal(a.Extra["file:checksum"], &s) != nil {
		return ""
	}
	return s
}

// Set stores an extra member such as "file:size"; it panics if v cannot be encoded,
// which only happens for programming errors (channels, funcs, NaN).
func (a *Asset) Set(name string, v any) { setRaw(&a.Extra, name, v) }

func setRaw(m *map[string]json.RawMessage, name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic("stac: cannot encode " + name + ": " + err.Error())
	}
	if *m == nil {
		*m = map[string]json.RawMessage{}
	}
	(*m)[name] = b
}

// Item is a STAC Item (a GeoJSON Feature).
type Item struct {
	Type           string   `json:"type"`
	StacVersion    string   `json:"stac_version"`
	StacExtensions []string `json:"stac_extensions,omitzero"`
	ID             string   `json:"id"`
	// Geometry is raw GeoJSON; nil or "null" means no geometry (then BBox is nil too).
	Geometry   json.RawMessage            `json:"geometry"`
	BBox       []float64                  `json:"bbox,omitzero"`
	Properties map[string]json.RawMessage `json:"properties"`
	Links      []Link                     `json:"links"`
	Assets     map[string]Asset           `json:"assets"`
	Collection string                     `json:"collection,omitempty"`
	Extra      map[string]json.RawMessage `json:"-"`
}

type itemJSON Item

func (it *Item) UnmarshalJSON(b []byte) (err error) {
	it.Extra, err = decodeExtra(b, (*itemJSON)(it))
	return err
}

// MarshalJSON writes the required members even when empty ({} and []), as the schema wants.
func (it Item) MarshalJSON() ([]byte, error) {
	if it.Geometry == nil {
		it.Geometry = json.RawMessage("null")
	}
	if it.Properties == nil {
		it.Properties = map[string]json.RawMessage{}
	}
	if it.Links == nil {
		it.Links = []Link{}
	}
	if it.Assets == nil {
		it.Assets = map[string]Asset{}
	}
	return encodeExtra(itemJSON(it), it.Extra)
}

// Datetime is properties.datetime, or start_datetime when datetime is null.
func (it *Item) Datetime() (time.Time, bool) {
	for _, k := range []string{"datetime", "start_datetime"} {
		var s string
		if json.Unmarshal(it.Properties[k], &s) == nil && s != "" {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// SetProperty stores a property; like Asset.Set it panics only for unencodable values.
func (it *Item) SetProperty(name string, v any) { setRaw(&it.Properties, name, v) }

// AddExtension lists an extension schema URL in stac_extensions once.
func (it *Item) AddExtension(schemaURL string) {
	if !slices.Contains(it.StacExtensions, schemaURL) {
		it.StacExtensions = append(it.StacExtensions, schemaURL)
	}
}

// AssetKeys are the asset keys in sorted order, for stable listings.
func (it *Item) AssetKeys() []string { return slices.Sorted(maps.Keys(it.Assets)) }

// ItemCollection is a GeoJSON FeatureCollection of Items (STAC API ItemCollection).
type ItemCollection struct {
	Type           string                     `json:"type"`
	Features       []*Item                    `json:"features"`
	Links          []Link                     `json:"links,omitzero"`
	NumberMatched  *int64                     `json:"numberMatched,omitempty"`
	NumberReturned *int64                     `json:"numberReturned,omitempty"`
	Extra          map[string]json.RawMessage `json:"-"`
}

type itemCollectionJSON ItemCollection

func (c *ItemCollection) UnmarshalJSON(b []byte) (err error) {
	c.Extra, err = decodeExtra(b, (*itemCollectionJSON)(c))
	return err
}

func (c ItemCollection) MarshalJSON() ([]byte, error) {
	if c.Type == "" {
		c.Type = "FeatureCollection"
	}
	if c.Features == nil {
		c.Features = []*Item{}
	}
	return encodeExtra(itemCollectionJSON(c), c.Extra)
}

// Catalog is a STAC Catalog.
type Catalog struct {
	Type           string                     `json:"type"`
	StacVersion    string                     `json:"stac_version"`
	StacExtensions []string                   `json:"stac_extensions,omitzero"`
	ID             string                     `json:"id"`
	Title          string                     `json:"title,omitempty"`
	Description    string                     `json:"description"`
	Links          []Link                     `json:"links"`
	Extra          map[string]json.RawMessage `json:"-"`
}

type catalogJSON Catalog

func (c *Catalog) UnmarshalJSON(b []byte) (err error) {
	c.Extra, err = decodeExtra(b, (*catalogJSON)(c))
	return err
}

func (c Catalog) MarshalJSON() ([]byte, error) {
	if c.Links == nil {
		c.Links = []Link{}
	}
	return encodeExtra(catalogJSON(c), c.Extra)
}

// Collection is a STAC Collection. Extent, providers, summaries and the like stay in Extra.
type Collection struct {
	Type           string                     `json:"type"`
	StacVersion    string                     `json:"stac_version"`
	StacExtensions []string                   `json:"stac_extensions,omitzero"`
	ID             string                     `json:"id"`
	Title          string                     `json:"title,omitempty"`
	Description    string                     `json:"description"`
	License        string                     `json:"license"`
	Extent         json.RawMessage            `json:"extent"`
	Links          []Link                     `json:"links"`
	Assets         map[string]Asset           `json:"assets,omitzero"`
	Extra          map[string]json.RawMessage `json:"-"`
}

type collectionJSON Collection

func (c *Collection) UnmarshalJSON(b []byte) (err error) {
	c.Extra, err = decodeExtra(b, (*collectionJSON)(c))
	return err
}

func (c Collection) MarshalJSON() ([]byte, error) {
	if c.Links == nil {
		c.Links = []Link{}
	}
	if c.Extent == nil {
		c.Extent = json.RawMessage("null")
	}
	return encodeExtra(collectionJSON(c), c.Extra)
}
