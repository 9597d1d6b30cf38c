package oidctest

import (
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
