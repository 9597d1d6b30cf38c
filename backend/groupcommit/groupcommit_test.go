package groupcommit

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Callers that arrive while a write is under way share the next write, and each
// returns only after a write that covers what it recorded.
func TestCallsDuringAWriteShareTheNext(t *testing.T) {
	const n = 50
	var g Group
	var (
		mu       sync.Mutex
		recorded = map[int]bool{}
		written  = map[int]bool{}
	)
	waiting := make(chan struct{}, n)
	g.waited = func() { waiting <- struct{}{} }
	var writes, inFlight atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	write := func() error {
		if inFlight.Add(1) != 1 {
			t.Error("writes overlap")
		}
		defer inFlight.Add(-1)
		if writes.Add(1) == 1 {
			close(started)
			<-release // the first write holds on until every other caller waits
		}
		mu.Lock()
		for k := range recorded {
			written[k] = true
		}
		mu.Unlock()
		return nil
	}
	do := func(i int) {
		mu.Lock()
		recorded[i] = true
		mu.Unlock()
		if err := g.Do(write); err != nil {
			t.Error(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !written[i] {
			t.Errorf("caller %d returned before its change was written", i)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { do(0) })
	<-started
	for i := 1; i < n; i++ {
		wg.Go(func() { do(i) })
	}
	for range n - 1 {
		<-waiting
	}
	close(release)
	wg.Wait()
	// The n-1 callers that waited for the first write share the second.
	if w := writes.Load(); w != 2 {
		t.Errorf("%d writes for %d callers, want 2", w, n)
	}
}

// The callers a failed write served all get its error; the next write runs anew.
func TestErrorGoesToTheCallersServed(t *testing.T) {
	var g Group
	boom := errors.New("disk full")
	if err := g.Do(func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Do = %v", err)
	}
	if err := g.Do(func() error { return nil }); err != nil {
		t.Fatalf("the next write: %v", err)
	}
}

func TestKeyedGroupsAreIndependent(t *testing.T) {
	var k Keyed[string]
	var a, b int
	k.Do("a", func() error { a++; return nil })
	k.Do("b", func() error { b++; return nil })
	k.Do("a", func() error { a++; return nil })
	if a != 2 || b != 1 {
		t.Fatalf("a %d b %d", a, b)
	}
}

// With Pace, a write waits its turn, and the callers that come meanwhile share it.
func TestPaceSpacesWrites(t *testing.T) {
	const n = 20
	g := Group{Pace: 4}
	g.notBefore = time.Now().Add(time.Hour) // as after a long write
	sleeping, wake := make(chan time.Duration), make(chan struct{})
	g.pause = func(d time.Duration, _ <-chan struct{}) { sleeping <- d; <-wake }
	waiting := make(chan struct{}, n)
	g.waited = func() { waiting <- struct{}{} }
	var writes atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { g.Do(func() error { writes.Add(1); return nil }) })
	}
	if d := <-sleeping; d < 59*time.Minute {
		t.Errorf("slept %v, want until the next write may start", d)
	}
	for range n - 1 {
		<-waiting
	}
	close(wake)
	wg.Wait()
	if w := writes.Load(); w != 1 {
		t.Errorf("%d writes for %d callers, want 1", w, n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.notBefore.After(time.Now().Add(-time.Minute)) {
		t.Errorf("the next write is not paced: %v", g.notBefore)
	}
}

// The last caller of a burst does not wait for the pace: the write starts at once.
func TestDoNowEndsThePause(t *testing.T) {
	g := Group{Pace: 4}
	g.notBefore = time.Now().Add(time.Hour)
	paused := make(chan struct{})
	g.pause = func(_ time.Duration, hurry <-chan struct{}) { close(paused); <-hurry }
	var writes atomic.Int32
	write := func() error { writes.Add(1); return nil }
	done := make(chan struct{})
	go func() { g.Do(write); close(done) }()
	<-paused
	if err := g.DoNow(write); err != nil {
		t.Fatal(err)
	}
	<-done
	if w := writes.Load(); w != 1 {
		t.Errorf("%d writes, want 1 shared by both callers", w)
	}
	// Without a pause under way, DoNow writes at once though the pace has not passed.
	g.notBefore = time.Now().Add(time.Hour)
	g.pause = func(time.Duration, <-chan struct{}) { t.Error("DoNow waited for the pace") }
	g.DoNow(write)
	if w := writes.Load(); w != 2 {
		t.Errorf("%d writes, want 2", w)
	}
}

// With Gap, the next write waits at least that long after the last one ended, however
// short the write was.
func TestGapSpacesWrites(t *testing.T) {
	g := Group{Gap: time.Hour}
	slept := make(chan time.Duration, 1)
	g.pause = func(d time.Duration, _ <-chan struct{}) { slept <- d }
	var writes atomic.Int32
	write := func() error { writes.Add(1); return nil }
	g.Do(write) // the first write starts at once
	select {
	case d := <-slept:
		t.Fatalf("the first write waited %v", d)
	default:
	}
	g.Do(write)
	if d := <-slept; d < 59*time.Minute {
		t.Errorf("the second write waited %v, want about the gap", d)
	}
	if w := writes.Load(); w != 2 {
		t.Errorf("%d writes, want 2", w)
	}
	// The last caller of a burst does not wait for the gap.
	g.DoNow(write)
	select {
	case d := <-slept:
		t.Errorf("DoNow waited %v", d)
	default:
	}
}
