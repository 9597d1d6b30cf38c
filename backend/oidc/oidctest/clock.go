package oidctest

import (
	"net/http"
	"strings"
	"sync"
	"time"
)

// Clock is a clock the test moves: it stands still until Advance. Given to the
// provider (Options.Now), its gateways and the oidc.Manager (Config.Now), it
// decides when tokens end, so a token lives as long as the test says and not as
// long as a loaded machine takes to send a request.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to this computer's time.
func NewClock() *Clock { return &Clock{t: time.Now()} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Hold makes a test see a job end only after its token ended: the requests
// for jobs (paths under /jobs) that next serves wait until End, which advances
// the clock by ttl (a token lifetime). A test that needs its token to end while
// a job runs ends it after submitting, without the job ending first however
// slow the machine; it calls End at cleanup too (before closing the server),
// so no request waits for a test that failed.
type Hold struct {
	clock *Clock
	ttl   time.Duration
	once  sync.Once
	ended chan struct{}
}

// NewHold returns a Hold that advances c by ttl.
func (c *Clock) NewHold(ttl time.Duration) *Hold {
	return &Hold{clock: c, ttl: ttl, ended: make(chan struct{})}
}

// End advances the clock by the token lifetime and lets the held requests go,
// once.
func (h *Hold) End() {
	h.once.Do(func() {
		h.clock.Advance(h.ttl)
		close(h.ended)
	})
}

// Handler is next with the requests for jobs held until End.
func (h *Hold) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/jobs") {
			<-h.ended
		}
		next.ServeHTTP(w, r)
	})
}
