// Package groupcommit lets many callers share one write, as a database shares one log
// flush among the transactions that commit together: a caller records its change in
// memory, then calls Do; a write that starts after the call covers the change, and
// callers that arrive while a write is under way are all served by the next one.
//
// It turns N rewrites of a document that grows with N (a folder's manifest, its local
// catalog, rewritten as each of N files completes) into as many writes as the writer
// can do while the files arrive, without making any caller report done before the
// write that covers it has finished.
//
// It is not a queue: it does not order or retry writes, and it keeps no data.
package groupcommit

import (
	"sync"
	"time"
)

// Group coalesces the calls of one write (one document). The zero value is ready to
// use; a Group must not be copied after first use.
type Group struct {
	// Pace, when above zero, spaces the writes of a document that grows: a write
	// starts no sooner than Pace times the last write's duration after that write
	// ended, and the callers that come meanwhile share it. Writes then take at most
	// 1/(1+Pace) of the time however fast callers come, and a caller waits for at
	// most about Pace+2 writes' time — unless it calls DoNow, being the last of a
	// burst: then nobody else is coming and the write starts at once.
	Pace float64
	// Gap, when above zero, is the least time between the end of a write and the start
	// of the next (with Pace, the longer of the two waits): a document that is costly to
	// write whatever its change (it lists and checks everything) is written a few times
	// while callers keep coming, and once more at once for the last of them (DoNow).
	Gap time.Duration

	mu        sync.Mutex
	busy      bool
	idle      chan struct{} // closed when the write under way ends
	next      *call         // the call the next write serves
	notBefore time.Time     // when the next write may start (Pace)
	hurry     chan struct{} // closed by DoNow to end the pause before a write
	hurried   bool
	// waited, in tests, is called when a caller starts to wait for a write; pause,
	// when set, replaces the wait for the pace to pass.
	waited func()
	pause  func(d time.Duration, hurry <-chan struct{})
}

type call struct {
	ran bool
	err error
	now bool // a caller of DoNow joined: no pause before the write
}

// Do returns once write has run, from start to end, after Do was called — by this
// caller or another one whose call coalesced with this one — and returns its error.
// write must write everything recorded before it starts. Writes never overlap.
func (g *Group) Do(write func() error) error { return g.do(write, false) }

// DoNow is Do for a caller that knows no other caller is coming: the write it waits
// for starts without waiting for the pace to pass.
func (g *Group) DoNow(write func() error) error { return g.do(write, true) }

func (g *Group) do(write func() error, now bool) error {
	g.mu.Lock()
	if g.next == nil {
		g.next = &call{}
	}
	c := g.next
	if now {
		c.now = true
		if g.hurry != nil && !g.hurried {
			close(g.hurry) // the write being held for the pace is this caller's
			g.hurried = true
		}
	}
	for g.busy {
		idle, waited := g.idle, g.waited
		g.mu.Unlock()
		if waited != nil {
			waited()
		}
		<-idle
		g.mu.Lock()
		if c.ran {
			err := c.err
			g.mu.Unlock()
			return err
		}
	}
	// This caller writes for every call that joined c so far and until write starts.
	g.busy, g.idle = true, make(chan struct{})
	if wait := time.Until(g.notBefore); wait > 0 && !c.now {
		g.hurry, g.hurried = make(chan struct{}), false
		hurry, pause := g.hurry, g.pause
		g.mu.Unlock()
		if pause == nil {
			pause = sleep
		}
		pause(wait, hurry) // callers keep joining c meanwhile
		g.mu.Lock()
		g.hurry = nil
	}
	g.next = nil
	g.mu.Unlock()
	start := time.Now()
	err := write()
	end := time.Now()
	g.mu.Lock()
	c.ran, c.err, g.busy = true, err, false
	g.notBefore = end.Add(max(time.Duration(g.Pace*float64(end.Sub(start))), g.Gap))
	close(g.idle)
	g.mu.Unlock()
	return err
}

// sleep waits d, or less when hurry is closed.
func sleep(d time.Duration, hurry <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-hurry:
	}
}

// Keyed is a Group per key (a folder, a job's folder). The zero value is ready to use.
type Keyed[K comparable] struct {
	// Pace and Gap are every group's (Group.Pace, Group.Gap).
	Pace float64
	Gap  time.Duration

	mu     sync.Mutex
	groups map[K]*Group
}

// Do is Group.Do for key's group.
func (k *Keyed[K]) Do(key K, write func() error) error { return k.group(key).Do(write) }

// DoNow is Group.DoNow for key's group.
func (k *Keyed[K]) DoNow(key K, write func() error) error { return k.group(key).DoNow(write) }

func (k *Keyed[K]) group(key K) *Group {
	k.mu.Lock()
	if k.groups == nil {
		k.groups = map[K]*Group{}
	}
	g, ok := k.groups[key]
	if !ok {
		g = &Group{Pace: k.Pace, Gap: k.Gap}
		k.groups[key] = g
	}
	k.mu.Unlock()
	return g
}
