// Package waitfor lets tests wait on a signal instead of sleeping: the code that changes
// what a test waits for fires a Pulse, and the test checks its condition again on each
// pulse. The only time limit is Guard, which keeps a broken test from hanging; no machine
// is so busy that a change that does happen takes that long.
package waitfor

import (
	"sync"
	"testing"
	"time"
)

// Guard is how long a test waits for something that must happen before it gives up.
const Guard = 10 * time.Minute

// Pulse is a broadcast "something changed" signal. The zero Pulse is ready to use.
type Pulse struct {
	mu sync.Mutex
	ch chan struct{}
}

// C returns a channel closed by the next Fire. Take it before checking the state the
// pulse tells about, so a change made after the check is not missed.
func (p *Pulse) C() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch == nil {
		p.ch = make(chan struct{})
	}
	return p.ch
}

// Fire wakes everyone waiting on C. Call it after the change is made.
func (p *Pulse) Fire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ch != nil {
		close(p.ch)
		p.ch = nil
	}
}

// Until waits until cond holds, checking it once now and again after each pulse of p.
// It fails t (Fatalf, naming what) when cond does not hold within Guard.
func Until(t testing.TB, p *Pulse, what string, cond func() bool) {
	t.Helper()
	if !UntilOK(p, cond) {
		t.Fatalf("after %s still waiting for %s", Guard, what)
	}
}

// UntilOK is Until for callers that report the failure themselves (or from a goroutine
// other than the test's); it reports whether cond held within Guard.
func UntilOK(p *Pulse, cond func() bool) bool {
	guard := time.NewTimer(Guard)
	defer guard.Stop()
	for {
		ch := p.C()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-guard.C:
			return cond()
		}
	}
}

// Chan waits for a value from ch and returns it; it fails t when none comes within Guard.
func Chan[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	guard := time.NewTimer(Guard)
	defer guard.Stop()
	select {
	case v := <-ch:
		return v
	case <-guard.C:
		t.Fatalf("after %s still waiting for %s", Guard, what)
		var zero T
		return zero
	}
}

// Poll waits until cond holds, checking it every few milliseconds; it fails t when cond
// does not hold within Guard. Use it only for state that nothing in the test's process
// signals: a file another process writes, another process ending, a port another process
// opens. Everything else waits on a Pulse or a channel.
func Poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !PollOK(cond) {
		t.Fatalf("after %s still waiting for %s", Guard, what)
	}
}

// PollOK is Poll for callers that report the failure themselves.
func PollOK(cond func() bool) bool {
	deadline := time.Now().Add(Guard)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}
