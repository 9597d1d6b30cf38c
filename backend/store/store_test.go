package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func intp(n int) *int { return &n }

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "geojobs.db")
	for i := 0; i < 3; i++ {
		s, err := Open(path)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		ctx := context.Background()
		ms, _ := migrations()
		v, err := s.SchemaVersion(ctx)
		if err != nil || v != ms[len(ms)-1].version {
			t.Fatalf("open #%d: schema version %d, %v; want %d", i, v, err, ms[len(ms)-1].version)
		}
		var n int
		if err := s.r.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(ms) {
			t.Fatalf("open #%d: %d migration records, %v", i, n, err)
		}
		eps, err := s.Endpoints(ctx)
		if err != nil || len(eps) != 1 || eps[0].ID != LocalEndpoint || !eps[0].BuiltIn {
			t.Fatalf("open #%d: endpoints %+v, %v; want only the built-in one", i, eps, err)
		}
		var mode string
		if err := s.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode %q, %v", mode, err)
		}
		var fk int
		if err := s.w.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Fatalf("foreign_keys %d, %v", fk, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "geojobs.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec("INSERT INTO schema_migrations VALUES (999, '0999_future', 0)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("open of a newer schema: %v; want an error telling to update", err)
	}
}

func TestEndpoints(t *testing.T) {
	s, ctx := openTemp(t), context.Background()
	e, err := s.CreateEndpoint(ctx, Endpoint{ID: "zoo", Title: "ZOO", URL: "https://zoo.example/ogc-api/",
		CredentialKey: "zoo-token", Headers: map[string]string{"X-Tenant": "acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Created.IsZero() || e.BuiltIn {
		t.Fatalf("created %+v", e)
	}
	if _, err := s.CreateEndpoint(ctx, e); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate id: %v; want ErrConflict", err)
	}
	for _, bad := range []Endpoint{
		{ID: "x", Title: "X", URL: "https://h/", Headers: map[string]string{"Authorization": "Bearer s3cret"}},
		{ID: "x", Title: "X", URL: "https://h/", Headers: map[string]string{"X-Api-Key": "s3cret"}},
		{ID: "x", Title: "X", URL: "https://user:s3cret@h/"},
		{ID: "x", Title: "X", URL: "ftp://h/"},
		{ID: "Bad Id", Title: "X", URL: "https://h/"},
		{ID: "x", Title: " ", URL: "https://h/"},
	} {
		_, err := s.CreateEndpoint(ctx, bad)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("create %+v: %v; want ErrInvalid", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error reveals the secret: %v", err)
		}
	}
	e.Title = "ZOO-Project"
	if _, err := s.UpdateEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.Endpoint(ctx, "zoo")
	if err != nil || got.Title != "ZOO-Project" || got.Headers["X-Tenant"] != "acme" || got.CredentialKey != "zoo-token" {
		t.Fatalf("got %+v, %v", got, err)
	}
	eps, _ := s.Endpoints(ctx)
	if len(eps) != 2 || eps[0].ID != LocalEndpoint {
		t.Fatalf("endpoints %+v; want local first", eps)
	}
	if err := s.DeleteEndpoint(ctx, LocalEndpoint); !errors.Is(err, ErrBuiltIn) {
		t.Fatalf("delete local: %v", err)
	}
	if _, err := s.w.Exec("DELETE FROM endpoints WHERE id = 'local'"); err == nil {
		t.Fatal("the database itself let the built-in endpoint go")
	}
	if _, err := s.UpdateEndpoint(ctx, Endpoint{ID: LocalEndpoint, Title: "Mine", URL: "https://elsewhere/"}); !errors.Is(err, ErrBuiltIn) {
		t.Fatalf("changing the local URL: %v", err)
	}
	if _, err := s.UpdateEndpoint(ctx, Endpoint{ID: LocalEndpoint, Title: "On this computer"}); err != nil {
		t.Fatalf("renaming local: %v", err)
	}
	if _, err := s.CreateJob(ctx, NewJob{EndpointID: "zoo", ProcessID: "echo"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEndpoint(ctx, "zoo"); !errors.Is(err, ErrConflict) {
		t.Fatalf("delete with jobs: %v; want ErrConflict", err)
	}
	if err := s.DeleteEndpoint(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
}

func TestJobLifecycle(t *testing.T) {
	s, ctx := openTemp(t), context.Background()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	desc := []byte(`{"id":"countdown"}`)
	j, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "countdown", Description: desc,
		Request: json.RawMessage(`{"inputs":{"seconds":3}}`), AOI: json.RawMessage(`{"type":"Point","coordinates":[1,2]}`), At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusSubmitting || j.DescriptionSHA256 != DescriptionHash(desc) || len(j.DescriptionSHA256) != 64 ||
		string(j.Request) != `{"inputs":{"seconds":3}}` || !j.Created.Equal(t0) || !j.Open() {
		t.Fatalf("created %+v", j)
	}
	if _, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "x", Request: json.RawMessage(`{`)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("malformed request: %v", err)
	}
	if _, err := s.CreateJob(ctx, NewJob{EndpointID: "nope", ProcessID: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown endpoint: %v", err)
	}
	if err := s.Submitted(ctx, j.ID, "r-1", "http://h/jobs/r-1", ogcapi.StatusInfo{Status: ogcapi.StatusAccepted}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	st := func(status string, p *int, msg string) ogcapi.StatusInfo {
		return ogcapi.StatusInfo{JobID: "r-1", Status: status, Progress: p, Message: msg}
	}
	steps := []struct {
		st      ogcapi.StatusInfo
		changed bool
	}{
		{st(ogcapi.StatusAccepted, nil, ""), false},
		{st(ogcapi.StatusRunning, intp(0), ""), true},
		{st(ogcapi.StatusRunning, intp(0), ""), false},
		{st(ogcapi.StatusRunning, intp(50), "half"), true},
		{st(ogcapi.StatusRunning, intp(50), "half"), false},
		{st(ogcapi.StatusSuccessful, intp(100), "done"), true},
	}
	at := t0.Add(2 * time.Second)
	for i, step := range steps {
		if i == 3 {
			first, err := s.MarkUnreachable(ctx, j.ID, at, "503 unavailable", "")
			if err != nil || !first {
				t.Fatalf("unreachable: %v, %v", first, err)
			}
			if first, _ := s.MarkUnreachable(ctx, j.ID, at.Add(time.Second), "sign-in needed", "platform"); first {
				t.Fatal("second MarkUnreachable reported first")
			}
			got, _ := s.Job(ctx, j.ID)
			if got.SignInKey != "platform" {
				t.Fatalf("waiting for a sign-in: SignInKey %q", got.SignInKey)
			}
			if first, _ := s.MarkUnreachable(ctx, j.ID, at.Add(time.Second), "connection refused", ""); first {
				t.Fatal("third MarkUnreachable reported first")
			}
			got, _ = s.Job(ctx, j.ID)
			if !got.UnreachableSince.Equal(at) || got.UnreachableReason != "connection refused" || got.SignInKey != "" ||
				got.Status != ogcapi.StatusRunning {
				t.Fatalf("unreachable job %+v", got)
			}
			s.MarkUnreachable(ctx, j.ID, at.Add(time.Second), "sign-in needed", "platform")
		}
		changed, err := s.RecordStatus(ctx, j.ID, step.st, at)
		if err != nil || changed != step.changed {
			t.Fatalf("step %d: changed %v, %v; want %v", i, changed, err, step.changed)
		}
		at = at.Add(time.Second)
	}
	got, _ := s.Job(ctx, j.ID)
	if got.Status != ogcapi.StatusSuccessful || *got.Progress != 100 || got.Finished.IsZero() || got.Started.IsZero() ||
		!got.UnreachableSince.IsZero() || got.SignInKey != "" || !got.Open() {
		t.Fatalf("after success %+v", got)
	}
	if err := s.SetResults(ctx, j.ID, json.RawMessage(`{"type":"FeatureCollection"}`), "", at); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Job(ctx, j.ID)
	if string(got.Results) != `{"type":"FeatureCollection"}` || got.Open() {
		t.Fatalf("after results %+v", got)
	}
	evs, err := s.Events(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind+":"+e.Status)
	}
	want := []string{"status:submitting", "status:accepted", "status:running", "unreachable:running", "reachable:running",
		"status:running", "status:successful", "results:successful"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events\n got %v\nwant %v", kinds, want)
	}
	if _, err := s.Events(ctx, "missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("events of a missing job: %v", err)
	}

	// Lost: kept with its history, no longer open.
	k, _ := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "echo", RemoteID: "r-2", Status: ogcapi.StatusRunning, Origin: OriginImported})
	if err := s.MarkLost(ctx, k.ID, at, "no such job"); err != nil {
		t.Fatal(err)
	}
	open, _ := s.Unfinished(ctx)
	if len(open) != 0 {
		t.Fatalf("unfinished %+v; want none", open)
	}
	acts, _ := s.Actions(ctx, k.ID)
	if len(acts) != 1 || acts[0].Action != ActionImported || acts[0].Detail != "r-2" {
		t.Fatalf("actions %+v", acts)
	}
	if _, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "echo", RemoteID: "r-2"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("same server id twice: %v", err)
	}
	if found, err := s.JobByRemote(ctx, LocalEndpoint, "r-2"); err != nil || found.ID != k.ID {
		t.Fatalf("by remote: %+v, %v", found, err)
	}

	// Submit outcomes.
	u, _ := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "echo"})
	if err := s.SubmitFailed(ctx, u.ID, true, "connection reset after sending", at); err != nil {
		t.Fatal(err)
	}
	open, _ = s.Unfinished(ctx)
	if len(open) != 1 || open[0].ID != u.ID || open[0].Status != StatusSubmitUnknown {
		t.Fatalf("unfinished %+v; want the unknown submission", open)
	}
	if n, err := s.DeleteJobs(ctx, []string{j.ID, k.ID, "missing"}); err != nil || n != 2 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	var left int
	s.r.QueryRow("SELECT count(*) FROM job_events WHERE job_id IN (?, ?)", j.ID, k.ID).Scan(&left)
	if left != 0 {
		t.Fatalf("%d events outlived their jobs", left)
	}
}

func TestSettingsAndActions(t *testing.T) {
	s, ctx := openTemp(t), context.Background()
	if _, ok, err := s.Setting(ctx, "theme"); ok || err != nil {
		t.Fatalf("unset setting: %v %v", ok, err)
	}
	s.SetSetting(ctx, "theme", "dark")
	s.SetSetting(ctx, "theme", "light")
	if v, ok, _ := s.Setting(ctx, "theme"); !ok || v != "light" {
		t.Fatalf("theme %q", v)
	}
	all, _ := s.Settings(ctx)
	if len(all) != 1 {
		t.Fatalf("settings %v", all)
	}
	s.DeleteSetting(ctx, "theme")
	if _, ok, _ := s.Setting(ctx, "theme"); ok {
		t.Fatal("deleted setting still there")
	}
	j, _ := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "echo"})
	if err := s.AddAction(ctx, j.ID, ActionHidden, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	p, _ := s.ListJobs(ctx, Filter{})
	if len(p.Jobs) != 0 {
		t.Fatal("hidden job listed")
	}
	p, _ = s.ListJobs(ctx, Filter{WithHidden: true})
	if len(p.Jobs) != 1 || p.Jobs[0].Hidden.IsZero() {
		t.Fatalf("with hidden: %+v", p.Jobs)
	}
	s.AddAction(ctx, j.ID, ActionUnhidden, "", time.Now())
	if p, _ = s.ListJobs(ctx, Filter{}); len(p.Jobs) != 1 {
		t.Fatal("unhidden job not listed")
	}
	if err := s.AddAction(ctx, "missing", ActionHidden, "", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("action on missing job: %v", err)
	}
}

// insertJobs adds n jobs in one transaction (CreateJob's fsync per job would make a
// 5,000-job test slow without testing anything more).
func insertJobs(t *testing.T, s *Store, n int, f func(i int) (endpoint, process, status, msg string, created time.Time)) {
	t.Helper()
	err := s.tx(context.Background(), func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			ep, proc, st, msg, at := f(i)
			if _, err := tx.Exec(`INSERT INTO jobs (id, endpoint_id, process_id, status, message, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("job-%05d", i), ep, proc, st, msg, ms2(at), ms2(at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListJobsPagingAndFilters(t *testing.T) {
	s, ctx := openTemp(t), context.Background()
	if _, err := s.CreateEndpoint(ctx, Endpoint{ID: "zoo", Title: "ZOO", URL: "https://zoo.example/"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 5000
	statuses := []string{ogcapi.StatusAccepted, ogcapi.StatusRunning, ogcapi.StatusSuccessful, ogcapi.StatusFailed}
	insertJobs(t, s, n, func(i int) (string, string, string, string, time.Time) {
		ep := LocalEndpoint
		if i%2 == 1 {
			ep = "zoo"
		}
		msg := ""
		if i%1000 == 7 {
			msg = "needle 100%_done"
		}
		// Every 10 jobs share a creation time: paging must break ties by insertion order.
		return ep, []string{"echo", "countdown", "scene"}[i%3], statuses[i%4], msg, t0.Add(time.Duration(i/10) * time.Second)
	})

	var seen []string
	cursor := ""
	pages := 0
	for {
		p, err := s.ListJobs(ctx, Filter{Limit: 333, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range p.Jobs {
			seen = append(seen, j.ID)
			if j.Request != nil || j.Results != nil {
				t.Fatal("list carries the large columns")
			}
		}
		pages++
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if len(seen) != n || pages != (n+332)/333 {
		t.Fatalf("paged %d jobs in %d pages; want %d in %d", len(seen), pages, n, (n+332)/333)
	}
	for i, id := range seen {
		if want := fmt.Sprintf("job-%05d", n-1-i); id != want {
			t.Fatalf("position %d: %s; want %s (newest first, ties by insertion)", i, id, want)
		}
	}

	count := func(f Filter) int {
		t.Helper()
		total := 0
		f.Limit = 500
		for {
			p, err := s.ListJobs(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			total += len(p.Jobs)
			if p.Next == "" {
				return total
			}
			f.Cursor = p.Next
		}
	}
	cases := []struct {
		name string
		f    Filter
		want int
	}{
		{"endpoint", Filter{Endpoint: "zoo"}, n / 2},
		{"process", Filter{Process: "echo"}, 1667},
		{"status", Filter{Status: []string{ogcapi.StatusFailed, ogcapi.StatusRunning}}, n / 2},
		{"endpoint+status", Filter{Endpoint: LocalEndpoint, Status: []string{ogcapi.StatusAccepted}}, n / 4},
		{"from-to", Filter{From: t0.Add(100 * time.Second), To: t0.Add(200 * time.Second)}, 1000},
		{"text", Filter{Text: "NEEDLE"}, 5},
		{"text with LIKE characters", Filter{Text: "100%_d"}, 5},
		{"text is literal", Filter{Text: "1%0"}, 0},
		{"text id", Filter{Text: "job-0004"}, 10},
	}
	for _, c := range cases {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d jobs; want %d", c.name, got, c.want)
		}
	}
	if _, err := s.ListJobs(ctx, Filter{Cursor: "garbage!"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad cursor: %v", err)
	}
	// The default listing uses an index, not a scan plus sort.
	var plan []string
	rows, _ := s.r.Query("EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE hidden_at IS NULL AND endpoint_id = 'zoo' ORDER BY created_at DESC, seq DESC LIMIT 51")
	for rows.Next() {
		var a, b, c int
		var d string
		rows.Scan(&a, &b, &c, &d)
		plan = append(plan, d)
	}
	rows.Close()
	if p := strings.Join(plan, "; "); strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "INDEX") {
		t.Errorf("query plan %q sorts or scans", p)
	}
}
