package localeptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/localep"
)

// InFlight counts, in front of the built-in endpoint, the jobs a client has created and
// not yet seen end: a job is in flight from its execute request until a status answer
// the client reads says it is finished (the client's own view of its jobs).
type InFlight struct {
	mu      sync.Mutex
	open    map[string]bool
	max     int
	created int
}

var jobPath = regexp.MustCompile(`/jobs/([^/?]+)$`)

// Max is the most jobs that were in flight at once; Created how many were created.
func (c *InFlight) Max() (max, created int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.max, c.created
}

// StartCounted starts the built-in endpoint (as Start) behind a proxy that counts jobs
// in flight. Clients must use the returned server's URL.
func StartCounted(t testing.TB, opts localep.Options) (*httptest.Server, *InFlight) {
	t.Helper()
	ep := Start(t, opts)
	target, _ := url.Parse(ep.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	c := &InFlight{open: map[string]bool{}}
	proxy.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/execution") && resp.StatusCode == http.StatusCreated:
			id := jobPath.FindStringSubmatch(resp.Header.Get("Location"))
			if id == nil {
				return fmt.Errorf("no job in Location %q", resp.Header.Get("Location"))
			}
			c.mu.Lock()
			c.open[id[1]] = true
			c.created++
			c.max = max(c.max, len(c.open))
			c.mu.Unlock()
		case r.Method == http.MethodGet && jobPath.MatchString(r.URL.Path):
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			resp.Body = io.NopCloser(strings.NewReader(string(b)))
			var st struct{ Status string }
			if json.Unmarshal(b, &st) == nil && (st.Status == "successful" || st.Status == "failed" || st.Status == "dismissed") {
				c.mu.Lock()
				delete(c.open, jobPath.FindStringSubmatch(r.URL.Path)[1])
				c.mu.Unlock()
			}
		}
		return nil
	}
	ts := httptest.NewServer(proxy)
	t.Cleanup(ts.Close)
	return ts, c
}
