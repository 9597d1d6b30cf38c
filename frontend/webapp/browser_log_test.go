package webapp

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// consoleLog is what the page said and did. Uncaught exceptions and
// Content-Security-Policy violations fail the test (check); the last console lines and
// network requests are kept for the report of a failed step (report).
type consoleLog struct {
	mu   sync.Mutex
	errs []string
	// lines are the last console lines and browser log entries.
	lines []string
	// reqs are the requests by id and in the order sent (the last few kept).
	reqs  map[network.RequestID]*request
	order []*request
}

// Kept for a failed step's report.
const (
	keptLines    = 20
	keptRequests = 60
)

// request is one request of the page, or a WebSocket.
type request struct {
	method, url string
	sent, ended time.Time
	status      int64
	failed      string
	ws          bool
	frames      int // WebSocket frames received
	lastFrame   time.Time
}

func (c *consoleLog) listen(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		c.errs = append(c.errs, "exception: "+msg)
		c.lineLocked(now, "exception: "+msg)
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range e.Args {
			switch {
			case a.Value != nil:
				args = append(args, string(a.Value))
			case a.Description != "":
				args = append(args, a.Description)
			default:
				args = append(args, string(a.Type))
			}
		}
		c.lineLocked(now, "console."+string(e.Type)+": "+strings.Join(args, " "))
	case *log.EventEntryAdded:
		if strings.Contains(e.Entry.Text, "Content Security Policy") && !strings.Contains(e.Entry.Text, "connect-src") {
			c.errs = append(c.errs, "CSP: "+e.Entry.Text)
		}
		c.lineLocked(now, string(e.Entry.Level)+": "+e.Entry.Text+" "+shortURL(e.Entry.URL))
	case *network.EventRequestWillBeSent:
		if r := c.reqs[e.RequestID]; r != nil && e.RedirectResponse != nil {
			r.status, r.ended = e.RedirectResponse.Status, now // a redirect: its next hop is a request of its own
		}
		c.addLocked(e.RequestID, &request{method: e.Request.Method, url: e.Request.URL, sent: now})
	case *network.EventResponseReceived:
		if r := c.reqs[e.RequestID]; r != nil {
			r.status = e.Response.Status
		}
	case *network.EventLoadingFinished:
		if r := c.reqs[e.RequestID]; r != nil {
			r.ended = now
		}
	case *network.EventLoadingFailed:
		if r := c.reqs[e.RequestID]; r != nil {
			r.ended, r.failed = now, e.ErrorText
		}
	case *network.EventWebSocketCreated:
		c.addLocked(e.RequestID, &request{method: "WS", url: e.URL, sent: now, ws: true})
	case *network.EventWebSocketFrameReceived:
		if r := c.reqs[e.RequestID]; r != nil {
			r.frames++
			r.lastFrame = now
		}
	case *network.EventWebSocketClosed:
		if r := c.reqs[e.RequestID]; r != nil {
			r.ended = now
		}
	}
}

func (c *consoleLog) lineLocked(at time.Time, s string) {
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	c.lines = append(c.lines, at.Format("15:04:05.000 ")+s)
	if len(c.lines) > keptLines {
		c.lines = c.lines[len(c.lines)-keptLines:]
	}
}

func (c *consoleLog) addLocked(id network.RequestID, r *request) {
	if c.reqs == nil {
		c.reqs = map[network.RequestID]*request{}
	}
	c.reqs[id] = r
	c.order = append(c.order, r)
	// Forget the oldest finished requests; unfinished ones and WebSockets stay, they
	// may be what a step waits for.
	for len(c.order) > keptRequests {
		i := 0
		for i < len(c.order) && (c.order[i].ended.IsZero() || c.order[i].ws) {
			i++
		}
		if i == len(c.order) {
			break
		}
		for k, v := range c.reqs {
			if v == c.order[i] {
				delete(c.reqs, k)
			}
		}
		c.order = append(c.order[:i], c.order[i+1:]...)
	}
}

func (c *consoleLog) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.errs {
		t.Errorf("browser console: %s", e)
	}
}

// String is the console's errors (a test prints the log with %v).
func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.errs, "\n")
}

// report is the page's network requests (the pending ones say for how long) and its
// last console lines, for a failed step.
func (c *consoleLog) report(now time.Time) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	var shown []*request
	for _, r := range c.order {
		// Static files and data: URLs that loaded are noise in a report.
		if !r.ended.IsZero() && r.failed == "" && r.status < 400 && !r.ws &&
			(strings.HasPrefix(shortURL(r.url), "/static/") || strings.HasPrefix(r.url, "data:")) {
			continue
		}
		shown = append(shown, r)
	}
	fmt.Fprintf(&b, "network (the last %d requests but static files loaded; time sent):\n", len(shown))
	for _, r := range shown {
		fmt.Fprintf(&b, "  %s %s %s → ", r.sent.Format("15:04:05.000"), r.method, shortURL(r.url))
		switch {
		case r.ws && r.ended.IsZero():
			fmt.Fprintf(&b, "open, %d frames in", r.frames)
			if r.frames > 0 {
				fmt.Fprintf(&b, ", the last %s ago", now.Sub(r.lastFrame).Round(time.Millisecond))
			}
		case r.ws:
			fmt.Fprintf(&b, "closed after %s, %d frames in", r.ended.Sub(r.sent).Round(time.Millisecond), r.frames)
		case r.failed != "":
			fmt.Fprintf(&b, "failed after %s: %s", r.ended.Sub(r.sent).Round(time.Millisecond), r.failed)
		case r.ended.IsZero() && r.status == 0:
			fmt.Fprintf(&b, "NO ANSWER for %s", now.Sub(r.sent).Round(time.Millisecond))
		case r.ended.IsZero():
			fmt.Fprintf(&b, "%d, body not finished for %s", r.status, now.Sub(r.sent).Round(time.Millisecond))
		default:
			fmt.Fprintf(&b, "%d in %s", r.status, r.ended.Sub(r.sent).Round(time.Millisecond))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "console (last %d lines):\n", len(c.lines))
	for _, l := range c.lines {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// shortURL drops the scheme and host of the test server's URLs, data: contents and
// the launch token.
func shortURL(s string) string {
	if strings.HasPrefix(s, "data:") {
		return s[:min(len(s), 30)] + "…"
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	if q := u.Query(); q.Has("token") { // the launch token: not for a log
		q.Set("token", "redacted")
		u.RawQuery = q.Encode()
	}
	if strings.HasPrefix(u.Host, "127.0.0.1:") || strings.HasPrefix(u.Host, "localhost:") {
		u.Scheme, u.Host = "", ""
		if u.RawQuery != "" {
			return u.Path + "?" + u.RawQuery
		}
		return u.Path
	}
	return s
}
