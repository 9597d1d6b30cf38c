package groupcommit

import (
	"sync"
	"testing"
	"time"
)

// Items that come while a write is under way go into the next write, together; every
// item is written once, and writes never overlap.
func TestBatcherBatchesWhileWriting(t *testing.T) {
	const n = 50
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	inFlight := 0
	b := &Batcher[int]{}
	b.Write = func(batch []int) {
		mu.Lock()
		inFlight++
		if inFlight > 1 {
			t.Error("writes overlap")
		}
		first := len(batches) == 0
		batches = append(batches, batch)
		mu.Unlock()
		if first {
			close(started)
			<-release
		}
		mu.Lock()
		inFlight--
		mu.Unlock()
	}
	b.Add(0, false)
	<-started
	for i := 1; i < n; i++ {
		b.Add(i, false) // never waits, though the first write is held
	}
	close(release)
	b.Flush()
	mu.Lock()
	defer mu.Unlock()
	if len(batches) != 2 || len(batches[0]) != 1 || len(batches[1]) != n-1 {
		t.Fatalf("batches %v, want [0] then the %d others together", batches, n-1)
	}
	for i, v := range batches[1] {
		if v != i+1 {
			t.Fatalf("second batch %v: not in the order added", batches[1])
		}
	}
}

// After a write, the next waits for the gap; an item added with now ends the wait.
func TestBatcherGapAndNow(t *testing.T) {
	written := make(chan []int, 4)
	b := &Batcher[int]{Gap: time.Hour, Write: func(batch []int) { written <- batch }}
	paused := make(chan time.Duration, 1)
	b.pause = func(d time.Duration, wake <-chan struct{}) {
		paused <- d
		<-wake
	}
	b.Add(1, false)
	if got := <-written; len(got) != 1 {
		t.Fatalf("first batch %v", got)
	}
	b.Add(2, false) // waits for the gap
	if d := <-paused; d < 59*time.Minute {
		t.Errorf("paused %v, want the gap", d)
	}
	select {
	case got := <-written:
		t.Fatalf("%v written before the gap passed", got)
	default:
	}
	b.Add(3, true) // the last item: no more waiting
	if got := <-written; len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("batch %v, want [2 3]", got)
	}
	b.Flush()
}

// Flush writes what waits for the gap at once and returns when it is written.
func TestBatcherFlush(t *testing.T) {
	var got []int
	b := &Batcher[int]{Gap: time.Hour, Write: func(batch []int) { got = append(got, batch...) }}
	b.pause = func(_ time.Duration, wake <-chan struct{}) { <-wake }
	b.Add(1, false)
	b.Flush()
	b.Add(2, false)
	b.Add(3, false)
	b.Flush()
	if len(got) != 3 {
		t.Fatalf("written %v, want all three", got)
	}
	b.Flush() // nothing queued: returns at once
}

func TestBatchersKeysAreIndependent(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]int{}
	var k Batchers[string, int]
	k.Write = func(key string, batch []int) {
		mu.Lock()
		got[key] = append(got[key], batch...)
		mu.Unlock()
	}
	k.Add("a", 1, false)
	k.Add("b", 2, true)
	k.Add("a", 3, true)
	k.Flush()
	if len(got["a"]) != 2 || len(got["b"]) != 1 {
		t.Fatalf("%v", got)
	}
}
