package transfer

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// connLimiter bounds connections overall and per host. A slot is held for the whole
// request, body included.
//
// The limit of each host adapts to the server, additive increase and multiplicative
// decrease as TCP does with its window: it starts at start, grows by one with every
// request the host answers without error, up to max, and halves when the host answers
// 429 Too Many Requests or 503 Service Unavailable. Object storage, which serves each
// connection at a capped rate, so gets more connections while they keep succeeding; a
// server that says it is overloaded gets fewer.
type connLimiter struct {
	mu      sync.Mutex
	total   int // slots over all hosts
	inuse   int
	start   int // a host's first limit
	max     int // a host's highest limit
	hosts   map[string]*hostSlots
	waiting []*waiter // first come, first served
	queued  func()    // tests: called when a request starts to wait
}

type hostSlots struct {
	limit int
	inuse int
}

type waiter struct {
	host    string
	granted chan struct{}
}

func newConnLimiter(total, start, max int) *connLimiter {
	start = min(max, start)
	return &connLimiter{total: total, start: start, max: max, hosts: map[string]*hostSlots{}}
}

func (l *connLimiter) hostLocked(h string) *hostSlots {
	s, ok := l.hosts[h]
	if !ok {
		s = &hostSlots{limit: l.start}
		l.hosts[h] = s
	}
	return s
}

// roomLocked reports whether a request to h may start now.
func (l *connLimiter) roomLocked(h string) bool {
	s := l.hostLocked(h)
	return l.inuse < l.total && s.inuse < s.limit
}

func (l *connLimiter) takeLocked(h string) {
	l.inuse++
	l.hostLocked(h).inuse++
}

// acquire waits for a slot for host h; release must be called with the same h.
func (l *connLimiter) acquire(ctx context.Context, h string) error {
	l.mu.Lock()
	if len(l.waiting) == 0 && l.roomLocked(h) {
		l.takeLocked(h)
		l.mu.Unlock()
		return nil
	}
	w := &waiter{host: h, granted: make(chan struct{})}
	l.waiting = append(l.waiting, w)
	queued := l.queued
	l.mu.Unlock()
	if queued != nil {
		queued()
	}
	select {
	case <-w.granted:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		select {
		case <-w.granted: // granted meanwhile: give the slot back
			l.freeLocked(h)
			l.grantLocked()
		default:
			for i, x := range l.waiting {
				if x == w {
					l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
					break
				}
			}
		}
		return context.Cause(ctx)
	}
}

// release gives back h's slot; err is the outcome of the request that held it, which
// moves h's limit (see connLimiter).
func (l *connLimiter) release(h string, err error) { l.releaseAfter(h, err, false) }

// answered raises h's limit as a request without error does, as soon as the request
// is answered: a limit that grew only when requests end would grow once a piece of a
// large file (32 MiB, a second and more), so a file would get no more connections than
// the first limit for most of its download.
func (l *connLimiter) answered(h string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.hostLocked(h)
	s.limit = min(l.max, s.limit+1)
	l.grantLocked()
}

// releaseAfter is release for a request whose answer already counted (answered):
// only an overloaded server moves the limit then.
func (l *connLimiter) releaseAfter(h string, err error, counted bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.freeLocked(h)
	s := l.hostLocked(h)
	switch {
	case overloaded(err):
		s.limit = max(1, s.limit/2)
	case err == nil && !counted:
		s.limit = min(l.max, s.limit+1)
	}
	l.grantLocked()
}

func (l *connLimiter) freeLocked(h string) {
	l.inuse--
	l.hostLocked(h).inuse--
}

// grantLocked hands free slots to waiters in order; a waiter for a host at its limit
// does not hold up those behind it for other hosts.
func (l *connLimiter) grantLocked() {
	kept := l.waiting[:0]
	for _, w := range l.waiting {
		if l.roomLocked(w.host) {
			l.takeLocked(w.host)
			close(w.granted)
			continue
		}
		kept = append(kept, w)
	}
	clear(l.waiting[len(kept):])
	l.waiting = kept
}

// limit is h's current limit.
func (l *connLimiter) limit(h string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hostLocked(h).limit
}

// overloaded reports whether err is a server saying it has too much to do.
func overloaded(err error) bool {
	var de *driver.Error
	return errors.As(err, &de) && (de.Status == http.StatusTooManyRequests || de.Status == http.StatusServiceUnavailable)
}
