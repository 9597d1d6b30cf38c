package mapdata

import (
	"encoding/json"
	"testing"
)

func TestFeatureCollection(t *testing.T) {
	got := FeatureCollection([]Footprint{
		{ID: "a", Title: "A", Geometry: json.RawMessage(`{"type":"Point","coordinates":[1,2]}`)},
		{ID: 2, Title: "no area"},
		{ID: 3, Title: "three", Geometry: json.RawMessage(`{"type":"Point","coordinates":[3,4]}`)},
	})
	want := `{"type":"FeatureCollection","features":[` +
		`{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"title":"A"}},` +
		`{"type":"Feature","id":3,"geometry":{"type":"Point","coordinates":[3,4]},"properties":{"title":"three"}}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := FeatureCollection(nil); string(got) != `{"type":"FeatureCollection","features":[]}` {
		t.Errorf("empty: %s", got)
	}
}
