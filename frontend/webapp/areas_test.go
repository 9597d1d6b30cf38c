package webapp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Issue 14 §1 on the execute page: a swapped bbox, a bow-tie and "1,5" in an integer
// are refused next to their field and nothing is sent; "1,5" in a number is sent as
// 1.5; a box across the antimeridian is sent with a warning.
func TestExecuteRefusesWrongAreas(t *testing.T) {
	s := start(t)
	p, err := s.app.Processes.Process(context.Background(), store.LocalEndpoint, "synthetic-scene")
	if err != nil {
		t.Fatal(err)
	}
	scene := forms.New(p)
	const path = "/endpoints/local/processes/synthetic-scene/execute"
	v := outputsOn(scene, url.Values{name(scene, "aoi", 0, "v"): {"10.5, 47.8, 5.9, 45.8"}, name(scene, "seed", 0, "v"): {"1,5"},
		"mode": {ogcapi.AsyncExecute}, "op": {"submit"}})
	bad := s.postMultipart(path, v, nil)
	expect(t, bad, http.StatusUnprocessableEntity)
	if got := bad.find(`[data-input=aoi] [data-testid=field-error]`).Text(); !strings.Contains(got, "the minimum latitude 47.8 is above the maximum latitude 45.8") {
		t.Errorf("aoi error %q", got)
	}
	if got := bad.find(`[data-input=seed] [data-testid=field-error]`).Text(); !strings.Contains(got, `"1,5" is not an integer`) {
		t.Errorf("seed error %q", got)
	}
	if got := bad.find(`[data-input=seed] input`).AttrOr("value", ""); got != "1,5" {
		t.Errorf("seed field now holds %q, want what was typed", got)
	}

	f := echoForm(t, s)
	const echoPath = "/endpoints/local/processes/echo/execute"
	v = outputsOn(f, url.Values{name(f, "geometryInput", 0, "v"): {`{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`},
		"mode": {ogcapi.AsyncExecute}, "op": {"submit"}})
	bow := s.postMultipart(echoPath, v, nil)
	expect(t, bow, http.StatusUnprocessableEntity)
	if got := bow.find(`[data-input=geometryInput] [data-testid=field-error]`).Text(); !strings.Contains(got, "crosses itself at (0.5, 0.5)") {
		t.Errorf("bow-tie error %q", got)
	}
	if jobs, _ := s.app.Store.ListJobs(context.Background(), store.Filter{}); len(jobs.Jobs) != 0 {
		t.Fatal("a job was created from an invalid form")
	}

	v = outputsOn(f, url.Values{name(f, "numberInput", 0, "v"): {"1,5"}, name(f, "boundingBoxInput", 0, "v"): {"170,-10,-170,10"},
		"mode": {ogcapi.AsyncExecute}, "op": {"export"}})
	ex := s.postMultipart(echoPath, v, nil)
	expect(t, ex, http.StatusOK)
	if got := ex.find("#export-json").Text(); !strings.Contains(got, `"numberInput": 1.5`) {
		t.Errorf("number 1,5 exported as:\n%s", got)
	}
	if got := ex.find("[data-testid=warning]").Text(); !strings.Contains(got, "antimeridian") {
		t.Errorf("no antimeridian warning: %q", got)
	}
}
