package results

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
)

// sceneJob opens a store in dir with one job whose results are one scene, its data
// asset at href (a test server's file).
func sceneJob(ctx context.Context, t *testing.T, dir, href string) (*store.Store, store.Job, *stac.ItemCollection) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	job, err := st.CreateJob(ctx, store.NewJob{EndpointID: store.LocalEndpoint, ProcessID: "synthetic-scene"})
	if err != nil {
		t.Fatal(err)
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{{Type: "Feature", StacVersion: stac.Version, ID: "scene",
		Geometry: json.RawMessage(`{"type":"Point","coordinates":[0,0]}`), BBox: []float64{0, 0, 0, 0},
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
		Assets:     map[string]stac.Asset{"data": {Href: href, Type: "image/tiff"}}}}}
	return st, job, ic
}
