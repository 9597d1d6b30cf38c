package resultspage

import (
	"bytes"
	"cmp"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
)

// OutputView is one output of the job as the page shows it.
type OutputView struct {
	ID, Title string
	Kind      string // backend/results Kind*
	TypeLabel string // what it is, in words: integer, object, bounding box, GeoJSON Point, image/png, …
	Literal   string // KindLiteral: the value as text (a string unquoted)
	Pretty    string // JSON and text values, indented
	Summary   string // the collapsed line of Pretty: "object, 3 members"
	Long      bool   // Pretty is long: collapsed at first
	Note      string
	MediaType string
	Href      string    // KindLink: the reference
	Files     []OutFile // the assets holding it (download through the proxy)
	Items     int       // KindSTAC
	OnMap     bool      // a bounding box or a geometry, drawn on the map
}

// OutFile is an asset of an output, offered as a file.
type OutFile struct{ Label, Proxy, Size string }

// outputViews makes the rows of the Outputs card from the collection's list.
func outputViews(jobID string, ic *stac.ItemCollection) []OutputView {
	outs := results.OutputsOf(ic)
	items := map[string]*stac.Item{}
	for _, it := range ic.Features {
		if it != nil {
			items[it.ID] = it
		}
	}
	views := make([]OutputView, 0, len(outs))
	for _, o := range outs {
		v := OutputView{ID: o.ID, Title: cmp.Or(o.Title, o.ID), Kind: o.Kind, Note: o.Note, MediaType: o.MediaType, Href: o.Href, Items: o.Items}
		switch o.Kind {
		case results.KindLiteral:
			v.TypeLabel = o.Type
			var s string
			if json.Unmarshal(o.Value, &s) == nil {
				v.Literal = s
			} else {
				v.Literal = string(o.Value)
			}
		case results.KindJSON, results.KindBBox, results.KindGeometry:
			v.Pretty = indent(o.Value)
			v.Summary = summary(o.Value)
			v.TypeLabel = o.Type
			switch o.Kind {
			case results.KindBBox:
				v.TypeLabel, v.OnMap = "bounding box", true
			case results.KindGeometry:
				v.TypeLabel, v.OnMap = "GeoJSON "+geoType(o.Value), true
			}
		case results.KindText:
			_ = json.Unmarshal(o.Value, &v.Pretty)
			v.TypeLabel = cmp.Or(baseType(o.MediaType), "text")
			v.Summary = strconv.Itoa(strings.Count(strings.TrimRight(v.Pretty, "\n"), "\n")+1) + " lines of " + v.TypeLabel
		case results.KindFile:
			v.TypeLabel = cmp.Or(baseType(o.MediaType), "file")
		case results.KindLink:
			v.TypeLabel = "reference"
		case results.KindSTAC:
			v.TypeLabel = "STAC"
		case results.KindMissing:
			v.TypeLabel = cmp.Or(o.Type, "output")
		}
		v.Long = len(v.Pretty) > 600 || strings.Count(v.Pretty, "\n") > 12
		if it := items[o.Item]; it != nil {
			for _, k := range o.Assets {
				a, ok := it.Assets[k]
				if !ok {
					continue
				}
				f := OutFile{Label: cmp.Or(baseType(a.Type), "file"), Proxy: AssetURL(jobID, it.ID, k)}
				if n, ok := a.Size(); ok {
					f.Size = Bytes(n)
				}
				v.Files = append(v.Files, f)
			}
		}
		views = append(views, v)
	}
	return views
}

func indent(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Indent(&b, raw, "", "  ") != nil {
		return string(raw)
	}
	return b.String()
}

// summary is the collapsed line of a JSON value.
func summary(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		if len(m) == 1 {
			return "object, 1 member"
		}
		return "object, " + strconv.Itoa(len(m)) + " members"
	}
	var a []json.RawMessage
	if json.Unmarshal(raw, &a) == nil {
		if len(a) == 1 {
			return "array, 1 item"
		}
		return "array, " + strconv.Itoa(len(a)) + " items"
	}
	return string(raw)
}

func geoType(raw json.RawMessage) string {
	var g struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(raw, &g)
	return g.Type
}

// outputFeatures are the bounding boxes and geometries among the outputs, for the map.
func outputFeatures(ic *stac.ItemCollection) []any {
	var fs []any
	for _, o := range results.OutputsOf(ic) {
		title := cmp.Or(o.Title, o.ID)
		switch o.Kind {
		case results.KindBBox:
			var b struct {
				BBox []float64 `json:"bbox"`
			}
			if json.Unmarshal(o.Value, &b) != nil || (len(b.BBox) != 4 && len(b.BBox) != 6) {
				continue
			}
			x0, y0, x1, y1 := b.BBox[0], b.BBox[1], b.BBox[2], b.BBox[3]
			if len(b.BBox) == 6 {
				x0, y0, x1, y1 = b.BBox[0], b.BBox[1], b.BBox[3], b.BBox[4]
			}
			g, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
			fs = append(fs, mapFeature{Type: "Feature", Properties: map[string]any{"title": title}, Geometry: g})
		case results.KindGeometry:
			if len(o.Assets) > 0 {
				continue // a GeoJSON asset: drawn from the file
			}
			fs = append(fs, geoJSONFeatures(o.Value, title)...)
		}
	}
	return fs
}
