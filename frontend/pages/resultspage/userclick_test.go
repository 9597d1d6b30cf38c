package resultspage_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
)

// A public server's results name a file on a loopback service. Opening the results
// page and loading the asset as a thumbnail or preview make no request to it; the
// user's own click on Open (a user-activated navigation) fetches it (issue 11 §2:
// "the user can still click to fetch").
func TestLocalAssetOnlyOnTheUsersClick(t *testing.T) {
	var hits atomic.Int32
	local := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("local data"))
	}))
	defer local.Close()
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	ep, err := st.CreateEndpoint(ctx, store.Endpoint{ID: "public", Title: "Public", URL: "https://93.184.215.14/ogc/"})
	if err != nil {
		t.Fatal(err)
	}
	j, err := st.CreateJob(ctx, store.NewJob{EndpointID: ep.ID, ProcessID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	it := &stac.Item{Type: "Feature", StacVersion: stac.Version, ID: "i",
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
		Assets:     map[string]stac.Asset{"thumb": {Href: local.URL + "/thumb.png", Type: "image/png", Roles: []string{"thumbnail"}}}}
	b, _ := json.Marshal(&stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}})
	if err := st.SetItems(ctx, j.ID, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	svc, err := results.NewService(results.ServiceOptions{Store: st, Sources: transfer.DefaultMux(nil),
		Clients: func(context.Context, string) (*ogcapi.Client, error) { return ogcapi.New(ep.URL) }})
	if err != nil {
		t.Fatal(err)
	}
	dl, err := results.NewDownloads(results.DownloadsOptions{Store: st, Items: svc.Items, Transfer: transfer.Options{Sources: transfer.DefaultMux(nil)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dl.Close() })
	m := serve(resultspage.New(resultspage.Deps{Jobs: st, Results: svc, Downloads: dl}))
	srv := httptest.NewServer(m)
	defer srv.Close()
	p := &page{t: t, srv: srv, jobID: j.ID}

	p.get("/jobs/" + j.ID + "/results") // with its size probe
	asset := "/jobs/" + j.ID + "/assets/i/thumb"
	for _, hdr := range [][]string{
		nil,
		{"Sec-Fetch-Dest", "image", "Sec-Fetch-Mode", "no-cors"},     // the thumbnail
		{"Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, // a navigation nobody clicked
		{"Sec-Fetch-User", "?1", "Sec-Fetch-Mode", "cors"},           // not a navigation
	} {
		if resp, _ := p.get(asset, hdr...); resp.StatusCode < 400 {
			t.Errorf("%v: %d", hdr, resp.StatusCode)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback service got %d requests the user did not make", n)
	}
	resp, body := p.get(asset, "Sec-Fetch-User", "?1", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document")
	if resp.StatusCode != 200 || body != "local data" || hits.Load() == 0 {
		t.Errorf("the user's click: %d %q", resp.StatusCode, body)
	}
}
