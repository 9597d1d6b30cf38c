package jobspage

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/pagetest"
)

func intp(n int) *int { return &n }

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func job(id, status string) store.Job {
	return store.Job{ID: id, EndpointID: "local", ProcessID: "countdown", Status: status, Created: t0, Updated: t0,
		URL: "http://127.0.0.1:8080/local/ogcapi/jobs/" + id, RemoteID: id,
		Request: json.RawMessage(`{"inputs":{"seconds":3,"aoi":{"bbox":[1,2,3,4]}}}`)}
}

func TestListRows(t *testing.T) {
	running := job("j1", "running")
	running.Progress, running.Message, running.Started = intp(40), "counting <b>down</b>", t0
	unreachable := job("j2", "running")
	unreachable.UnreachableSince = t0.Add(time.Minute)
	lost := job("j3", "accepted")
	lost.Lost = t0.Add(time.Hour)
	done := job("j4", "successful")
	done.Started, done.Finished = t0, t0.Add(90*time.Second)
	f := Filters{Endpoint: "local", Status: []string{"running"}, Text: "count"}
	m := ListModel{Filters: f, Jobs: []store.Job{running, unreachable, lost, done}, Next: "CURSOR",
		Endpoints: []store.Endpoint{{ID: "local", Title: "Local"}, {ID: "zoo", Title: "ZOO"}}, Now: t0.Add(2 * time.Minute),
		RenderedAt: t0}
	doc := pagetest.Render(t, ListView(m))
	rows := doc.Find("[data-testid=job-list] [data-testid=job]")
	if rows.Length() != 4 {
		t.Fatalf("%d rows", rows.Length())
	}
	want := map[string]string{"j1": "running", "j2": "unreachable", "j3": "lost", "j4": "successful"}
	rows.Each(func(_ int, r *goquery.Selection) {
		id := r.AttrOr("data-job", "")
		if got := r.AttrOr("data-status", ""); got != want[id] {
			t.Errorf("row %s status %q, want %q", id, got, want[id])
		}
		if r.AttrOr("id", "") != "job-row-"+id || r.AttrOr("hx-swap-oob", "") != "" {
			t.Errorf("row %s id %q oob %q", id, r.AttrOr("id", ""), r.AttrOr("hx-swap-oob", ""))
		}
		if r.Find("input[type=checkbox][name=id][form=bulk]").AttrOr("value", "") != id {
			t.Errorf("row %s has no selection box", id)
		}
	})
	r1 := doc.Find("[data-job=j1]")
	if r1.Find("progress").AttrOr("value", "") != "40" || r1.Find("[data-testid=job-message]").Text() != "counting <b>down</b>" ||
		r1.Find("b").Length() != 0 {
		t.Errorf("running row: %s", r1.Text())
	}
	if doc.Find("[data-job=j4] progress").Length() != 0 || !strings.Contains(doc.Find("[data-job=j4]").Text(), "1 min 30 s") {
		t.Errorf("successful row: %s", doc.Find("[data-job=j4]").Text())
	}
	// Paging keeps the filters; the filters show their values.
	more := doc.Find("[data-testid=load-more]")
	u, err := url.Parse(more.AttrOr("hx-get", ""))
	if err != nil || u.Path != "/jobs" || u.Query().Get("cursor") != "CURSOR" || u.Query().Get("endpoint") != "local" ||
		u.Query().Get("status") != "running" || u.Query().Get("q") != "count" || more.AttrOr("href", "") != more.AttrOr("hx-get", "") {
		t.Errorf("load more %q", more.AttrOr("hx-get", ""))
	}
	if doc.Find("#f-endpoint option[selected]").AttrOr("value", "") != "local" || doc.Find("#f-status option[selected]").AttrOr("value", "") != "running" ||
		doc.Find("#f-q").AttrOr("value", "") != "count" {
		t.Error("filters do not show their values")
	}
	// A filtered list does not take new jobs at its top; the live connection asks for
	// the jobs and what changed since the list was read.
	if doc.Find("#job-rows").AttrOr("data-live-new", "") != "false" {
		t.Error("filtered list takes new jobs")
	}
	ws, _ := url.Parse(doc.Find("[data-testid=live]").AttrOr("ws-connect", ""))
	if ws.Path != "/ws" || strings.Join(ws.Query()["topic"], ",") != "jobs,jobs-since:"+strconvMS(t0) {
		t.Errorf("ws-connect %q", ws)
	}
	if doc.Find("[data-testid=bulk] [data-testid=bulk-dismiss]").Length() != 1 || doc.Find("[data-testid=bulk]").AttrOr("hx-confirm", "") == "" {
		t.Error("bulk actions without confirmation")
	}
	if doc.Find("[data-testid=import] select option").Length() != 2 {
		t.Error("import form lists no endpoints")
	}
}

func strconvMS(t time.Time) string { return strings.TrimPrefix(sinceTopic(t), sincePrefix) }

func TestListEmptyAndAppend(t *testing.T) {
	doc := pagetest.Render(t, ListView(ListModel{Now: t0}))
	if doc.Find("[data-testid=no-jobs]").Length() != 1 || doc.Find("#job-rows").AttrOr("data-live-new", "") != "true" {
		t.Error("empty unfiltered list")
	}
	if doc.Find("[data-testid=load-more], [data-testid=end-of-list]").Length() != 0 {
		t.Error("paging on an empty list")
	}
	// "Load more": the page's rows, for htmx to append to the list, and the new pager.
	var buf bytes.Buffer
	m := ListModel{Jobs: []store.Job{job("j9", "failed")}, Append: true, Paged: true, Now: t0}
	if err := templ.RenderFragments(context.Background(), &buf, ListView(m), "job-rows"); err != nil {
		t.Fatal(err)
	}
	doc, _ = goquery.NewDocumentFromReader(&buf)
	if doc.Find("#job-page-rows > tr[data-job=j9]").Length() != 1 || doc.Find("#job-more [data-testid=end-of-list]").Length() != 1 {
		t.Errorf("appended page: %s", buf.String())
	}
	if strings.Contains(buf.String(), "filters") {
		t.Error("the fragment carries the whole page")
	}
}

func TestParseFilters(t *testing.T) {
	q := url.Values{"endpoint": {"zoo"}, "process": {"echo"}, "status": {"failed", "running"}, "from": {"2025-01-02"},
		"to": {"2025-01-31"}, "q": {" water "}, "hidden": {"1"}}
	f, err := ParseFilters(q)
	if err != nil {
		t.Fatal(err)
	}
	if f.Text != "water" || !f.Hidden || len(f.Status) != 2 {
		t.Errorf("%+v", f)
	}
	sf := f.storeFilter(10, "c")
	if sf.From.Format(time.DateOnly) != "2025-01-02" || sf.To.Format(time.DateOnly) != "2025-02-01" || !sf.WithHidden || sf.Cursor != "c" {
		t.Errorf("store filter %+v", sf)
	}
	back, _ := ParseFilters(f.Query())
	if back.Endpoint != f.Endpoint || back.To != f.To || strings.Join(back.Status, ",") != "failed,running" {
		t.Errorf("round trip %+v", back)
	}
	if _, err := ParseFilters(url.Values{"from": {"yesterday"}}); err == nil {
		t.Error("a bad date is accepted")
	}
	if !(Filters{}).Empty() || f.Empty() {
		t.Error("Empty")
	}
}

func jobPage(t *testing.T, m JobModel) *goquery.Document {
	t.Helper()
	if m.Now.IsZero() {
		m.Now = t0.Add(5 * time.Minute)
	}
	return pagetest.Render(t, JobView(m))
}

func TestJobPageRunning(t *testing.T) {
	j := job("j1", "running")
	j.Progress, j.Message, j.Started = intp(60), "2 s left", t0.Add(time.Second)
	j.AOI = json.RawMessage(`{"type":"Polygon","coordinates":[[[1,2],[3,2],[3,4],[1,4],[1,2]]]}`)
	events := []store.Event{
		{At: t0, Kind: store.EventStatus, Status: "submitting"},
		{At: t0.Add(time.Second), Kind: store.EventStatus, Status: "accepted"},
		{At: t0.Add(2 * time.Second), Kind: store.EventStatus, Status: "running", Progress: intp(10)},
		{At: t0.Add(3 * time.Second), Kind: store.EventStatus, Status: "running", Progress: intp(60)},
	}
	doc := jobPage(t, JobModel{Job: j, Events: events, Endpoint: store.Endpoint{ID: "local", BuiltIn: true}})
	st := doc.Find("[data-testid=job-status]")
	if st.AttrOr("data-status", "") != "running" || st.Find("progress[data-testid=progress]").AttrOr("value", "") != "60" ||
		st.Find("[data-testid=message]").Text() != "2 s left" {
		t.Errorf("status card: %s", st.Text())
	}
	if ws := doc.Find("[data-testid=live]").AttrOr("ws-connect", ""); ws != "/ws?topic=job%3Aj1" {
		t.Errorf("ws-connect %q", ws)
	}
	steps := doc.Find("[data-testid=timeline] [data-testid=step]")
	if steps.Length() != 3 {
		t.Fatalf("%d steps (progress-only events must fold)", steps.Length())
	}
	if d := steps.Eq(0).Find("[data-testid=step-duration]").Text(); d != "1 s" {
		t.Errorf("first step lasted %q", d)
	}
	if !steps.Eq(2).HasClass("current") || !strings.Contains(steps.Eq(2).Text(), "so far") {
		t.Errorf("running step: %s", steps.Eq(2).Text())
	}
	if doc.Find("[data-testid=dismiss]").Length() != 1 || doc.Find("[data-testid=rerun]").Length() != 1 || doc.Find("[data-testid=clone]").Length() != 1 {
		t.Error("actions of a running job")
	}
	if v := doc.Find("[data-testid=clone]").Closest("form").Find("input[name=import_text]").AttrOr("value", ""); !json.Valid([]byte(v)) {
		t.Errorf("clone carries %q", v)
	}
	if !strings.Contains(doc.Find("[data-testid=curl]").Text(), "http://127.0.0.1:8080/local/ogcapi/processes/countdown/execution") ||
		!strings.Contains(doc.Find("[data-testid=curl]").Text(), "$GEOJOBS_TOKEN") ||
		!strings.Contains(doc.Find("[data-testid=run-command]").Text(), "geojobs run --api-endpoint") {
		t.Errorf("commands: %s", doc.Find("[data-testid=commands]").Text())
	}
	if doc.Find("[data-testid=input][data-input=seconds]").Text() != "3" {
		t.Error("inputs not shown")
	}
	if m := doc.Find("[data-testid=job-aoi] gj-footprints-map"); m.Length() != 1 || !json.Valid([]byte(m.AttrOr("aoi", ""))) ||
		!strings.HasSuffix(m.AttrOr("src", ""), "/inputs.geojson") {
		t.Error("AOI map")
	}
	if doc.Find("#job-log[hx-trigger=load]").Length() != 1 {
		t.Error("the log is not loaded")
	}
	if doc.Find("[data-testid=unreachable], [data-testid=lost], [data-testid=results-link]").Length() != 0 {
		t.Error("a running job shows other states")
	}
	if doc.Find("[style]").Length() != 0 {
		t.Error("style attributes (the CSP forbids them)")
	}
}

func TestJobPageUnreachable(t *testing.T) {
	j := job("j1", "running")
	j.UnreachableSince, j.UnreachableReason = t0.Add(time.Minute), "dial tcp: connection refused"
	doc := jobPage(t, JobModel{Job: j, Now: t0.Add(4 * time.Minute)})
	u := doc.Find("[data-testid=unreachable]")
	if u.Length() != 1 || !strings.Contains(u.Text(), "Unreachable since") || !strings.Contains(u.Text(), "3 min 0 s") ||
		!strings.Contains(u.Text(), "connection refused") {
		t.Errorf("unreachable: %q", u.Text())
	}
	if doc.Find("[data-testid=job-status]").AttrOr("data-state", "") != "unreachable" {
		t.Error("state")
	}
}

func TestJobPageLost(t *testing.T) {
	j := job("j1", "running")
	j.Lost = t0.Add(time.Hour)
	doc := jobPage(t, JobModel{Job: j})
	if doc.Find("[data-testid=lost]").Length() != 1 || doc.Find("[data-testid=job-status]").AttrOr("data-state", "") != "lost" {
		t.Error("lost job")
	}
	if doc.Find("[data-testid=dismiss], [data-testid=delete-remote]").Length() != 0 {
		t.Error("a lost job offers to dismiss it")
	}
	if doc.Find("[data-testid=refresh]").Length() != 1 {
		t.Error("a lost job does not offer to check it again (the server may know it again)")
	}
	if doc.Find("progress:not([value])").Length() != 0 {
		t.Error("a lost job shows a running progress bar")
	}
}

func TestJobPageFailed(t *testing.T) {
	j := job("j1", "failed")
	j.Error, j.Message, j.Finished = "ZOO: <script>the tool exited with 1</script>", "failed", t0.Add(time.Minute)
	doc := jobPage(t, JobModel{Job: j, Events: []store.Event{{At: t0, Kind: store.EventStatus, Status: "running"},
		{At: t0.Add(time.Minute), Kind: store.EventStatus, Status: "failed", Message: "failed"}}})
	e := doc.Find("[data-testid=job-error]")
	if !strings.Contains(e.Text(), "The server's reason") || !strings.Contains(e.Find("p").Text(), "<script>the tool exited with 1</script>") ||
		doc.Find("script").Length() != 0 {
		t.Errorf("failure: %q", e.Text())
	}
	if doc.Find("[data-testid=dismiss], [data-testid=refresh], [data-testid=results-link]").Length() != 0 {
		t.Error("failed job actions")
	}
	if d := doc.Find("[data-testid=delete-remote]"); strings.TrimSpace(d.Text()) != "Delete on the server" ||
		!strings.Contains(d.Closest("form").AttrOr("hx-confirm", ""), "Delete this job") {
		t.Errorf("a failed job's dismiss is not offered as a confirmed delete: %q", d.Text())
	}
	last := doc.Find("[data-testid=step]").Last()
	if last.HasClass("current") || last.AttrOr("data-status", "") != "failed" {
		t.Error("a failed job's last step is current")
	}
}

func TestJobPageSuccessful(t *testing.T) {
	j := job("j1", "successful")
	j.Progress, j.Finished, j.ResultsAt = intp(100), t0.Add(time.Minute), t0.Add(time.Minute)
	doc := jobPage(t, JobModel{Job: j})
	if doc.Find("[data-testid=job-status]").AttrOr("data-status", "") != "successful" ||
		doc.Find("[data-testid=results-link]").AttrOr("href", "") != "/jobs/j1/results" {
		t.Error("successful job")
	}
	if doc.Find("[data-testid=dismiss], [data-testid=refresh]").Length() != 0 || doc.Find("[data-testid=delete-remote]").Length() != 1 ||
		doc.Find("progress[value='100']").Length() != 1 {
		t.Error("successful job's progress or actions")
	}
}

func TestJobPageDismissed(t *testing.T) {
	j := job("j1", "dismissed")
	j.Finished = t0.Add(time.Minute)
	doc := jobPage(t, JobModel{Job: j})
	if n := doc.Find("[data-testid=dismiss], [data-testid=delete-remote], [data-testid=refresh]").Length(); n != 0 {
		t.Errorf("a dismissed job offers %d dismiss, delete or check actions", n)
	}
	if doc.Find("[data-testid=rerun]").Length() != 1 {
		t.Error("a dismissed job cannot be re-run")
	}
}

func TestJobPageRunningChecks(t *testing.T) {
	for _, unreachable := range []bool{false, true} {
		j := job("j1", "running")
		if unreachable {
			j.UnreachableSince = t0
		}
		doc := jobPage(t, JobModel{Job: j})
		if doc.Find("[data-testid=refresh]").Length() != 1 || strings.TrimSpace(doc.Find("[data-testid=dismiss]").Text()) != "Dismiss" {
			t.Errorf("unreachable=%v: a running job's check and dismiss actions", unreachable)
		}
	}
}

func TestLiveFragments(t *testing.T) {
	j := job("j1", "running")
	j.Progress = intp(20)
	var buf bytes.Buffer
	_ = RowUpdate(j, RowInfo{Now: t0}).Render(context.Background(), &buf)
	row, _ := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + buf.String() + "</tbody></table>"))
	if r := row.Find("tr#job-row-j1"); r.AttrOr("hx-swap-oob", "") != "outerHTML" || r.AttrOr("data-version", "") == "" {
		t.Error("row update")
	}
	up := pagetest.Render(t, JobUpdate(JobModel{Job: j, Now: t0}))
	if up.Find("#job-status[hx-swap-oob=outerHTML]").Length() != 1 || up.Find("#job-timeline[hx-swap-oob=outerHTML]").Length() != 1 {
		t.Error("job update")
	}
	// The actions follow the job: once it ended, no "Dismiss" or "Check now" is left.
	if b := up.Find("#job-action-buttons[hx-swap-oob=outerHTML]"); b.Length() != 1 || b.Find("[data-testid=dismiss]").Length() != 1 {
		t.Error("the job update does not carry the running job's actions")
	}
	ended := j
	ended.Status = "successful"
	b := pagetest.Render(t, JobUpdate(JobModel{Job: ended, Now: t0})).Find("#job-action-buttons")
	if b.Find("[data-testid=dismiss], [data-testid=refresh]").Length() != 0 || b.Find("[data-testid=delete-remote]").Length() != 1 {
		t.Error("the update of an ended job still offers to dismiss or check it")
	}
	ind := pagetest.Render(t, RunningIndicator(Active{Running: 3}))
	if i := ind.Find("#running-indicator"); i.AttrOr("hx-swap-oob", "") != "true" || i.AttrOr("data-running", "") != "3" ||
		!strings.Contains(i.Text(), "3 running") {
		t.Errorf("indicator %q", i.Text())
	}
	// F-20: 2 running and 14 queued is not "16 running".
	if got := strings.Join(strings.Fields(pagetest.Render(t, RunningIndicator(Active{Running: 2, Waiting: 14})).Find("#running-indicator").Text()), " "); got != "2 running · 14 waiting" {
		t.Errorf("indicator %q", got)
	}
	if pagetest.Render(t, RunningIndicator(Active{})).Find("#running-indicator a").Length() != 0 {
		t.Error("nothing running still links")
	}
	f := j
	f.Status, f.Error = "failed", "out of memory"
	n := pagetest.Render(t, NotifyFragment(application.NotificationOf(f))).Find("template[data-notify]")
	if n.AttrOr("data-title", "") != "Job failed: countdown" || n.AttrOr("data-body", "") != "out of memory" || n.AttrOr("data-href", "") != "/jobs/j1" {
		t.Errorf("notification %v", n.Nodes)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "—", 850 * time.Millisecond: "850 ms", 12 * time.Second: "12 s",
		184 * time.Second: "3 min 4 s", 2*time.Hour + 5*time.Minute: "2 h 5 min", 76 * time.Hour: "3 d 4 h"} {
		if got := duration(d); got != want {
			t.Errorf("%s: %q, want %q", d, got, want)
		}
	}
}

func TestSafeBack(t *testing.T) {
	for in, want := range map[string]string{"/jobs?status=failed": "/jobs?status=failed", "https://evil.example/jobs": "/jobs",
		"//evil.example/jobs": "/jobs", "/endpoints": "/jobs", "/jobs/abc": "/jobs/abc"} {
		if got := safeBack(in, "/jobs"); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// The button that turns notifications on asks the browser's permission (app.js reads
// data-notify-ask), except in the desktop window, whose notifications are native.
func TestNotifyControlDesktop(t *testing.T) {
	off := NotifyModel{On: false, Back: "/jobs"}
	if pagetest.Render(t, NotifyControl(off)).Find("[data-testid=notify-on][data-notify-ask]").Length() != 1 {
		t.Error("browser: the button does not ask the browser's permission")
	}
	var buf bytes.Buffer
	ctx := components.WithDesktop(context.Background(), components.Desktop{})
	if err := NotifyControl(off).Render(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d.Find("[data-testid=notify-on]").Length() != 1 || d.Find("[data-notify-ask]").Length() != 0 {
		t.Errorf("desktop: want the on button without data-notify-ask: %s", buf.String())
	}
}

// TestJobPageSignInNeeded: a job waiting because its endpoint's sign-in ended
// (stored by the monitor as the key to sign in with) says it is kept and offers
// to sign in with that key; the list says "sign-in needed". The words of the
// reason play no part: a server that does not answer is offered no sign-in.
func TestJobPageSignInNeeded(t *testing.T) {
	j := job("j1", "running")
	j.UnreachableSince = t0.Add(time.Minute)
	j.UnreachableReason = "the provider refused to renew the sign-in"
	j.SignInKey = "platform"
	doc := jobPage(t, JobModel{Job: j, Now: t0.Add(4 * time.Minute), Endpoint: store.Endpoint{ID: "p", CredentialKey: "platform"}})
	if doc.Find("[data-testid=job-sign-in-needed]").Length() != 1 ||
		doc.Find("form[action='/keystore/keys/platform/signin'] [data-testid=job-sign-in]").Length() != 1 {
		t.Errorf("no Sign in for a job waiting for a sign-in: %q", doc.Find("[data-testid=unreachable]").Text())
	}
	if st := displayStatus(j); st != "sign-in needed" || displayClass(j) != "warn" {
		t.Errorf("the list says %q (%s)", st, displayClass(j))
	}
	j.SignInKey = ""
	j.UnreachableReason = `sign-in needed for key "platform": the words alone`
	doc = jobPage(t, JobModel{Job: j, Now: t0.Add(4 * time.Minute), Endpoint: store.Endpoint{ID: "p", CredentialKey: "platform"}})
	if doc.Find("[data-testid=job-sign-in]").Length() != 0 || displayStatus(j) != "unreachable" {
		t.Error("Sign in offered for a job that waits for no sign-in")
	}
}

// F-26: the curl snippet's $GEOJOBS_TOKEN is explained beside it — the run's token
// for the built-in endpoint, the keystore key's secret for an endpoint with a key —
// and not at all when the snippet sends no token.
func TestJobPageTokenHelp(t *testing.T) {
	for _, c := range []struct {
		name string
		ep   store.Endpoint
		want string // "" for no help
	}{
		{"built-in", store.Endpoint{ID: "local", BuiltIn: true}, "the value after token= in the link geojobs printed"},
		{"keystore key", store.Endpoint{ID: "p", URL: "https://p.example/ogc/", CredentialKey: "platform"}, "the secret of its keystore key platform"},
		{"open", store.Endpoint{ID: "o", URL: "https://o.example/ogc/"}, ""},
	} {
		doc := jobPage(t, JobModel{Job: job("j1", "successful"), Endpoint: c.ep})
		curl := doc.Find("[data-testid=curl]").Text()
		help := doc.Find("[data-testid=commands] [data-testid=token-help]")
		if curl == "" {
			t.Fatalf("%s: no curl snippet", c.name)
		}
		if strings.Contains(curl, "$GEOJOBS_TOKEN") != (c.want != "") {
			t.Errorf("%s: curl %q", c.name, curl)
		}
		if c.want == "" {
			if help.Length() != 0 {
				t.Errorf("%s: token help without a token: %q", c.name, help.Text())
			}
			continue
		}
		if text := strings.Join(strings.Fields(help.Text()), " "); !strings.Contains(text, c.want) {
			t.Errorf("%s: token help %q, want it to say %q", c.name, text, c.want)
		}
	}
}
