package webapp

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/store"
)

// Issue 14 §4: jobs are recognisable (label, input summary, endpoint title), the
// process filter matches a part of the id in any case, the status filter offers no
// internal state, and "Delete on the server" keeps a successful job successful.
func TestJobListRecognisable(t *testing.T) {
	s := start(t)
	scene := s.submitLocal("synthetic-scene", map[string]any{"aoi": map[string]any{"bbox": []float64{5.9, 45.8, 10.5, 47.8}}, "size": 64, "seed": 7})
	echo := s.submitLocal("echo", map[string]any{"stringInput": "hello"})
	s.waitJob(scene.ID, ended)
	s.waitJob(echo.ID, ended)

	// A label and a note, set on the job page.
	lab := s.postForm("/jobs/"+scene.ID+"/label", url.Values{"label": {"  Swiss plateau test "}, "note": {"first try"}})
	expect(t, lab, http.StatusSeeOther)
	page := s.get("/jobs/" + scene.ID + "?done=labelled")
	if got := page.find("[data-testid=job-label]").Text(); got != "Swiss plateau test" {
		t.Errorf("job page label %q", got)
	}
	if got := page.find("[data-testid=note-input]").Text(); got != "first try" {
		t.Errorf("note %q", got)
	}
	if long := s.postForm("/jobs/"+scene.ID+"/label", url.Values{"label": {strings.Repeat("x", 121)}}); long.status != http.StatusBadRequest {
		t.Errorf("a 121-character label: %d", long.status)
	}

	list := s.get("/jobs")
	row := list.find("[data-job=\"" + scene.ID + "\"]")
	if got := row.Find("[data-testid=job-link]").Text(); got != "Swiss plateau test" {
		t.Errorf("row link %q, want the label", got)
	}
	sum := row.Find("[data-testid=job-summary]").Text()
	for _, want := range []string{"AOI ", " km²", "near ", ", CH", "seed=7", "size=64"} {
		if !strings.Contains(sum, want) {
			t.Errorf("row summary %q lacks %q", sum, want)
		}
	}
	ep, err := s.app.Store.Endpoint(context.Background(), store.LocalEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(row.Find("[data-testid=job-endpoint]").Text()); got != ep.Title || got == store.LocalEndpoint {
		t.Errorf("endpoint cell %q, want the title %q", got, ep.Title)
	}
	if got := list.find("[data-job=\"" + echo.ID + "\"] [data-testid=job-summary]").Text(); got != "stringInput=hello" {
		h, _ := list.find("[data-job=\"" + echo.ID + "\"]").Html()
		t.Errorf("echo summary %q in %s", got, h)
	}
	if list.find(`#f-status option[value=submitting], #f-status option[value=submit-unknown]`).Length() != 0 {
		t.Error("the status filter offers geojobs' internal states")
	}
	if list.find(`[data-testid=select-all]`).Length() != 1 {
		t.Error("no select-all box")
	}
	if got := list.find(`[data-testid=bulk-remove]`).AttrOr("data-confirm", ""); !strings.Contains(got, "{n}") {
		t.Errorf("bulk confirmation %q does not name the count", got)
	}

	// Process filter: a part of the id, any case. Search finds the label.
	for q, want := range map[string]string{"process=SYNTHETIC": scene.ID, "process=cho": echo.ID, "q=plateau": scene.ID} {
		f := s.get("/jobs?" + q)
		if ids := f.find("[data-testid=job]"); ids.Length() != 1 || ids.AttrOr("data-job", "") != want {
			t.Errorf("%s: %d rows", q, ids.Length())
		}
	}
	if !strings.Contains(s.get("/jobs?process=SYNTHETIC").find("[data-testid=job-link]").Text(), "Swiss") {
		t.Error("filtered row")
	}

	// Delete on the server: the job stays successful, marked deleted there.
	del := s.postForm("/jobs/"+echo.ID+"/dismiss", nil)
	expect(t, del, http.StatusSeeOther)
	j, err := s.app.Store.Job(context.Background(), echo.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != "successful" || j.DeletedOnServer.IsZero() || j.Error != "" {
		t.Fatalf("after delete on the server: status %s, deleted %v, error %q", j.Status, j.DeletedOnServer, j.Error)
	}
	jp := s.get("/jobs/" + echo.ID + "?done=dismissed")
	if jp.find("[data-testid=status]").Text() != "successful" || jp.find("[data-testid=deleted-on-server]").Length() != 1 ||
		jp.find("[data-testid=job-error]").Length() != 0 || jp.find("[data-testid=delete-remote]").Length() != 0 {
		t.Errorf("job page after delete: status %q, deleted %d, problem %d", jp.find("[data-testid=status]").Text(),
			jp.find("[data-testid=deleted-on-server]").Length(), jp.find("[data-testid=job-error]").Length())
	}
	if !strings.Contains(jp.find("[data-testid=notice]").Text(), "Deleted the job") {
		t.Errorf("notice %q", jp.find("[data-testid=notice]").Text())
	}
	if lg := s.get("/jobs/" + echo.ID + "/log"); !strings.Contains(lg.find("[data-testid=log-none]").Text(), "deleted on the server") {
		t.Errorf("log after delete: %q", lg.body)
	}
	if s.get("/jobs").find("[data-job=\""+echo.ID+"\"] [data-testid=tag-deleted]").Length() != 1 {
		t.Error("the list does not mark the job deleted on the server")
	}
}
