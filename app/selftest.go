package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// SelfTestEnv names the environment variable that turns the desktop self-test on: its
// value is the path of the result file (JSON). Used by CI under Xvfb; see SelfTest.
const SelfTestEnv = "GEOJOBS_DESKTOP_SELFTEST"

// DOMReport is what the page reports of itself on the desktop topic.
type DOMReport struct {
	Path      string `json:"path"`
	Title     string `json:"title"`
	Ticks     int    `json:"ticks"`
	Transport string `json:"transport"`
	JobStatus string `json:"jobStatus"`
	Progress  int    `json:"progress"`
	Runtime   bool   `json:"runtime"`
	HTMX      bool   `json:"htmx"`
	// PageSockets are the readyStates of the page's own WebSockets (htmx's), routed to
	// the loopback listener (1: open).
	PageSockets []int `json:"pageSockets"`
	// Errors are the page's last script errors; WSConnect counts its ws-connect elements.
	Errors    []string `json:"errors,omitempty"`
	WSConnect int      `json:"wsConnect"`
	// WebGL is "ok" when the page drew a pixel with WebGL and read it back, else what failed.
	WebGL string `json:"webgl"`
}

// SelfTestResult is the result file's content.
type SelfTestResult struct {
	OK       bool        `json:"ok"`
	Error    string      `json:"error,omitempty"`
	JobID    string      `json:"jobId,omitempty"`
	Progress []int       `json:"progressSeen"`
	Statuses []string    `json:"statusesSeen"`
	Reports  int         `json:"reports"`
	Last     DOMReport   `json:"last"`
	Paths    []string    `json:"paths"`
	Elapsed  string      `json:"elapsed"`
	Checks   []CheckLine `json:"checks"`
}

// CheckLine is one assertion of the self-test.
type CheckLine struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
}

// SelfTest proves, in a real window, that the page is served through the AssetServer
// with its scripts, that it receives push messages over the loopback WebSocket (it
// answers each "tick" with a report of its DOM), and that a countdown job on the
// built-in endpoint visibly advances in the job page. It then writes the result file,
// holds the window for a screenshot, and quits.
type SelfTest struct {
	ResultPath string
	// Submit starts the countdown job and returns its id.
	Submit func(ctx context.Context) (string, error)
	Push   Transport
	// Quit closes the app (as File → Quit does).
	Quit func()
	// Hold is how long the window stays after the result is written (for a screenshot).
	Hold    time.Duration
	Timeout time.Duration
	Logger  *slog.Logger

	mu      sync.Mutex
	reports []DOMReport
	notify  chan struct{}
}

// OnMessage takes the page's reports (Channel.OnMessage).
func (s *SelfTest) OnMessage(m Message) {
	if m.Type != "dom" {
		return
	}
	var r DOMReport
	if json.Unmarshal(m.Data, &r) != nil {
		return
	}
	s.mu.Lock()
	s.reports = append(s.reports, r)
	ch := s.notify
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// wait ticks the page until cond holds for the reports or ctx ends.
func (s *SelfTest) wait(ctx context.Context, what string, cond func([]DOMReport) bool) error {
	t := time.NewTicker(400 * time.Millisecond)
	defer t.Stop()
	s.Push.Publish(Message{Type: "tick"})
	for {
		s.mu.Lock()
		ok := len(s.reports) > 0 && cond(s.reports)
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s", what)
		case <-t.C:
			// Ticks go out at a fixed pace; a report only wakes the check.
			s.Push.Publish(Message{Type: "tick"})
		case <-s.notify:
		}
	}
}

// Run drives the test; it returns the result (also written to ResultPath).
func (s *SelfTest) Run(ctx context.Context) SelfTestResult {
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	if s.Timeout == 0 {
		s.Timeout = 75 * time.Second
	}
	s.mu.Lock()
	s.notify = make(chan struct{}, 1)
	s.mu.Unlock()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	res := SelfTestResult{}
	check := func(name string, ok bool) bool {
		res.Checks = append(res.Checks, CheckLine{Name: name, OK: ok})
		log.Info("selftest check", "check", name, "ok", ok)
		return ok
	}
	err := func() error {
		if err := s.wait(ctx, "the page to connect to the push WebSocket", func(r []DOMReport) bool { return len(r) > 0 }); err != nil {
			return err
		}
		check("page connected to the loopback WebSocket and answered", true)
		if err := s.wait(ctx, "three push ticks", func(r []DOMReport) bool { return len(r) > 0 && r[len(r)-1].Ticks >= 3 }); err != nil {
			return err
		}
		check("page received push messages over the WebSocket", true)
		l := s.last()
		check("page served through the AssetServer has the Wails runtime and htmx", l.Runtime && l.HTMX)
		log.Info("selftest page state", "report", fmt.Sprintf("%+v", l))
		check("WebGL draws in the page (the COG previews' layer)", l.WebGL == "ok")
		// htmx opens the page's socket once it has processed the page, which may come after
		// the third tick on a busy machine (it did, once, under Wayland): wait for it.
		if err := s.wait(ctx, "the page's own WebSocket (htmx) to open", func(r []DOMReport) bool {
			return slices.Contains(r[len(r)-1].PageSockets, 1)
		}); err != nil {
			check("the page's own WebSocket (htmx) is open on the loopback listener", false)
			return err
		}
		check("the page's own WebSocket (htmx) is open on the loopback listener", true)
		id, err := s.Submit(ctx)
		if err != nil {
			return fmt.Errorf("submitting the countdown job: %w", err)
		}
		res.JobID = id
		path := "/jobs/" + id
		nav, _ := json.Marshal(path)
		s.Push.Publish(Message{Type: "navigate", Data: nav})
		err = s.wait(ctx, "the job page to show the job finished", func(r []DOMReport) bool {
			l := r[len(r)-1]
			if l.Path != path {
				// the navigation message may have reached a page that was being replaced
				if len(r)%8 == 0 {
					s.Push.Publish(Message{Type: "navigate", Data: nav})
				}
				return false
			}
			return ogcapi.Terminal(l.JobStatus)
		})
		s.mu.Lock()
		for _, r := range s.reports {
			if !slices.Contains(res.Paths, r.Path) {
				res.Paths = append(res.Paths, r.Path)
			}
			if r.Path != path {
				continue
			}
			if r.Progress >= 0 && !slices.Contains(res.Progress, r.Progress) {
				res.Progress = append(res.Progress, r.Progress)
			}
			if r.JobStatus != "" && !slices.Contains(res.Statuses, r.JobStatus) {
				res.Statuses = append(res.Statuses, r.JobStatus)
			}
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
		check("job page shown in the window", true)
		check("progress visibly advanced (two or more rising values before the end)", risingValues(res.Progress) >= 2)
		check("job ended successful", s.last().JobStatus == ogcapi.StatusSuccessful)
		return nil
	}()
	res.Last = s.last()
	s.mu.Lock()
	res.Reports = len(s.reports)
	s.mu.Unlock()
	res.Elapsed = time.Since(start).Round(time.Millisecond).String()
	res.OK = err == nil
	for _, c := range res.Checks {
		res.OK = res.OK && c.OK
	}
	if err != nil {
		res.Error = err.Error()
	} else if !res.OK {
		var failed []string
		for _, c := range res.Checks {
			if !c.OK {
				failed = append(failed, c.Name)
			}
		}
		res.Error = "failed: " + strings.Join(failed, "; ")
	}
	if werr := writeResult(s.ResultPath, res); werr != nil {
		log.Error("selftest: writing the result", "err", werr)
	}
	log.Info("selftest done", "ok", res.OK, "error", res.Error, "progress", res.Progress)
	if s.Hold > 0 {
		select {
		case <-time.After(s.Hold):
		case <-ctx.Done():
		}
	}
	if s.Quit != nil {
		s.Quit()
	}
	return res
}

func (s *SelfTest) last() DOMReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.reports) == 0 {
		return DOMReport{}
	}
	return s.reports[len(s.reports)-1]
}

// risingValues counts the values of a progress sequence below 100 that rise.
func risingValues(p []int) int {
	n, prev := 0, -1
	for _, v := range p {
		if v > prev && v < 100 {
			n++
		}
		prev = max(prev, v)
	}
	return n
}

func writeResult(path string, r SelfTestResult) error {
	if path == "" {
		return errors.New("no result path")
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
