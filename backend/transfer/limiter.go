package transfer

import (
	"context"
	"sync"
)

// connLimiter bounds connections overall and per host. A slot is held for the whole
// request, body included.
type connLimiter struct {
	all     chan struct{}
	perHost int
	mu      sync.Mutex
	hosts   map[string]chan struct{}
}

func newConnLimiter(total, perHost int) *connLimiter {
	return &connLimiter{all: make(chan struct{}, total), perHost: perHost, hosts: map[string]chan struct{}{}}
}

func (l *connLimiter) host(h string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.hosts[h]
	if !ok {
		c = make(chan struct{}, l.perHost)
		l.hosts[h] = c
	}
	return c
}

// acquire waits for a slot for host h; release must be called with the same h.
func (l *connLimiter) acquire(ctx context.Context, h string) error {
	hc := l.host(h)
	select {
	case hc <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	select {
	case l.all <- struct{}{}:
		return nil
	case <-ctx.Done():
		<-hc
		return context.Cause(ctx)
	}
}

func (l *connLimiter) release(h string) {
	<-l.all
	<-l.host(h)
}
