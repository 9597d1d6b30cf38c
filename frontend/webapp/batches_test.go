package webapp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// The execution form runs echo once per feature of an uploaded FeatureCollection: a
// preview says how many jobs first and sends nothing; confirming creates one batch,
// which the Jobs page lists as one row, with its own page of members.
func TestBatchFromTheForm(t *testing.T) {
	s := start(t)
	f := echoForm(t, s)
	const path = "/endpoints/local/processes/echo/execute"
	fc := []byte(`{"type":"FeatureCollection","features":[
		{"type":"Feature","properties":{"name":"Lake A"},"geometry":{"type":"Point","coordinates":[7.1,46.2]}},
		{"type":"Feature","properties":{"name":"Lake B"},"geometry":{"type":"Point","coordinates":[7.2,46.3]}},
		{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}}]}`)
	v := outputsOn(f, url.Values{name(f, "stringInput", 0, "v"): {"hello"}, "mode": {ogcapi.AsyncExecute},
		"batch_kind": {"features"}, "batch_input": {"geometryInput"}, "op": {"batch-preview"}})
	pv := s.postMultipart(path, v, map[string][]byte{"batch_file": fc})
	expect(t, pv, http.StatusOK)
	if got := pv.find("[data-testid=batch-count]").Text(); got != "3 jobs" {
		t.Fatalf("preview count %q", got)
	}
	if bs, _ := s.app.Store.Batches(context.Background(), true); len(bs) != 0 {
		t.Fatal("the preview created a batch")
	}
	members, ok := pv.find("input[name=batch_members]").Attr("value")
	if !ok || !strings.Contains(members, "Lake B") {
		t.Fatalf("previewed members %q", members)
	}

	v.Set("op", "batch-run")
	v.Set("batch_members", members)
	run := s.postMultipart(path, v, nil)
	expect(t, run, http.StatusSeeOther)
	loc := run.header.Get("Location")
	if !strings.HasPrefix(loc, "/batches/") {
		t.Fatalf("redirect to %q", loc)
	}
	page := s.get(loc)
	expect(t, page, http.StatusOK)
	if n := page.find("[data-testid=batch-member]").Length(); n != 3 {
		t.Errorf("%d members on the batch page", n)
	}
	if page.find("[data-testid=batch-map] gj-footprints-map").Length() != 1 {
		t.Error("no map of the members' areas")
	}
	rows := s.get("/batches", htmx("batches-slot"))
	expect(t, rows, http.StatusOK)
	// Typed in the address bar, the fragment's address opens the Jobs page instead.
	if typed := s.get("/batches"); typed.status != http.StatusSeeOther || typed.header.Get("Location") != "/jobs" {
		t.Errorf("GET /batches without htmx: %d → %q", typed.status, typed.header.Get("Location"))
	}
	if rows.find("[data-testid=batch-row]").Length() != 1 || !strings.Contains(rows.find("[data-testid=batch-counts]").Text(), "of 3") {
		t.Errorf("batch rows: %s", rows.body)
	}
	if s.get("/jobs").find("[data-testid=batches-slot][hx-get='/batches']").Length() != 1 {
		t.Error("the Jobs page does not load the batches")
	}
	mapData := s.get(loc + "/map.geojson")
	if !strings.Contains(mapData.body, `"coordinates":[7.2,46.3]`) {
		t.Errorf("map data %s", mapData.body)
	}
	// Member jobs are not rows of the job list; each has the feature as its geometry.
	list, _ := s.app.Store.ListJobs(context.Background(), store.Filter{})
	if len(list.Jobs) != 0 {
		t.Errorf("%d member jobs in the job list", len(list.Jobs))
	}
	limit := s.postForm(loc+"/limit", url.Values{"limit": {"2"}})
	expect(t, limit, http.StatusSeeOther)
	if got := s.app.Batches.Limit(context.Background(), store.LocalEndpoint); got != 2 {
		t.Errorf("limit %d", got)
	}
	items := s.get(loc + "/items.json")
	expect(t, items, http.StatusOK)
	if !strings.Contains(items.header.Get("Content-Disposition"), "attachment") || !strings.Contains(items.body, `"FeatureCollection"`) {
		t.Errorf("merged items: %s %s", items.header, items.body)
	}

	// A date-window batch on an input that is not a date range is refused before anything is stored.
	v = outputsOn(f, url.Values{"mode": {ogcapi.AsyncExecute}, "batch_kind": {"dates"}, "batch_input": {"integerInput"},
		"batch_from": {"2024-01-01"}, "batch_to": {"2024-03-31"}, "op": {"batch-preview"}})
	bad := s.postMultipart(path, v, nil)
	expect(t, bad, http.StatusUnprocessableEntity)
	if !strings.Contains(bad.find("[data-testid=batch-error]").Text(), "would be refused") {
		t.Errorf("error %q", bad.find("[data-testid=batch-error]").Text())
	}
}
