package jobspage

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestInputFeatures: every geometric input of echo's request is drawn (F-18: the
// geometry input was left out), titled with its input id.
func TestInputFeatures(t *testing.T) {
	req := `{"inputs": {
		"boundingBoxInput": {"bbox": [5.9, 45.8, 10.5, 47.8]},
		"geometryInput": {"value": {"type": "Point", "coordinates": [7, 46]}, "mediaType": "application/geo+json"},
		"plain": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
		"several": [{"bbox": [0, 0, 1, 1, 0, 5]}, {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {}}],
		"stringInput": "hello", "integerInput": 42, "objectInput": {"value": {"name": "n"}}}}`
	fs := inputFeatures(json.RawMessage(req))
	got := map[string][]string{}
	for _, f := range fs {
		var g struct {
			Type string `json:"type"`
		}
		json.Unmarshal(f.Geometry, &g)
		id := f.Properties["title"].(string)
		got[id] = append(got[id], g.Type)
	}
	want := map[string]string{"boundingBoxInput": "Polygon", "geometryInput": "Point", "plain": "LineString", "several": "Polygon Point"}
	if len(got) != len(want) {
		t.Errorf("features of %v, want %v", got, want)
	}
	for id, w := range want {
		if strings.Join(got[id], " ") != w {
			t.Errorf("%s: %v, want %s", id, got[id], w)
		}
	}
}

func TestBinarySummary(t *testing.T) {
	png := base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 257000)...))
	for v, want := range map[string]string{
		`{"value": "` + png + `", "mediaType": "image/png", "encoding": "base64"}`: "image/png, 251.0 KiB, base64",
		`"` + png + `"`: "binary data, 251.0 KiB, base64",
		`"hello world"`: "",
		`{"value": "` + strings.Repeat("abcd", 100) + `", "mediaType": "text/plain"}`: "",
		`{"bbox": [1, 2, 3, 4]}`: "",
	} {
		got, ok := binarySummary(json.RawMessage(v))
		if got != want || ok != (want != "") {
			t.Errorf("%.60s: %q %v, want %q", v, got, ok, want)
		}
	}
}
