package transfer

import (
	"sync"
	"sync/atomic"
)

// segment is a byte range one connection is fetching: [cur, end). end < 0 means "to
// the end of an object of unknown size". A segment's end may shrink when an idle
// connection steals its tail.
type segment struct{ cur, end int64 }

// plan hands out the missing byte ranges of one file to its connections and records
// what has been written.
type plan struct {
	mu       sync.Mutex
	size     int64 // -1 until known
	pending  []span
	active   []*segment
	done     rangeSet
	gen      int   // bumped when the data is thrown away (start over)
	minSteal int64 // smallest tail worth a new request
	guard    int64 // bytes an owner may hold in its buffer beyond cur
	dirty    bool
	etag     string // ETag to insist on (If-Match), empty if none
	ranges   bool   // the source serves byte ranges, so a broken stream can resume

	written *atomic.Int64 // bytes in done, for progress
	notify  chan struct{} // wakes the hasher, capacity 1
}

func newPlan(size int64, done rangeSet, piece, minSteal, guard int64, written *atomic.Int64) *plan {
	p := &plan{size: size, done: done, minSteal: minSteal, guard: guard, written: written, notify: make(chan struct{}, 1)}
	if size < 0 {
		p.pending = []span{{0, -1}}
	} else {
		for _, m := range done.missing(size) {
			for a := m.Start; a < m.End; a += piece {
				p.pending = append(p.pending, span{a, min(a+piece, m.End)})
			}
		}
	}
	written.Store(done.total())
	return p
}

// next returns a segment to fetch, or nil when nothing is left: first the pending
// pieces in file order, then the larger half of the biggest active segment.
func (p *plan) next() *segment {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > 0 {
		s := &segment{cur: p.pending[0].Start, end: p.pending[0].End}
		p.pending = p.pending[1:]
		p.active = append(p.active, s)
		return s
	}
	var best *segment
	for _, s := range p.active {
		if s.end >= 0 && (best == nil || s.end-s.cur > best.end-best.cur) {
			best = s
		}
	}
	if best == nil {
		return nil
	}
	left := best.end - best.cur - p.guard
	if left < 2*p.minSteal {
		return nil
	}
	mid := best.cur + p.guard + left/2
	s := &segment{cur: mid, end: best.end}
	best.end = mid
	p.active = append(p.active, s)
	return s
}

func (p *plan) resumable() bool { return p.ranges }

func (p *plan) finish(s *segment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, a := range p.active {
		if a == s {
			p.active = append(p.active[:i], p.active[i+1:]...)
			break
		}
	}
}

func (p *plan) bounds(s *segment) (cur, end int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return s.cur, s.end
}

// advance records n bytes written at pos by s's owner and returns s's current end.
func (p *plan) advance(s *segment, pos, n int64) int64 {
	p.mu.Lock()
	p.done = p.done.add(pos, pos+n)
	s.cur = pos + n
	end := s.end
	p.dirty = true
	p.mu.Unlock()
	p.written.Add(n)
	p.wake()
	return end
}

// setSize records the size of an object whose length was unknown, at its end.
func (p *plan) setSize(n int64) {
	p.mu.Lock()
	p.size = n
	p.mu.Unlock()
	p.wake()
}

// startOver forgets everything written (a stream that cannot resume broke) and
// rewinds s to byte 0.
func (p *plan) startOver(s *segment) {
	p.mu.Lock()
	p.done = nil
	p.gen++
	s.cur = 0
	p.dirty = true
	p.mu.Unlock()
	p.written.Store(0)
	p.wake()
}

// snapshot returns the completed ranges and whether they changed since the last call.
func (p *plan) snapshot() (rangeSet, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.dirty
	p.dirty = false
	return p.done.clone(), d
}

// progress returns the complete prefix, the size (-1 if unknown) and the generation.
func (p *plan) progress() (prefix, size int64, gen int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done.prefix(), p.size, p.gen
}

func (p *plan) wake() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}
