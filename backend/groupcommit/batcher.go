package groupcommit

import (
	"sync"
	"time"
)

// Batcher collects items and hands them to Write in batches, one write at a time, from
// a goroutine of its own that lives only while there are items: the first item is
// written at once, the items that come while a write is under way (or while the next
// one waits for Pace or Gap) go into the next write together. Add never waits for a
// write: callers do not each keep a goroutine (and its stack) waiting for theirs.
//
// The zero value, with Write set, is ready to use; a Batcher must not be copied after
// first use.
type Batcher[T any] struct {
	// Write writes a batch; it is called with one batch at a time.
	Write func(batch []T)
	// Pace and Gap space the writes of a document that grows or costs much to write: the
	// next write starts no sooner than the longer of Pace times the last write's
	// duration and Gap after the last write ended, unless an item came with now (the
	// last of a burst) or Flush is waiting. With Pace, writes take at most 1/(1+Pace) of
	// the time however fast items come.
	Pace float64
	Gap  time.Duration

	mu        sync.Mutex
	pending   []T
	running   bool
	now       bool          // the next write starts without waiting for the pace
	wake      chan struct{} // cuts a pause short, capacity 1
	idle      chan struct{} // closed when the goroutine ends
	notBefore time.Time
	// pause, in tests, replaces the wait for the pace to pass.
	pause func(d time.Duration, wake <-chan struct{})
}

// Add queues v for the next write. now says no other item is coming soon (the last
// file of a burst): the write starts without waiting for the pace.
func (b *Batcher[T]) Add(v T, now bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, v)
	if now {
		b.hurryLocked()
	}
	if !b.running {
		b.running, b.idle = true, make(chan struct{})
		go b.loop()
	}
}

func (b *Batcher[T]) hurryLocked() {
	b.now = true
	if b.wake == nil {
		b.wake = make(chan struct{}, 1)
	}
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Flush writes what is queued without waiting for the pace, and returns once nothing
// is queued or being written.
func (b *Batcher[T]) Flush() {
	b.mu.Lock()
	if !b.running {
		b.mu.Unlock()
		return
	}
	b.hurryLocked()
	idle := b.idle
	b.mu.Unlock()
	<-idle
}

func (b *Batcher[T]) loop() {
	for {
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.running = false
			close(b.idle)
			b.mu.Unlock()
			return
		}
		if wait := time.Until(b.notBefore); wait > 0 && !b.now {
			if b.wake == nil {
				b.wake = make(chan struct{}, 1)
			}
			wake, pause := b.wake, b.pause
			b.mu.Unlock()
			if pause == nil {
				pause = sleep
			}
			pause(wait, wake) // items keep coming meanwhile
			continue
		}
		batch := b.pending
		b.pending, b.now = nil, false
		b.mu.Unlock()
		start := time.Now()
		b.Write(batch)
		end := time.Now()
		b.mu.Lock()
		b.notBefore = end.Add(max(time.Duration(b.Pace*float64(end.Sub(start))), b.Gap))
		b.mu.Unlock()
	}
}

// Batchers is a Batcher per key (a folder). The zero value, with Write set, is ready to use.
type Batchers[K comparable, T any] struct {
	// Write writes a batch of key's items.
	Write func(key K, batch []T)
	// Pace and Gap are every batcher's.
	Pace float64
	Gap  time.Duration

	mu sync.Mutex
	m  map[K]*Batcher[T]
}

// Add is Batcher.Add for key's batcher.
func (k *Batchers[K, T]) Add(key K, v T, now bool) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[K]*Batcher[T]{}
	}
	b, ok := k.m[key]
	if !ok {
		b = &Batcher[T]{Write: func(batch []T) { k.Write(key, batch) }, Pace: k.Pace, Gap: k.Gap}
		k.m[key] = b
	}
	k.mu.Unlock()
	b.Add(v, now)
}

// Flush is Batcher.Flush for every key.
func (k *Batchers[K, T]) Flush() {
	k.mu.Lock()
	all := make([]*Batcher[T], 0, len(k.m))
	for _, b := range k.m {
		all = append(all, b)
	}
	k.mu.Unlock()
	for _, b := range all {
		b.Flush()
	}
}
