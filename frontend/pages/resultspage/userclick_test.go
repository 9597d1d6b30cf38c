package resultspage_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/geojobs/geojobs/backend/stac"
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
	it := &stac.Item{Type: "Feature", StacVersion: stac.Version, ID: "i",
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
		Assets:     map[string]stac.Asset{"thumb": {Href: local.URL + "/thumb.png", Type: "image/png", Roles: []string{"thumbnail"}}}}
	p := itemPage(t, "https://93.184.215.14/ogc/", it)

	p.get("/jobs/" + p.jobID + "/results") // with its size probe
	asset := "/jobs/" + p.jobID + "/assets/i/thumb"
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
