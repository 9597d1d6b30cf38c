package stac

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Kind is the kind of a STAC document.
type Kind int

const (
	KindUnknown Kind = iota
	KindItem
	KindItemCollection
	KindCatalog
	KindCollection
)

func (k Kind) String() string {
	switch k {
	case KindItem:
		return "Item"
	case KindItemCollection:
		return "ItemCollection"
	case KindCatalog:
		return "Catalog"
	case KindCollection:
		return "Collection"
	}
	return "unknown"
}

// Document is a parsed STAC document: Kind says which one field is set.
type Document struct {
	Kind           Kind
	Item           *Item
	ItemCollection *ItemCollection
	Catalog        *Catalog
	Collection     *Collection
}

// probe holds the members that tell the kinds apart.
type probe struct {
	Type        string            `json:"type"`
	StacVersion string            `json:"stac_version"`
	Features    []json.RawMessage `json:"features"`
	Extent      json.RawMessage   `json:"extent"`
	License     json.RawMessage   `json:"license"`
}

// DetectKind tells which kind of STAC document doc is, from its type member (and, for
// pre-1.0 catalogs and collections without one, from their shape). An ItemCollection is a
// FeatureCollection whose features are all STAC Items. The error wraps ErrNotSTAC.
func DetectKind(doc []byte) (Kind, error) {
	var p probe
	if err := json.Unmarshal(doc, &p); err != nil {
		return KindUnknown, fmt.Errorf("%w: %s", ErrNotSTAC, jsonError(err))
	}
	switch p.Type {
	case "FeatureCollection":
		for i, raw := range p.Features {
			var f probe
			if err := json.Unmarshal(raw, &f); err != nil || f.Type != "Feature" || f.StacVersion == "" {
				return KindUnknown, fmt.Errorf("%w: features[%d] is not a STAC Item (a Feature with stac_version)", ErrNotSTAC, i)
			}
		}
		return KindItemCollection, nil
	case "Feature":
		if p.StacVersion == "" {
			return KindUnknown, fmt.Errorf("%w: a GeoJSON Feature without stac_version", ErrNotSTAC)
		}
		return KindItem, nil
	case "Catalog":
		return KindCatalog, nil
	case "Collection":
		return KindCollection, nil
	case "":
		if p.StacVersion != "" { // STAC before 1.0 had no type on catalogs and collections
			if p.Extent != nil && p.License != nil {
				return KindCollection, nil
			}
			return KindCatalog, nil
		}
		return KindUnknown, fmt.Errorf("%w: no type or stac_version member", ErrNotSTAC)
	}
	return KindUnknown, fmt.Errorf("%w: type %q", ErrNotSTAC, truncate(p.Type, 40))
}

// Parse decodes a STAC Item, ItemCollection (or FeatureCollection of Items), Catalog or
// Collection. Errors wrap ErrNotSTAC. It does not validate against the schemas (see Validate).
func Parse(doc []byte) (*Document, error) {
	kind, err := DetectKind(doc)
	if err != nil {
		return nil, err
	}
	d := &Document{Kind: kind}
	var target any
	switch kind {
	case KindItem:
		d.Item = new(Item)
		target = d.Item
	case KindItemCollection:
		d.ItemCollection = new(ItemCollection)
		target = d.ItemCollection
	case KindCatalog:
		d.Catalog = new(Catalog)
		target = d.Catalog
	case KindCollection:
		d.Collection = new(Collection)
		target = d.Collection
	}
	if err := json.Unmarshal(doc, target); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrNotSTAC, kind, jsonError(err))
	}
	return d, nil
}

// jsonError describes a decoding error without quoting the document.
func jsonError(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s: JSON %s where %s was expected", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("JSON %s where %s was expected", te.Value, te.Type)
	}
	return "malformed JSON"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
