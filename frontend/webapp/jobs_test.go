package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gorilla/websocket"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// submitLocal runs a built-in process through the monitor, as the execution form does.
func (s *stack) submitLocal(process string, inputs map[string]any) store.Job {
	s.t.Helper()
	ctx := context.Background()
	p, err := s.app.Processes.Process(ctx, store.LocalEndpoint, process)
	if err != nil {
		s.t.Fatal(err)
	}
	ex := &ogcapi.Execute{Inputs: map[string]json.RawMessage{}}
	for k, v := range inputs {
		b, _ := json.Marshal(v)
		ex.Inputs[k] = b
	}
	j, err := s.app.Monitor.Submit(ctx, jobs.Submission{EndpointID: store.LocalEndpoint, ProcessID: process, Process: p, Request: ex})
	if err != nil {
		s.t.Fatalf("submit %s: %v", process, err)
	}
	return j
}

// waitJob waits until ok holds for a job, checking again after each job change the
// application publishes (stored before it is published).
func (s *stack) waitJob(id string, ok func(store.Job) bool) store.Job {
	s.t.Helper()
	changes := s.app.JobChanges()
	defer changes.Close()
	guard := time.NewTimer(waitfor.Guard)
	defer guard.Stop()
	for {
		j, err := s.app.Store.Job(context.Background(), id)
		if err != nil {
			s.t.Fatal(err)
		}
		if ok(j) {
			return j
		}
		select {
		case <-changes.Ready():
			changes.Take()
		case <-guard.C:
			s.t.Fatalf("job %s still %s after %s", id, j.Status, waitfor.Guard)
		}
	}
}

func ended(j store.Job) bool { return j.Terminal() && !j.ResultsAt.IsZero() }

func TestJobPages(t *testing.T) {
	s := start(t)
	ok := s.submitLocal("echo", map[string]any{"stringInput": "hi"})
	bad := s.submitLocal("fail", map[string]any{"message": "no water <here>"})
	s.waitJob(ok.ID, ended)
	s.waitJob(bad.ID, ended)

	list := s.get("/jobs")
	expect(t, list, http.StatusOK)
	if n := list.find("[data-testid=job]").Length(); n != 2 {
		t.Fatalf("%d rows", n)
	}
	// Newest first; filters in the URL.
	if list.find("[data-testid=job]").First().AttrOr("data-job", "") != bad.ID {
		t.Error("the list is not newest first")
	}
	f := s.get("/jobs?status=failed")
	if f.find("[data-testid=job]").Length() != 1 || f.find("[data-testid=job]").AttrOr("data-job", "") != bad.ID {
		t.Error("status filter")
	}
	if q := s.get("/jobs?q=ech"); q.find("[data-testid=job]").Length() != 1 {
		t.Error("text search")
	}
	if d := s.get("/jobs?from=tomorrow"); d.status != http.StatusBadRequest {
		t.Errorf("bad date: %d", d.status)
	}
	if c := s.get("/jobs?cursor=%21%21"); c.status != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", c.status)
	}

	// The failed job's page: the server's reason, escaped; its log from the server.
	fp := s.get("/jobs/" + bad.ID)
	expect(t, fp, http.StatusOK)
	if !strings.Contains(fp.find("[data-testid=job-error]").Text(), "no water <here>") {
		t.Errorf("failure reason: %q", fp.find("[data-testid=job-error]").Text())
	}
	lg := s.get("/jobs/"+bad.ID+"/log", htmx("job-log"))
	expect(t, lg, http.StatusOK)
	if lg.find("#job-log").Length() != 1 || lg.find("#job-log[hx-trigger]").Length() != 0 {
		t.Errorf("log of an ended job: %s", lg.body)
	}

	// Remove from the list (locally), then show again.
	rm := s.postForm("/jobs/bulk", url.Values{"op": {"remove"}, "id": {ok.ID}, "back": {"/jobs?q=x"}})
	expect(t, rm, http.StatusSeeOther)
	if loc := rm.header.Get("Location"); !strings.HasPrefix(loc, "/jobs?") || !strings.Contains(loc, "done=removed%3A1") {
		t.Errorf("redirect %q", loc)
	}
	if l := s.get("/jobs"); l.find("[data-testid=job]").Length() != 1 {
		t.Error("a removed job stays listed")
	}
	if l := s.get("/jobs?hidden=1"); l.find("[data-job='"+ok.ID+"'] .tag").Text() != "removed" {
		t.Error("removed jobs are not shown on request")
	}
	s.postForm("/jobs/bulk", url.Values{"op": {"restore"}, "id": {ok.ID}})
	if l := s.get("/jobs"); l.find("[data-testid=job]").Length() != 2 {
		t.Error("restore")
	}
	if r := s.postForm("/jobs/bulk", url.Values{"op": {"remove"}, "back": {"https://evil.example/"}}); r.status != http.StatusBadRequest {
		t.Errorf("bulk without ids: %d", r.status)
	}

	// Re-run with the same inputs: a new job that names the old one.
	rr := s.postForm("/jobs/"+ok.ID+"/rerun", nil)
	expect(t, rr, http.StatusSeeOther)
	newID := strings.TrimPrefix(rr.header.Get("Location"), "/jobs/")
	nj := s.waitJob(newID, ended)
	if nj.RerunOf != ok.ID || nj.Status != ogcapi.StatusSuccessful || !strings.Contains(string(nj.Request), `"hi"`) {
		t.Errorf("re-run %+v", nj)
	}
	// Clone into the form: the execution form, filled in.
	jp := s.get("/jobs/" + ok.ID)
	form := jp.find("[data-testid=clone]").Closest("form")
	v := url.Values{"op": {"import"}, "import_text": {form.Find("input[name=import_text]").AttrOr("value", "")}}
	cl := s.postForm(form.AttrOr("action", ""), v)
	expect(t, cl, http.StatusOK)
	if cl.find(`[data-input=stringInput] .value-control input`).AttrOr("value", "") != "hi" {
		t.Errorf("clone: %s", cl.find("[data-testid=exec-form]").Text())
	}

	// Notifications setting.
	n := s.postForm("/jobs/notifications", url.Values{"on": {"0"}, "back": {"/jobs/" + ok.ID}})
	expect(t, n, http.StatusSeeOther)
	if v, _, _ := s.app.Store.Setting(context.Background(), "notifications.jobs"); v != "off" {
		t.Errorf("setting %q", v)
	}
	if p := s.get("/jobs/" + ok.ID); p.find("[data-testid=notify-on]").Length() != 1 {
		t.Error("the page does not offer to turn notifications on")
	}

	// Import from the built-in endpoint (it declares job-list): nothing new.
	im := s.postForm("/jobs/import", url.Values{"endpoint": {"local"}})
	expect(t, im, http.StatusSeeOther)
	if !strings.Contains(im.header.Get("Location"), "imported%3A0") {
		t.Errorf("import: %q", im.header.Get("Location"))
	}
	if nf := s.get("/jobs/nope"); nf.status != http.StatusNotFound {
		t.Errorf("missing job: %d", nf.status)
	}
}

func TestJobListPaging(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	for i := range 120 {
		if _, err := s.app.Store.CreateJob(ctx, store.NewJob{EndpointID: "local", ProcessID: "p" + string(rune('a'+i%26)),
			Status: ogcapi.StatusSuccessful, RemoteID: "r" + strconv.Itoa(i), At: time.Now().Add(-time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	page := s.get("/jobs")
	rows := page.doc.Selection
	for range 5 {
		rows.Find("[data-testid=job]").Each(func(_ int, r *goquery.Selection) { seen[r.AttrOr("data-job", "")] = true })
		next := page.find("[data-testid=load-more]").AttrOr("hx-get", "")
		if next == "" {
			break
		}
		page = s.get(next, htmx("job-rows"))
		expect(t, page, http.StatusOK)
		if page.find("#job-page-rows").Length() != 1 || page.find("form").Length() != 0 {
			t.Fatalf("a later page is not a fragment: %.300s", page.body)
		}
		rows = page.find("#job-page-rows")
	}
	if len(seen) != 120 {
		t.Errorf("paging showed %d of 120 jobs", len(seen))
	}
}

// TestHubThroughGuard dials the real server: a foreign Origin is refused, and a job's
// page receives its changes as HTML fragments, to the end.
func TestHubThroughGuard(t *testing.T) {
	s := start(t)
	wsURL := "ws" + strings.TrimPrefix(s.base, "http") + "/ws?topic="
	auth := http.Header{"Authorization": {"Bearer " + s.token}}
	foreign := auth.Clone()
	foreign.Set("Origin", "http://evil.example")
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL+"running", foreign); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v %v", resp, err)
	}
	noAuth := http.Header{"Origin": {s.base}}
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL+"running", noAuth); err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without the token: %v %v", resp, err)
	}

	j := s.submitLocal("countdown", map[string]any{"seconds": 3, "step": 0.25})
	own := auth.Clone()
	own.Set("Origin", s.base)
	conn, _, err := websocket.DefaultDialer.Dial(wsURL+url.QueryEscape("job:"+j.ID), own)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	list, _, err := websocket.DefaultDialer.Dial(wsURL+"jobs&topic=running", own)
	if err != nil {
		t.Fatal(err)
	}
	defer list.Close()
	var statuses []string
	conn.SetReadDeadline(time.Now().Add(waitfor.Guard))
	for len(statuses) == 0 || statuses[len(statuses)-1] != "successful" {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("after %v: %v", statuses, err)
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		st := doc.Find("#job-status[hx-swap-oob=outerHTML]")
		if st.Length() != 1 || doc.Find("#job-timeline[hx-swap-oob=outerHTML]").Length() != 1 {
			t.Fatalf("frame is not the job's fragments: %.300s", data)
		}
		statuses = append(statuses, st.AttrOr("data-status", ""))
	}
	if len(statuses) < 2 {
		t.Errorf("statuses %v", statuses)
	}
	// The list connection got the running indicator and the job's row.
	list.SetReadDeadline(time.Now().Add(waitfor.Guard))
	var row, indicator bool
	for !row || !indicator {
		_, data, err := list.ReadMessage()
		if err != nil {
			t.Fatalf("list: row %v indicator %v: %v", row, indicator, err)
		}
		row = row || strings.Contains(string(data), `id="job-row-`+j.ID+`"`)
		indicator = indicator || strings.Contains(string(data), `id="running-indicator"`)
	}
}

// TestLiveResync: a list page that reconnects gets the rows that changed since it was read.
func TestLiveResync(t *testing.T) {
	s := start(t)
	before := time.Now().Add(-time.Second)
	j := s.submitLocal("echo", map[string]any{"stringInput": "x"})
	s.waitJob(j.ID, ended)
	msgs, err := s.app.live.Snapshot(context.Background(), "jobs-since:"+itoa(before.UnixMilli()))
	if err != nil || len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), j.ID) || msgs[0].Key != j.ID {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	msgs, _ = s.app.live.Snapshot(context.Background(), "jobs-since:"+itoa(time.Now().Add(time.Hour).UnixMilli()))
	if len(msgs) != 0 {
		t.Errorf("%d rows changed in the future", len(msgs))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
