package jobspage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/joblog"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/store"
)

// Statuses offered by the list's status filter: the OGC ones (geojobs' own states of a
// submission in flight are no status a user looks for).
var filterStatuses = []string{ogcapi.StatusAccepted, ogcapi.StatusRunning, ogcapi.StatusSuccessful, ogcapi.StatusFailed,
	ogcapi.StatusDismissed}

// Filters are the list's filters as they appear in its URL, so that a link keeps them.
type Filters struct {
	Endpoint string
	Process  string
	Status   []string
	From, To string // dates, YYYY-MM-DD (To inclusive)
	Text     string
	Hidden   bool // show the jobs removed from the list
}

// ParseFilters reads filters from a URL query; bad dates are reported, not ignored.
func ParseFilters(q url.Values) (Filters, error) {
	f := Filters{Endpoint: strings.TrimSpace(q.Get("endpoint")), Process: strings.TrimSpace(q.Get("process")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")), Text: strings.TrimSpace(q.Get("q")),
		Hidden: q.Get("hidden") == "1"}
	for _, s := range q["status"] {
		if s = strings.TrimSpace(s); s != "" {
			f.Status = append(f.Status, s)
		}
	}
	for _, d := range []string{f.From, f.To} {
		if d == "" {
			continue
		}
		if _, err := time.ParseInLocation(time.DateOnly, d, time.Local); err != nil {
			return f, fmt.Errorf("%q is not a date (YYYY-MM-DD)", d)
		}
	}
	return f, nil
}

// Store filter for f.
func (f Filters) storeFilter(limit int, cursor string) store.Filter {
	sf := store.Filter{Endpoint: f.Endpoint, Process: f.Process, Status: f.Status, Text: f.Text, Limit: limit,
		Cursor: cursor, WithHidden: f.Hidden}
	if t, err := time.ParseInLocation(time.DateOnly, f.From, time.Local); err == nil {
		sf.From = t
	}
	if t, err := time.ParseInLocation(time.DateOnly, f.To, time.Local); err == nil {
		sf.To = t.AddDate(0, 0, 1)
	}
	return sf
}

// Query is f as URL query parameters.
func (f Filters) Query() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("endpoint", f.Endpoint)
	set("process", f.Process)
	set("from", f.From)
	set("to", f.To)
	set("q", f.Text)
	for _, s := range f.Status {
		q.Add("status", s)
	}
	if f.Hidden {
		q.Set("hidden", "1")
	}
	return q
}

// Empty reports whether nothing is filtered.
func (f Filters) Empty() bool { return len(f.Query()) == 0 }

func (f Filters) has(status string) bool {
	for _, s := range f.Status {
		if s == status {
			return true
		}
	}
	return false
}

// ListModel is the job list.
type ListModel struct {
	Filters   Filters
	Jobs      []store.Job
	Next      string // cursor of the next page
	Endpoints []store.Endpoint
	// Processes are the process ids of the stored jobs (the process filter's suggestions).
	Processes []string
	// Paged: this is a later page (new jobs are not added at its top).
	Paged bool
	// Append: the answer adds this page's rows to the list already shown ("Load more").
	Append bool
	// RenderedAt is when the list was read: the live connection resynchronises from it.
	RenderedAt time.Time
	Notify     NotifyModel
	// Notice says what the last action did.
	Notice string
	Now    time.Time
}

func (m ListModel) rowInfo() RowInfo { return NewRowInfo(m.Now, m.Endpoints) }

// URL is the list's URL with its filters.
func (m ListModel) URL() string { return listURL(m.Filters, "") }

func listURL(f Filters, cursor string) string {
	q := f.Query()
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if len(q) == 0 {
		return "/jobs"
	}
	return "/jobs?" + q.Encode()
}

// liveNew reports whether new jobs may be added at the top as they come: the first
// page without filters.
func (m ListModel) liveNew() bool { return m.Filters.Empty() && !m.Paged }

func (m ListModel) wsURL() string {
	return "/ws?" + url.Values{"topic": {TopicJobs, sinceTopic(m.RenderedAt)}}.Encode()
}

// NotifyModel is the notification setting.
type NotifyModel struct {
	On bool
	// Back is where the setting's form returns.
	Back string
}

// JobModel is one job's page.
type JobModel struct {
	Job      store.Job
	Events   []store.Event
	Actions  []store.Action
	Endpoint store.Endpoint // zero if the endpoint was removed
	Notify   NotifyModel
	Map      prefs.Prefs // the map preferences (tiles of the AOI map)
	Now      time.Time
	// Notice and Err say what the last action did.
	Notice, Err string
}

// Changing reports whether the job may still change (its page follows it).
func Changing(j store.Job) bool {
	return j.Lost.IsZero() && !j.Terminal() && j.Status != store.StatusSubmitUnknown
}

func (m JobModel) live() bool { return Changing(m.Job) }

// signInKey is the oidc key to sign in with when the job waits for its person
// (the monitor stored it: store.Job.SignInKey), else "".
func (m JobModel) signInKey() string {
	if m.Job.UnreachableSince.IsZero() || !Changing(m.Job) {
		return ""
	}
	return m.Job.SignInKey
}

func (m JobModel) wsURL() string {
	return "/ws?" + url.Values{"topic": {JobTopic(m.Job.ID)}}.Encode()
}

// onServer: the server has a job to ask about (a submission it never answered has none).
func (m JobModel) onServer() bool { return m.Job.URL != "" || m.Job.RemoteID != "" }

// canDismiss: the server may be asked to dismiss (stop) a job it runs.
func (m JobModel) canDismiss() bool { return m.live() && m.onServer() }

// canDelete: dismissing a finished job deletes it and its results on the server, so
// it is offered under that name. A dismissed job is gone already, a lost one unknown.
func (m JobModel) canDelete() bool {
	return m.onServer() && m.Job.Lost.IsZero() && m.Job.DeletedOnServer.IsZero() && m.Job.Terminal() &&
		m.Job.Status != ogcapi.StatusDismissed
}

// canCheck: asking for the status helps while the job may still change, and for a job
// the server seemed to have forgotten (lost), which it may know again. Unreachable
// jobs are still changing.
func (m JobModel) canCheck() bool {
	return m.onServer() && m.Job.DeletedOnServer.IsZero() && (m.live() || !m.Job.Lost.IsZero())
}

// execute returns the stored request as a forms.Request (for curl and geojobs run).
func (m JobModel) execute() *forms.Request {
	if len(m.Job.Request) == 0 {
		return nil
	}
	var ex ogcapi.Execute
	if json.Unmarshal(m.Job.Request, &ex) != nil {
		return nil
	}
	return &forms.Request{Execute: &ex, Mode: ogcapi.AsyncExecute}
}

func (m JobModel) endpointURL() string {
	if m.Endpoint.URL != "" {
		return m.Endpoint.URL
	}
	// the built-in endpoint: the job's URL names where it is served
	if i := strings.Index(m.Job.URL, "/jobs/"); i > 0 {
		return m.Job.URL[:i+1]
	}
	return ""
}

func (m JobModel) curl() string {
	r := m.execute()
	if r == nil || m.endpointURL() == "" {
		return ""
	}
	return r.Curl(m.endpointURL(), m.Job.ProcessID, m.curlNeedsToken())
}

// curlNeedsToken reports whether the curl snippet sends $GEOJOBS_TOKEN: the built-in
// endpoint wants the run's token, an endpoint with a keystore key its secret.
func (m JobModel) curlNeedsToken() bool { return m.Endpoint.BuiltIn || m.Endpoint.CredentialKey != "" }

func (m JobModel) runCommand() string {
	r := m.execute()
	if r == nil || m.endpointURL() == "" {
		return ""
	}
	return r.RunCommand(m.endpointURL(), m.Job.ProcessID)
}

// requestJSON is the stored request, indented.
func (m JobModel) requestJSON() string { return indent(m.Job.Request) }

// Input is one input of the request, for display.
type Input struct {
	ID    string
	Value string // indented JSON, shortened if long
}

const maxInputShown = 2000

func (m JobModel) inputs() []Input {
	var req struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
	}
	if len(m.Job.Request) == 0 || json.Unmarshal(m.Job.Request, &req) != nil {
		return nil
	}
	out := make([]Input, 0, len(req.Inputs))
	for id, v := range req.Inputs {
		if sum, ok := binarySummary(v); ok {
			out = append(out, Input{ID: id, Value: sum})
			continue
		}
		s := indent(v)
		if len(s) > maxInputShown {
			s = strings.ToValidUTF8(s[:maxInputShown], "") + " …"
		}
		out = append(out, Input{ID: id, Value: s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (m JobModel) aoi() string { return string(m.Job.AOI) }

// hasGeometricInputs: the request has a bounding box or a geometry to draw.
func (m JobModel) hasGeometricInputs() bool { return len(inputFeatures(m.Job.Request)) > 0 }

func (m JobModel) cloneAction() string {
	return "/endpoints/" + url.PathEscape(m.Job.EndpointID) + "/processes/" + url.PathEscape(m.Job.ProcessID) + "/execute"
}

func indent(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

// Step is one entry of a job's timeline: a status change or a change of reachability.
type Step struct {
	At       time.Time
	Kind     string
	Status   string
	Progress *int
	Message  string
	// Duration is the time until the next step (or until now while the job runs); 0 if unknown.
	Duration time.Duration
	Current  bool
}

// Steps keeps the events that change what the job is (status, reachability, lost,
// results): progress-only updates are many and say little once the job moved on.
func Steps(j store.Job, events []store.Event, now time.Time) []Step {
	var steps []Step
	last := ""
	for _, e := range events {
		if e.Kind == store.EventStatus && e.Status == last && len(steps) > 0 {
			continue
		}
		if e.Kind == store.EventStatus {
			last = e.Status
		}
		steps = append(steps, Step{At: e.At, Kind: e.Kind, Status: e.Status, Progress: e.Progress, Message: e.Message})
	}
	for i := range steps {
		if i+1 < len(steps) {
			steps[i].Duration = steps[i+1].At.Sub(steps[i].At)
		} else if Changing(j) {
			steps[i].Duration = now.Sub(steps[i].At)
			steps[i].Current = true
		}
	}
	return steps
}

func stepLabel(s Step) string {
	switch s.Kind {
	case store.EventUnreachable:
		return "unreachable"
	case store.EventReachable:
		return "reachable again"
	case store.EventLost:
		return "lost"
	case store.EventResults:
		return "results stored"
	}
	return s.Status
}

func statusClass(s string) string {
	switch s {
	case ogcapi.StatusSuccessful:
		return "ok"
	case ogcapi.StatusFailed, store.StatusSubmitUnknown:
		return "bad"
	case ogcapi.StatusDismissed:
		return "muted"
	}
	return "run"
}

// displayStatus is what the list says of a job: the server's status, or what geojobs
// knows beyond it.
func displayStatus(j store.Job) string {
	switch {
	case !j.Lost.IsZero():
		return "lost"
	case !j.UnreachableSince.IsZero() && Changing(j) && j.SignInKey != "":
		return "sign-in needed"
	case !j.UnreachableSince.IsZero() && Changing(j):
		return "unreachable"
	}
	return j.Status
}

func displayClass(j store.Job) string {
	switch displayStatus(j) {
	case "lost":
		return "bad"
	case "unreachable", "sign-in needed":
		return "warn"
	}
	return statusClass(j.Status)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// duration writes d for people: "850 ms", "12 s", "3 min 4 s", "2 h 5 min", "3 d 4 h".
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return strconv.Itoa(int(d/time.Millisecond)) + " ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 0, 64) + " s"
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%d d %d h", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// runTime is how long a job ran (or has been running).
func runTime(j store.Job, now time.Time) time.Duration {
	start := j.Started
	if start.IsZero() {
		start = j.Created
	}
	end := j.Finished
	if end.IsZero() {
		if !Changing(j) {
			return 0
		}
		end = now
	}
	return end.Sub(start)
}

// runTimeText is runTime for people; a job that ended within its first second shows "< 1 s".
func runTimeText(j store.Job, now time.Time) string {
	d := runTime(j, now)
	if d <= 0 && !j.Finished.IsZero() {
		return "< 1 s"
	}
	return duration(d)
}

func progressValue(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// percent is a progress bar's value: -1 (a moving bar) while the server says none.
func percent(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// JobURL is the job's page.
func JobURL(id string) string { return "/jobs/" + url.PathEscape(id) }

func processURL(j store.Job) string {
	return "/endpoints/" + url.PathEscape(j.EndpointID) + "/processes/" + url.PathEscape(j.ProcessID)
}

func rowID(id string) string { return "job-row-" + id }

// Version orders the states of a job: a later state has a version at least as high.
// Live rows carry it, so that a page keeps the newest of two that cross.
func Version(j store.Job) int64 {
	v := j.Updated.UnixMilli()
	for _, t := range []time.Time{j.LastPolled, j.UnreachableSince, j.Lost, j.ResultsAt, j.Hidden} {
		if !t.IsZero() {
			v = max(v, t.UnixMilli())
		}
	}
	return v
}

// LogModel is a job's log region.
type LogModel struct {
	JobID string
	Live  bool // refresh while the job runs
	Log   joblog.Log
	Err   string // why there is no log
}

// endpointTitle names the job's endpoint (its id when it was removed).
func (m JobModel) endpointTitle() string {
	if m.Endpoint.Title != "" {
		return m.Endpoint.Title
	}
	return m.Job.EndpointID
}

// idInJobURL is the job id in a job URL ".../jobs/{id}" or ".../jobs/{id}/results"
// (a synchronous job's server may give its id only there, F-23), or "".
func idInJobURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.TrimSuffix(u.EscapedPath(), "/"), "/")
	for i := len(parts) - 2; i >= 0; i-- {
		if parts[i] != "jobs" {
			continue
		}
		if id, err := url.PathUnescape(parts[i+1]); err == nil && id != "" && (i+2 == len(parts) || parts[i+2] == "results") {
			return id
		}
		break
	}
	return ""
}
