package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/store"
)

// TestMapsFollowTilesPreference: every map of the app gets the Settings page's tiles
// (the execution form's, the job page's AOI map, the results page's footprints).
func TestMapsFollowTilesPreference(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	j, err := s.app.Store.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene",
		Status: ogcapi.StatusSuccessful, RemoteID: "r1",
		AOI: json.RawMessage(`{"type":"Polygon","coordinates":[[[6,45],[7,45],[7,46],[6,46],[6,45]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	ic := `{"type":"FeatureCollection","features":[{"type":"Feature","stac_version":"1.1.0","id":"scene",` +
		`"geometry":{"type":"Polygon","coordinates":[[[6,45],[7,45],[7,46],[6,46],[6,45]]]},"bbox":[6,45,7,46],` +
		`"properties":{"datetime":"2026-01-01T00:00:00Z"},"links":[],"assets":{}}]}`
	if err := s.app.Store.SetItems(ctx, j.ID, []byte(ic), time.Now()); err != nil {
		t.Fatal(err)
	}
	tiles := func(path, sel string) string {
		t.Helper()
		r := s.get(path)
		expect(t, r, http.StatusOK)
		m := r.find(sel)
		if m.Length() != 1 {
			t.Fatalf("%s: no %s", path, sel)
		}
		return m.AttrOr("tiles-url", "(none)")
	}
	maps := map[string]string{
		"/jobs/" + j.ID:              "[data-testid=job-aoi] gj-footprints-map[data-testid=job-inputs-map]",
		"/jobs/" + j.ID + "/results": "gj-footprints-map[data-testid=results-map]",
	}
	for path, sel := range maps {
		if got := tiles(path, sel); got != prefs.DefaultTilesURL {
			t.Errorf("%s: tiles %q, want the default %q", path, got, prefs.DefaultTilesURL)
		}
	}
	for _, want := range []string{"https://tiles.example/{z}/{x}/{y}.png", prefs.TilesNone} {
		if err := s.app.Store.SetSetting(ctx, prefs.KeyTilesURL, want); err != nil {
			t.Fatal(err)
		}
		for path, sel := range maps {
			if got := tiles(path, sel); got != want {
				t.Errorf("%s: tiles %q, want %q", path, got, want)
			}
		}
	}
}
