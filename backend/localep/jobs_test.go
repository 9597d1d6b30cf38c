package localep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

func (e *env) status(id string) ogcapi.StatusInfo {
	e.t.Helper()
	r := e.do("GET", "/jobs/"+id, nil)
	expectStatus(e.t, r, 200)
	validate(e.t, "statusInfo.yaml", r.body)
	var st ogcapi.StatusInfo
	r.json(e.t, &st)
	return st
}

// waitFor waits until cond holds for a job, asking again after each update.
func (e *env) waitFor(id string, cond func(ogcapi.StatusInfo) bool) ogcapi.StatusInfo {
	e.t.Helper()
	var st ogcapi.StatusInfo
	if !waitfor.UntilOK(&updated, func() bool {
		st = e.status(id)
		return cond(st)
	}) {
		e.t.Fatalf("job %s: condition not reached, last %+v", id, st)
	}
	return st
}

func TestCountdownProgressLogAndResults(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit("countdown", map[string]any{"inputs": map[string]any{"seconds": 0.3, "step": 0.05}})
	st := e.waitFor(id, func(st ogcapi.StatusInfo) bool {
		return st.Status == ogcapi.StatusRunning && st.Progress != nil && *st.Progress > 0
	})
	if !strings.HasSuffix(st.Message, "s left") || *st.Progress >= 100 {
		t.Errorf("running status %+v", st)
	}
	expectException(t, e.do("GET", "/jobs/"+id+"/results", nil), 404, ogcapi.ExcResultNotReady)
	st = e.waitJob(id)
	if st.Status != ogcapi.StatusSuccessful || *st.Progress != 100 || st.Started == nil || st.Finished == nil || st.Finished.Before(*st.Started) {
		t.Fatalf("final status %+v", st)
	}
	log, ok := st.Links.Find("related", "text/plain")
	if !ok || log.Href != e.base+"/jobs/"+id+"/log" {
		t.Fatalf("log link %+v", st.Links)
	}
	r := e.do("GET", log.Href, nil)
	expectStatus(t, r, 200)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") || !strings.Contains(string(r.body), "0.00 s left") || !strings.Contains(string(r.body), "done") {
		t.Errorf("log: %s", r.body)
	}
	if n := strings.Count(string(r.body), "s left"); n != 6 {
		t.Errorf("%d steps logged, want 6", n)
	}
	r = e.do("GET", "/jobs/"+id+"/results", nil)
	expectStatus(t, r, 200)
	if string(r.body) != "counted down 0.3 seconds" {
		t.Errorf("raw result %q", r.body)
	}
}

func TestDismiss(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit("countdown", map[string]any{"inputs": map[string]any{"seconds": 600, "step": 0.01}})
	e.waitFor(id, func(st ogcapi.StatusInfo) bool { return st.Status == ogcapi.StatusRunning })
	r := e.do("DELETE", "/jobs/"+id, nil)
	expectStatus(t, r, 200)
	validate(t, "statusInfo.yaml", r.body)
	var st ogcapi.StatusInfo
	r.json(t, &st)
	if st.Status != ogcapi.StatusDismissed || st.JobID != id {
		t.Fatalf("dismiss answer %+v", st)
	}
	j, err := e.srv.lookupJob(id)
	if err != nil {
		t.Fatal(err)
	}
	j.mu.Lock()
	done := j.done
	j.mu.Unlock()
	waitfor.Chan(t, done, "the dismissed job's runner to end")
	if st := e.status(id); st.Status != ogcapi.StatusDismissed {
		t.Errorf("after dismiss: %+v", st)
	}
	if ok, _ := afero.Exists(e.fs, "/data/jobs/"+id+"/log.txt"); ok {
		t.Error("log of a dismissed job kept")
	}
	expectException(t, e.do("GET", "/jobs/"+id+"/results", nil), 404, ogcapi.ExcNoSuchJob)
	// Dismissing again is harmless.
	expectStatus(t, e.do("DELETE", "/jobs/"+id, nil), 200)

	// A finished job's outputs are removed.
	id = e.submit("echo", map[string]any{"inputs": map[string]any{"stringInput": "x"}})
	e.waitJob(id)
	expectStatus(t, e.do("GET", "/jobs/"+id+"/results", nil), 200)
	expectStatus(t, e.do("DELETE", "/jobs/"+id, nil), 200)
	expectException(t, e.do("GET", "/jobs/"+id+"/results/stringOutput", nil), 404, ogcapi.ExcNoSuchJob)
}

func TestJobListFilters(t *testing.T) {
	e := newEnv(t, nil)
	start := time.Now().UTC()
	ok1 := e.submit("echo", map[string]any{"inputs": map[string]any{"stringInput": "1"}})
	bad := e.submit("fail", map[string]any{"inputs": map[string]any{"delay": 0.2}})
	slow := e.submit("countdown", map[string]any{"inputs": map[string]any{"seconds": 600, "step": 0.5}})
	e.waitJob(ok1)
	e.waitJob(bad)
	e.waitFor(slow, func(st ogcapi.StatusInfo) bool { return st.Status == ogcapi.StatusRunning })

	ids := func(query string) string {
		t.Helper()
		r := e.do("GET", "/jobs"+query, nil)
		expectStatus(t, r, 200)
		validate(t, "jobList.yaml", r.body)
		var l ogcapi.JobList
		r.json(t, &l)
		var out []string
		for _, j := range l.Jobs {
			switch j.JobID {
			case ok1:
				out = append(out, "ok")
			case bad:
				out = append(out, "bad")
			case slow:
				out = append(out, "slow")
			}
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[string]string{
		"":                                 "slow,bad,ok",
		"?processID=echo":                  "ok",
		"?processID=echo&processID=fail":   "bad,ok",
		"?processID=echo,countdown":        "slow,ok",
		"?status=failed":                   "bad",
		"?status=successful,running":       "slow,ok",
		"?status=successful&status=failed": "bad,ok",
		"?type=process":                    "slow,bad,ok",
		"?type=openeo":                     "",
		"?minDuration=0.15&status=failed,successful": "bad",
		"?minDuration=3600":                          "",
		"?maxDuration=0.1&status=successful":         "ok",
		"?datetime=" + url.QueryEscape(start.Add(-time.Minute).Format(time.RFC3339)+"/.."): "slow,bad,ok",
		"?datetime=" + url.QueryEscape("../"+start.Add(-time.Minute).Format(time.RFC3339)): "",
	} {
		if got := ids(q); got != want {
			t.Errorf("GET /jobs%s = %q, want %q", q, got, want)
		}
	}
	// Paging with next links.
	r := e.do("GET", "/jobs?limit=2", nil)
	var page ogcapi.JobList
	r.json(t, &page)
	next, ok := page.Links.Find("next", "")
	if len(page.Jobs) != 2 || !ok {
		t.Fatalf("first page %s", r.body)
	}
	r = e.do("GET", next.Href, nil)
	page = ogcapi.JobList{}
	r.json(t, &page)
	if len(page.Jobs) != 1 || page.Jobs[0].JobID != ok1 {
		t.Errorf("second page %s", r.body)
	}
	if _, ok := page.Links.Find("prev", ""); !ok {
		t.Error("no prev link")
	}
	for _, q := range []string{"?status=sleeping", "?minDuration=-1", "?datetime=yesterday", "?limit=0"} {
		expectException(t, e.do("GET", "/jobs"+q, nil), 400, ogcapi.ExcInvalidParameter)
	}
}

// TestJobListShowsStatus checks that a job's entry in the job list is its status
// document (status, progress, message, times, the links to itself and its results):
// the app's monitor learns the statuses of many jobs from the list alone.
func TestJobListShowsStatus(t *testing.T) {
	e := newEnv(t, nil)
	done := e.submit("echo", map[string]any{"inputs": map[string]any{"stringInput": "1"}})
	slow := e.submit("countdown", map[string]any{"inputs": map[string]any{"seconds": 600, "step": 0.5}})
	e.waitJob(done)
	e.waitFor(slow, func(st ogcapi.StatusInfo) bool { return st.Progress != nil && *st.Progress > 0 })
	r := e.do("GET", "/jobs?limit=1000", nil)
	expectStatus(t, r, 200)
	validate(t, "jobList.yaml", r.body)
	var l ogcapi.JobList
	r.json(t, &l)
	if len(l.Jobs) != 2 {
		t.Fatalf("%d jobs listed: %s", len(l.Jobs), r.body)
	}
	for _, got := range l.Jobs {
		want := e.status(got.JobID)
		if got.Status != want.Status || got.Message == "" || got.Progress == nil || want.Progress == nil ||
			*got.Progress > *want.Progress || got.Updated == nil || got.Created == nil || got.Started == nil {
			t.Errorf("listed %+v; the job says %+v", got, want)
		}
		if self, ok := got.Links.Find("self", ""); !ok || self.Href != e.base+"/jobs/"+got.JobID {
			t.Errorf("job %s: self link %+v", got.JobID, got.Links)
		}
		res, ok := got.Links.Find(ogcapi.RelResults, "")
		if ok != (got.JobID == done) || ok && res.Href != e.base+"/jobs/"+done+"/results" {
			t.Errorf("job %s (%s): results link %+v", got.JobID, got.Status, got.Links)
		}
	}
}

func TestConcurrentJobs(t *testing.T) {
	e := newEnv(t, nil, func(o *Options) { o.MaxConcurrent = 2 })
	// The jobs running are counted as their records change, in the runners: a job's
	// end is recorded before it gives up its slot, a job's start after it took one.
	// Every job is held as it starts until the test saw the others queued: a busy
	// machine could otherwise submit the eight slower than they run.
	var mu sync.Mutex
	was := map[string]string{}
	running, most := 0, 0
	release := make(chan struct{})
	count := func(j *job) {
		st := j.rec.Status.Status
		mu.Lock()
		prev := was[j.id]
		was[j.id] = st
		started := st == ogcapi.StatusRunning && prev != ogcapi.StatusRunning
		if started {
			running++
			most = max(most, running)
		} else if prev == ogcapi.StatusRunning && st != ogcapi.StatusRunning {
			running--
		}
		mu.Unlock()
		if started {
			<-release
		}
	}
	holdUpdate.Store(&count)
	t.Cleanup(func() { holdUpdate.Store(nil) })
	var released sync.Once
	defer released.Do(func() { close(release) })
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do("POST", "/processes/countdown/execution", map[string]any{"inputs": map[string]any{"seconds": 0.2, "step": 0.05}})
			if r.status != 201 {
				t.Errorf("submit: %d %s", r.status, r.body)
				return
			}
			var st ogcapi.StatusInfo
			r.json(t, &st)
			ids[i] = st.JobID
		}()
	}
	wg.Wait()
	// At most MaxConcurrent run at once: the others wait in accepted.
	statuses := func() map[string]int {
		n := map[string]int{}
		for _, id := range ids {
			j, err := e.srv.lookupJob(id)
			if err != nil {
				t.Fatal(err)
			}
			n[j.snapshot().Status.Status]++
		}
		return n
	}
	waitfor.Until(t, &updated, "two jobs running, six queued", func() bool {
		n := statuses()
		if n[ogcapi.StatusRunning] > 2 {
			t.Fatalf("%d jobs running with MaxConcurrent 2", n[ogcapi.StatusRunning])
		}
		return n[ogcapi.StatusRunning] == 2 && n[ogcapi.StatusAccepted] == 6
	})
	released.Do(func() { close(release) })
	waitfor.Until(t, &updated, "every job to end", func() bool { return statuses()[ogcapi.StatusSuccessful] == len(ids) })
	mu.Lock()
	if most != 2 {
		t.Errorf("at most %d jobs ran at once with MaxConcurrent 2", most)
	}
	mu.Unlock()
	// Synchronous echoes run side by side with the rest.
	var wg2 sync.WaitGroup
	for i := range 10 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			r := e.do("POST", "/processes/echo/execution", map[string]any{"inputs": map[string]any{"stringInput": fmt.Sprint(i)}})
			if r.status != 200 || string(r.body) != fmt.Sprint(i) {
				t.Errorf("sync echo %d: %d %q", i, r.status, r.body)
			}
		}()
	}
	wg2.Wait()
}

func TestRestart(t *testing.T) {
	fs := afero.NewMemMapFs()
	e := newEnv(t, fs)
	// The countdown (0.6 s) is held at its first step past a quarter until Close stops
	// the server: on a busy machine it could otherwise end before Close, which would
	// leave nothing to resume.
	held := make(chan struct{})
	var once sync.Once
	hold := func(j *job) {
		if st := j.rec.Status; st.ProcessID == "countdown" && st.Status == ogcapi.StatusRunning && st.Progress != nil && *st.Progress >= 25 {
			once.Do(func() { close(held); <-e.srv.ctx.Done() })
		}
	}
	holdUpdate.Store(&hold)
	t.Cleanup(func() { holdUpdate.Store(nil) })
	cd := e.submit("countdown", map[string]any{"inputs": map[string]any{"seconds": 0.6, "step": 0.05}})
	slowEcho := e.submit("echo", map[string]any{"inputs": map[string]any{"stringInput": "x", "pause": 30}})
	done := e.submit("echo", map[string]any{"inputs": map[string]any{"stringInput": "kept"}})
	e.waitJob(done)
	waitfor.Chan(t, held, "the countdown past a quarter")
	before := e.status(cd)
	e.waitFor(slowEcho, func(st ogcapi.StatusInfo) bool { return st.Status == ogcapi.StatusRunning })
	e.close()

	// Close left the running jobs as they were on disk.
	var rec jobRecord
	if err := (&store{fs: fs, dir: "/data"}).readJSON("/data/jobs/"+cd+"/job.json", &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Status.Status != ogcapi.StatusRunning || len(rec.State) == 0 {
		t.Fatalf("persisted countdown %+v state %s", rec.Status, rec.State)
	}

	e2 := newEnv(t, fs)
	if st := e2.status(done); st.Status != ogcapi.StatusSuccessful {
		t.Errorf("finished job after restart: %+v", st)
	}
	r := e2.do("GET", "/jobs/"+done+"/results", nil)
	if r.status != 200 || string(r.body) != "kept" {
		t.Errorf("results after restart: %d %q", r.status, r.body)
	}
	st := e2.waitJob(slowEcho)
	if st.Status != ogcapi.StatusFailed || st.Message != msgInterrupted {
		t.Errorf("interrupted echo: %+v", st)
	}
	expectException(t, e2.do("GET", "/jobs/"+slowEcho+"/results", nil), 500, excJobFailed)
	st = e2.waitJob(cd)
	if st.Status != ogcapi.StatusSuccessful || st.Created == nil || !st.Created.Equal(*before.Created) {
		t.Fatalf("resumed countdown: %+v", st)
	}
	log := e2.do("GET", "/jobs/"+cd+"/log", nil)
	if !strings.Contains(string(log.body), "resuming after a restart") {
		t.Errorf("log: %s", log.body)
	}
	// It continued: fewer than all 12 steps ran after the restart.
	after := log.body[strings.Index(string(log.body), "resuming"):]
	if n := strings.Count(string(after), "s left"); n >= 12 || n == 0 {
		t.Errorf("%d steps after resuming", n)
	}
}

func TestCloseRefusesNewJobs(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	defer cancel()
	if err := e.srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/processes/echo/execution", map[string]any{})
	expectStatus(t, r, 503)
}

// TestJobListDoesNotWaitForWrites: the job list (and a job's status) is answered
// while a job's record is being written (its lock held), from the record last
// written; a thousand jobs persisting their progress do not hold a list up.
func TestJobListDoesNotWaitForWrites(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit("countdown", map[string]any{"inputs": map[string]any{"seconds": 600, "step": 0.5}})
	e.waitFor(id, func(st ogcapi.StatusInfo) bool { return st.Status == ogcapi.StatusRunning })
	e.srv.mu.RLock()
	j := e.srv.jobs[id]
	e.srv.mu.RUnlock()
	j.mu.Lock() // a write in progress
	defer j.mu.Unlock()
	answered := make(chan ogcapi.JobList, 1)
	go func() {
		var l ogcapi.JobList
		r := e.do("GET", "/jobs", nil)
		_ = json.Unmarshal(r.body, &l) // checked below
		answered <- l
	}()
	select {
	case l := <-answered:
		if len(l.Jobs) != 1 || l.Jobs[0].JobID != id || l.Jobs[0].Status != ogcapi.StatusRunning {
			t.Fatalf("job list %+v", l)
		}
	case <-time.After(waitfor.Guard):
		t.Fatal("the job list waits for a job's write")
	}
}
