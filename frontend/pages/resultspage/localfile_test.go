package resultspage_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
)

// A file:// href in a server's results is shown as a location with the reason it is
// not downloaded: no size probe, preview, proxy or download reads the file (issue 11
// §2; the page said "no driver for scheme file").
func TestLocalFileHrefShownNotFetched(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.tif")
	if err := os.WriteFile(secret, []byte("II*\x00 local secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	href := (&url.URL{Scheme: "file", Path: filepath.ToSlash(secret)}).String()
	it := &stac.Item{Type: "Feature", StacVersion: stac.Version, ID: "i",
		Geometry:   json.RawMessage(`{"type":"Point","coordinates":[6,45]}`),
		Properties: map[string]json.RawMessage{"datetime": json.RawMessage(`"2026-01-01T00:00:00Z"`)},
		Assets: map[string]stac.Asset{
			"local": {Href: href, Type: "image/tiff", Roles: []string{"data"}},
			"thumb": {Href: href, Type: "image/png", Roles: []string{"thumbnail"}},
		}}
	p := itemPage(t, "", it)

	_, body := p.get("/jobs/" + p.jobID + "/results")
	d := doc(t, body)
	row := d.Find("[data-asset=local]")
	if got := row.Find("[data-testid=href]").Text(); got != href {
		t.Errorf("the location is shown as %q, want %q", got, href)
	}
	if got := row.Find("[data-testid=not-fetched]").Text(); got != "Not downloaded: a server's result may not point at files on this computer." {
		t.Errorf("reason %q", got)
	}
	if row.Find("[data-testid=asset-select]").Length() != 0 || row.Find("a").Length() != 0 {
		t.Error("the local file is offered for download or opening")
	}
	if got := row.Find("[data-testid=size]").Text(); got != "—" {
		t.Errorf("size %q", got)
	}
	if d.Find("[data-asset=thumb] img").Length() != 0 {
		t.Error("a local file is shown as a thumbnail")
	}
	if strings.Contains(body, "no driver") {
		t.Error("the page still speaks of drivers")
	}
	_, body = p.get("/jobs/" + p.jobID + "/map.geojson")
	if strings.Contains(body, "data-cog") {
		t.Errorf("the map previews a local file: %s", body)
	}
	resp, body := p.get("/jobs/" + p.jobID + "/assets/i/local")
	if resp.StatusCode < 400 || strings.Contains(body, "local secret") {
		t.Errorf("the proxy served a local file: %d %q", resp.StatusCode, body)
	}
	dest := t.TempDir()
	_, body = p.postDoc("/jobs/"+p.jobID+"/downloads", url.Values{"dest": {dest}, "all": {"1"}})
	if !strings.Contains(body, "not downloaded: a server&#39;s result may not point at files on this computer") {
		t.Errorf("Download all does not say why: %s", body)
	}
	filepath.WalkDir(dest, func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), "local secret") {
				t.Errorf("the local file was copied to %s", path)
			}
		}
		return nil
	})
}

// itemPage serves the results page of a job whose results are the item it, run on an
// endpoint at endpointURL ("": the built-in endpoint).
func itemPage(t *testing.T, endpointURL string, it *stac.Item) *page {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	eid, clientURL := store.LocalEndpoint, "http://127.0.0.1:1/"
	if endpointURL != "" {
		ep, err := st.CreateEndpoint(ctx, store.Endpoint{ID: "public", Title: "Public", URL: endpointURL})
		if err != nil {
			t.Fatal(err)
		}
		eid, clientURL = ep.ID, ep.URL
	}
	j, err := st.CreateJob(ctx, store.NewJob{EndpointID: eid, ProcessID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(&stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}})
	if err := st.SetItems(ctx, j.ID, b, time.Now()); err != nil {
		t.Fatal(err)
	}
	mux := transfer.DefaultMux(nil)
	svc, err := results.NewService(results.ServiceOptions{Store: st, Sources: mux,
		Clients: func(context.Context, string) (*ogcapi.Client, error) { return ogcapi.New(clientURL) }})
	if err != nil {
		t.Fatal(err)
	}
	dl, err := results.NewDownloads(results.DownloadsOptions{Store: st, Items: svc.Items, Transfer: transfer.Options{Sources: mux}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dl.Close() })
	srv := httptest.NewServer(serve(resultspage.New(resultspage.Deps{Jobs: st, Results: svc, Downloads: dl})))
	t.Cleanup(srv.Close)
	return &page{t: t, srv: srv, jobID: j.ID, dl: dl}
}
