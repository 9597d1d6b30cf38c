package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Review details (F-17, F-23, F-33): the process page names link relations in a word,
// the value/URL choice has a visible label, and the notification control says its state
// and its action apart.
func TestReviewDetails(t *testing.T) {
	s := start(t)
	p := s.get("/endpoints/local/processes/echo")
	expect(t, p, http.StatusOK)
	if strings.Contains(p.find("main").Text(), "http://www.opengis.net/def/rel/ogc/1.0/execute") {
		t.Error("the process page shows a raw relation URI")
	}
	f := s.get("/endpoints/local/processes/echo/execute")
	if l := f.find("label.src-label").First(); l.Length() == 0 || l.HasClass("sr-only") || !strings.Contains(l.Text(), "Give it as") {
		t.Errorf("value/URL choice label %q", l.Text())
	}
	// F-23: one toggle whose label is its action and whose state is aria-pressed.
	j := s.get("/jobs")
	b := j.find("[data-testid=notify-control] button")
	if got := strings.Join(strings.Fields(b.Text()), " "); b.Length() != 1 || got != "Notify me when jobs end" || b.AttrOr("aria-pressed", "") != "true" {
		t.Errorf("notification control %q (%d buttons, aria-pressed %q)", got, b.Length(), b.AttrOr("aria-pressed", ""))
	}
	expect(t, s.postForm("/jobs/notifications", url.Values{"on": {"0"}, "back": {"/jobs"}}), http.StatusSeeOther)
	if b := s.get("/jobs").find("[data-testid=notify-control] button"); b.AttrOr("aria-pressed", "") != "false" || strings.Join(strings.Fields(b.Text()), " ") != "Notify me when jobs end" {
		t.Errorf("after turning off: %q aria-pressed %q", b.Text(), b.AttrOr("aria-pressed", ""))
	}
}

// F-23: a finished synchronous job whose server gave its id only in the job URL shows
// that id, not "none yet".
func TestSyncJobShowsServerJobID(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	p, err := s.app.Processes.Process(ctx, store.LocalEndpoint, "echo")
	if err != nil {
		t.Fatal(err)
	}
	ex := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"stringInput": json.RawMessage(`"hi"`)}}
	j, err := s.app.Monitor.Submit(ctx, jobs.Submission{EndpointID: store.LocalEndpoint, ProcessID: "echo", Process: p, Request: ex, Mode: ogcapi.Sync})
	if err != nil {
		t.Fatal(err)
	}
	j = s.waitJob(j.ID, ended)
	page := s.get("/jobs/" + j.ID)
	id := page.find("[data-testid=remote-id]").Text()
	if id == "" || !strings.Contains(j.URL, id) {
		t.Errorf("server job id %q for job URL %q", id, j.URL)
	}
}

// F-17: a binary input's file name is kept and said beside it when the form is drawn
// again (the browser's own file control said "No file chosen" beside a loaded file).
func TestBinaryInputKeepsFileName(t *testing.T) {
	s := start(t)
	f := echoForm(t, s)
	v := outputsOn(f, url.Values{name(f, "binaryInput", 0, "v"): {"iVBORw0KGgo="}, name(f, "binaryInput", 0, "fname"): {"pixel.png"}, "op": {"validate"}})
	r := s.postForm("/endpoints/local/processes/echo/execute", v)
	status := r.find("[data-input=binaryInput] [data-testid=file-status]").Text()
	if !strings.HasPrefix(status, "pixel.png · ") {
		t.Errorf("binary input status %q, want the file's name", status)
	}
	if l := r.find("[data-input=binaryInput] label.file-button"); !strings.Contains(l.Text(), "Choose another file") {
		t.Errorf("file button %q", l.Text())
	}
}
