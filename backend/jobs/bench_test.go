package jobs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/gorilla/websocket"
	"github.com/spf13/afero"
)

const localepChildEnv = "GEOJOBS_JOBS_LOCALEP_CHILD"

// TestMain runs the built-in endpoint of BenchmarkMonitorCountdowns instead of the
// tests when the benchmark starts this test binary as its child process (so that the
// benchmark's CPU figures are the monitor's alone).
func TestMain(m *testing.M) {
	if dir := os.Getenv(localepChildEnv); dir != "" {
		serveLocalep(dir)
		return
	}
	os.Exit(m.Run())
}

// serveLocalep prints the built-in endpoint's URL and serves until standard input closes.
func serveLocalep(dir string) {
	ep, err := localep.New(localep.Options{DataDir: dir, Fs: afero.NewOsFs(), MaxConcurrent: 5000})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	fmt.Println("http://" + ln.Addr().String())
	go http.Serve(ln, ep.Handler())
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// countingTransport counts requests.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// BenchmarkMonitorCountdowns runs GEOJOBS_BENCH_JOBS (default 1,000) countdown jobs of
// GEOJOBS_BENCH_SECONDS (default 60) seconds at once on the built-in endpoint (in a
// child process) with the default monitor settings, every change published through
// the hub to a WebSocket client. It reports the monitor process's CPU use while the
// jobs run (% of one core), requests per job per minute, and the latency from the
// server's change (its "updated" time) to the frame's arrival, for status transitions
// and for all changes (p50, p99), and for each transition (running-p99-ms,
// successful-p99-ms). The jobs all end within burst-s seconds (the time their
// submission took): the burst the monitor must keep up with. Run with -benchtime=1x.
//
// With GEOJOBS_BENCH_CPUPROFILE set to a file name, it writes the CPU profile of the
// measured window (the jobs running, not their submission) to that file. The monitor
// runs in this process; the endpoint runs in the child, so the profile is the monitor's
// (and the hub's and the benchmark's WebSocket reader's, as the CPU figure is).
func BenchmarkMonitorCountdowns(b *testing.B) {
	n, seconds := 1000, 60
	if v, err := strconv.Atoi(os.Getenv("GEOJOBS_BENCH_JOBS")); err == nil && v > 0 {
		n = v
	}
	if v, err := strconv.Atoi(os.Getenv("GEOJOBS_BENCH_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	for i := 0; i < b.N; i++ {
		benchOnce(b, n, seconds)
	}
}

func benchOnce(b *testing.B, n, seconds int) {
	b.StopTimer()
	exe, _ := os.Executable()
	child := exec.Command(exe, "-test.run=^$", "-test.bench=^$")
	child.Env = append(os.Environ(), localepChildEnv+"="+b.TempDir())
	stdin, _ := child.StdinPipe()
	out, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); child.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http") {
		b.Fatalf("local endpoint: %q %v", line, err)
	}
	epURL := strings.TrimSpace(line)

	st, err := store.Open(filepath.Join(b.TempDir(), "geojobs.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	counter := &countingTransport{next: &http.Transport{MaxIdleConnsPerHost: 16}}
	client, _ := ogcapi.New(epURL, ogcapi.WithRetry(0), ogcapi.WithHTTPClient(&http.Client{Transport: counter}))

	h, _ := hub.New(hub.Config{CheckOrigin: func(*http.Request) bool { return true }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	hs := httptest.NewServer(h)
	defer hs.Close()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(hs.URL, "http")+"/?topic=jobs", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	var mu sync.Mutex
	var statusLat, allLat []time.Duration
	transLat := map[string][]time.Duration{} // by new status
	lastStatus := map[string]string{}
	var firstEnd, lastEnd time.Time // the server's end times: the burst
	allEnded := make(chan struct{}) // every job's end has arrived as a frame
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			now := time.Now()
			f := strings.Split(string(data), "|") // id|status|updated-unix-nano
			if len(f) != 3 {
				continue
			}
			ns, _ := strconv.ParseInt(f[2], 10, 64)
			mu.Lock()
			if ns > 0 {
				lat := now.Sub(time.Unix(0, ns))
				allLat = append(allLat, lat)
				if lastStatus[f[0]] != f[1] && lastStatus[f[0]] != "" {
					statusLat = append(statusLat, lat)
					transLat[f[1]] = append(transLat[f[1]], lat)
					if f[1] == ogcapi.StatusSuccessful {
						end := time.Unix(0, ns)
						if firstEnd.IsZero() || end.Before(firstEnd) {
							firstEnd = end
						}
						if end.After(lastEnd) {
							lastEnd = end
						}
						if len(transLat[f[1]]) == n {
							close(allEnded)
						}
					}
				}
			}
			lastStatus[f[0]] = f[1]
			mu.Unlock()
		}
	}()

	var finished atomic.Int64
	allFinished := make(chan struct{}) // every job's results are stored
	m, err := New(Config{Store: st, ClientFor: func(context.Context, string) (Remote, error) { return client, nil },
		OnChange: func(c Change) {
			var ns int64
			if !c.ServerUpdated.IsZero() {
				ns = c.ServerUpdated.UnixNano()
			}
			h.Publish("jobs", c.JobID, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "%s|%s|%d", c.JobID, c.Status, ns)
				return err
			})
			if c.Results && finished.Add(1) == int64(n) {
				close(allFinished)
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	go m.Run(ctx)

	proc, err := client.Process(ctx, "countdown")
	if err != nil {
		b.Fatal(err)
	}
	req := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"seconds": json.RawMessage(strconv.Itoa(seconds)), "step": json.RawMessage(`1`)}}
	submitStart := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				if _, err := m.Submit(ctx, Submission{EndpointID: store.LocalEndpoint, ProcessID: "countdown", Process: proc, Request: req}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	submitTook := time.Since(submitStart)

	stopProfile := startCPUProfile(b)
	b.StartTimer()
	t0, cpu0, req0 := time.Now(), cpuTime(), counter.n.Load()
	select {
	case <-allFinished:
	case <-time.After(time.Duration(seconds)*time.Second + 3*time.Minute):
	}
	wall, cpu, reqs := time.Since(t0), cpuTime()-cpu0, counter.n.Load()-req0
	b.StopTimer()
	stopProfile()
	select { // the last frames
	case <-allEnded:
	case <-time.After(10 * time.Second):
	}

	// Every job must have ended successfully with every status recorded.
	lost := 0
	page := store.Filter{Limit: 500}
	for {
		p, err := st.ListJobs(ctx, page)
		if err != nil {
			b.Fatal(err)
		}
		for _, j := range p.Jobs {
			evs, _ := st.Events(ctx, j.ID)
			seen := map[string]bool{}
			for _, e := range evs {
				seen[e.Status] = true
			}
			// (accepted may never be seen: the endpoint may start the job before it answers the POST)
			if j.Status != ogcapi.StatusSuccessful || j.ResultsAt.IsZero() || !seen[ogcapi.StatusRunning] || !seen[ogcapi.StatusSuccessful] {
				if lost == 0 {
					b.Logf("job %s: %s, results at %v, events %+v", j.ID, j.Status, j.ResultsAt, evs)
				}
				lost++
			}
		}
		if p.Next == "" {
			break
		}
		page.Cursor = p.Next
	}
	mu.Lock()
	defer mu.Unlock()
	cpuPct := 100 * cpu.Seconds() / wall.Seconds()
	rpm := float64(reqs) / float64(n) / wall.Minutes()
	b.ReportMetric(cpuPct, "%cpu")
	b.ReportMetric(rpm, "req/job/min")
	b.ReportMetric(float64(percentile(statusLat, 0.5).Milliseconds()), "status-p50-ms")
	b.ReportMetric(float64(percentile(statusLat, 0.99).Milliseconds()), "status-p99-ms")
	b.ReportMetric(float64(percentile(allLat, 0.5).Milliseconds()), "all-p50-ms")
	b.ReportMetric(float64(percentile(allLat, 0.99).Milliseconds()), "all-p99-ms")
	b.ReportMetric(float64(lost), "jobs-with-lost-transitions")
	b.ReportMetric(lastEnd.Sub(firstEnd).Seconds(), "burst-s") // all jobs ended within
	for _, st := range []string{ogcapi.StatusRunning, ogcapi.StatusSuccessful} {
		d := transLat[st]
		b.ReportMetric(float64(percentile(d, 0.99).Milliseconds()), st+"-p99-ms")
		b.Logf("→%s: %d transitions, latency p50 %s, p99 %s", st, len(d), percentile(d, 0.5).Round(time.Millisecond), percentile(d, 0.99).Round(time.Millisecond))
	}
	b.Logf("%d jobs × %d s: submitted in %s; tracked for %s; %d requests; %d finished; %d status frames, %d frames",
		n, seconds, submitTook.Round(time.Millisecond), wall.Round(time.Millisecond), reqs, finished.Load(), len(statusLat), len(allLat))
}

// startCPUProfile starts writing a CPU profile to the file GEOJOBS_BENCH_CPUPROFILE
// names, if it is set, and returns the function that stops it.
func startCPUProfile(b *testing.B) (stop func()) {
	name := os.Getenv("GEOJOBS_BENCH_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}
