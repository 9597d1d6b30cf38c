package jobspage

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// frames collects what Live publishes, by topic.
type frames struct {
	mu sync.Mutex
	by map[string][]string
}

func (f *frames) PublishBytes(topic, key string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.by[topic] = append(f.by[topic], string(data))
}

func (f *frames) count(topic string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.by[topic])
}

func (f *frames) last(topic string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.by[topic]) == 0 {
		return ""
	}
	return f.by[topic][len(f.by[topic])-1]
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitfor.Guard)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Live renders a changed job's row and page fragments and the running indicator, and
// pushes the notice of a job that ended (which jobs end is backend/application's call).
func TestLiveRenders(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &frames{by: map[string][]string{}}
	l := NewLive(st, pub, nil)
	go l.Run(ctx)

	j, err := st.CreateJob(ctx, store.NewJob{EndpointID: "local", ProcessID: "countdown", Status: ogcapi.StatusRunning, RemoteID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	l.OnChange(jobs.Change{JobID: j.ID, Status: ogcapi.StatusRunning})
	waitFor(t, "a row and the job's fragments", func() bool { return pub.count(TopicJobs) > 0 && pub.count(JobTopic(j.ID)) > 0 })
	waitFor(t, "the running indicator", func() bool { return strings.Contains(pub.last(TopicRunning), `data-running="1"`) })

	if _, err := st.RecordStatus(ctx, j.ID, ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful}, time.Now()); err != nil {
		t.Fatal(err)
	}
	l.OnChange(jobs.Change{JobID: j.ID, Status: ogcapi.StatusSuccessful})
	waitFor(t, "the job's end", func() bool { return strings.Contains(pub.last(JobTopic(j.ID)), `data-status="successful"`) })
	waitFor(t, "the indicator at 0", func() bool { return strings.Contains(pub.last(TopicRunning), `data-running="0"`) })
	if pub.count(TopicNotify) != 0 {
		t.Error("a notice without Notify")
	}
	j, _ = st.Job(ctx, j.ID)
	l.Notify(ctx, application.NotificationOf(j))
	if pub.count(TopicNotify) != 1 || !strings.Contains(pub.last(TopicNotify), "Job finished: countdown") {
		t.Errorf("notice %q", pub.last(TopicNotify))
	}
	j2, _ := st.CreateJob(ctx, store.NewJob{EndpointID: "local", ProcessID: "fail", Status: ogcapi.StatusRunning, RemoteID: "r2"})
	l.OnChange(jobs.Change{JobID: j2.ID, Status: ogcapi.StatusRunning})
	waitFor(t, "j2 running", func() bool { return pub.count(JobTopic(j2.ID)) > 0 })

	// Snapshots: a job's page, the indicator, and what changed since a time.
	if ms, err := l.Snapshot(ctx, JobTopic(j.ID)); err != nil || len(ms) != 1 || !strings.Contains(string(ms[0].Data), "job-timeline") {
		t.Errorf("job snapshot %v %v", ms, err)
	}
	if ms, _ := l.Snapshot(ctx, sinceTopic(time.Now().Add(-time.Minute))); len(ms) != 2 {
		t.Errorf("%d rows changed in the last minute", len(ms))
	}
	if ms, _ := l.Snapshot(ctx, JobTopic("nope")); len(ms) != 0 {
		t.Error("snapshot of a missing job")
	}
}

// BenchmarkLiveChange is the cost of one job change on the push path: read the job
// and its history, render the row and the page's fragments, hand them to the hub.
// Nothing polls per job or per page: this runs once per change the monitor reports.
func BenchmarkLiveChange(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "geojobs.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	j, _ := st.CreateJob(ctx, store.NewJob{EndpointID: "local", ProcessID: "countdown", Status: ogcapi.StatusRunning, RemoteID: "r1"})
	for i := range 20 {
		p := i * 5
		_, _ = st.RecordStatus(ctx, j.ID, ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: &p}, time.Now())
	}
	l := NewLive(st, &frames{by: map[string][]string{}}, nil)
	b.ReportAllocs()
	for b.Loop() {
		l.publishJob(ctx, j.ID)
	}
}
