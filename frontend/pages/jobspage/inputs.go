package jobspage

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"mime"
	"strings"

	"github.com/geojobs/geojobs/backend/transfer"
)

// binarySummary describes an input that carries bytes ("image/png, 251.0 KiB, base64")
// instead of showing a wall of base64; ok is false for other values.
func binarySummary(v json.RawMessage) (string, bool) {
	var q struct {
		Value     json.RawMessage `json:"value"`
		MediaType string          `json:"mediaType"`
		Encoding  string          `json:"encoding"`
	}
	var s string
	mediaType := ""
	switch {
	case json.Unmarshal(v, &s) == nil:
	case json.Unmarshal(v, &q) == nil && json.Unmarshal(q.Value, &s) == nil:
		mediaType = q.MediaType
		if !strings.EqualFold(q.Encoding, "base64") && !strings.EqualFold(q.Encoding, "binary") && (mediaType == "" || textual(mediaType)) {
			return "", false
		}
	default:
		return "", false
	}
	if len(s) < 256 || strings.ContainsAny(s, " \n\t") {
		return "", false // short text, or prose: shown as it is
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", false
	}
	return cmp.Or(mediaType, "binary data") + ", " + transfer.FormatSize(int64(len(b))) + ", base64", true
}

func textual(mediaType string) bool {
	mt, _, _ := mime.ParseMediaType(mediaType)
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
}

// inputFeature is one feature of the job page's map.
type inputFeature struct {
	Type       string          `json:"type"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

var geometryTypes = map[string]bool{"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true}

// inputFeatures are the job's geometric inputs — bounding boxes and GeoJSON
// geometries, features and feature collections, plain or qualified, one or several —
// each titled with its input id, for the job page's map.
func inputFeatures(request json.RawMessage) []inputFeature {
	var req struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	fs := []inputFeature{}
	if len(request) == 0 || json.Unmarshal(request, &req) != nil {
		return fs
	}
	var add func(id string, v json.RawMessage, depth int)
	add = func(id string, v json.RawMessage, depth int) {
		if depth > 3 {
			return
		}
		var list []json.RawMessage
		if json.Unmarshal(v, &list) == nil {
			for _, it := range list {
				add(id, it, depth+1)
			}
			return
		}
		var m struct {
			Type     string            `json:"type"`
			BBox     []float64         `json:"bbox"`
			Value    json.RawMessage   `json:"value"`
			Geometry json.RawMessage   `json:"geometry"`
			Features []json.RawMessage `json:"features"`
		}
		if json.Unmarshal(v, &m) != nil {
			return
		}
		props := map[string]any{"title": id}
		switch {
		case m.Value != nil:
			add(id, m.Value, depth+1)
		case geometryTypes[m.Type]:
			fs = append(fs, inputFeature{Type: "Feature", Properties: props, Geometry: v})
		case m.Type == "Feature" && m.Geometry != nil:
			fs = append(fs, inputFeature{Type: "Feature", Properties: props, Geometry: m.Geometry})
		case m.Type == "FeatureCollection":
			for _, f := range m.Features {
				add(id, f, depth+1)
			}
		case m.Type == "" && (len(m.BBox) == 4 || len(m.BBox) == 6):
			b := m.BBox
			x0, y0, x1, y1 := b[0], b[1], b[2], b[3]
			if len(b) == 6 {
				x0, y0, x1, y1 = b[0], b[1], b[3], b[4]
			}
			g, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
			fs = append(fs, inputFeature{Type: "Feature", Properties: props, Geometry: g})
		}
	}
	for id, v := range req.Inputs {
		add(id, v, 0)
	}
	return fs
}
