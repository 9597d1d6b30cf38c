package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/store"
)

// TestMapsFollowTilesPreference: every map of the app gets the Settings page's tiles
// (the execution form's, the job page's AOI map).
func TestMapsFollowTilesPreference(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	j, err := s.app.Store.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene",
		Status: ogcapi.StatusSuccessful, RemoteID: "r1",
		AOI: json.RawMessage(`{"type":"Polygon","coordinates":[[[6,45],[7,45],[7,46],[6,46],[6,45]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	jobMap := func() string {
		t.Helper()
		r := s.get("/jobs/" + j.ID)
		expect(t, r, http.StatusOK)
		m := r.find("[data-testid=job-aoi] gj-aoi-map[readonly]")
		if m.Length() != 1 {
			t.Fatalf("no AOI map on the job page")
		}
		return m.AttrOr("tiles-url", "(none)")
	}
	if got := jobMap(); got != prefs.DefaultTilesURL {
		t.Errorf("job page tiles %q, want the default %q", got, prefs.DefaultTilesURL)
	}
	for _, tiles := range []string{"https://tiles.example/{z}/{x}/{y}.png", prefs.TilesNone} {
		if err := s.app.Store.SetSetting(ctx, prefs.KeyTilesURL, tiles); err != nil {
			t.Fatal(err)
		}
		if got := jobMap(); got != tiles {
			t.Errorf("job page tiles %q, want %q", got, tiles)
		}
	}
}
