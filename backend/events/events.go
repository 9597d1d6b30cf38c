// Package events carries typed events from the services that make them (the job
// monitor, the download manager, the exporter) to the parts that react to them (the
// live pages, notifications), in place of callbacks set after construction.
//
// A Feed never blocks its sender and never loses an event: every subscriber has its
// own queue, which its reader drains at its own pace. It is for events that are few
// per second and small (a job's status, a download's progress); it is not a message
// bus, and it keeps nothing for subscribers that come later.
package events

import "sync"

// Feed sends each published value to every current subscriber. The zero Feed is
// ready to use; a Feed must not be copied after first use.
type Feed[T any] struct {
	mu   sync.Mutex
	subs map[*Queue[T]]struct{}
}

// Publish queues v for every subscriber. It never blocks.
func (f *Feed[T]) Publish(v T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for q := range f.subs {
		q.push(v)
	}
}

// Subscribe returns a queue that receives every value published from now on, until
// it is closed.
func (f *Feed[T]) Subscribe() *Queue[T] {
	q := &Queue[T]{ready: make(chan struct{}, 1), feed: f}
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[*Queue[T]]struct{}{}
	}
	f.subs[q] = struct{}{}
	f.mu.Unlock()
	return q
}

// Queue is one subscriber's events, in the order they were published.
type Queue[T any] struct {
	feed  *Feed[T]
	ready chan struct{}
	mu    sync.Mutex
	items []T
}

func (q *Queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled when events are waiting; then call Take.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Take returns the waiting events, oldest first, and empties the queue.
func (q *Queue[T]) Take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	q.items = nil
	return out
}

// Close unsubscribes the queue; events published later are not queued.
func (q *Queue[T]) Close() {
	q.feed.mu.Lock()
	delete(q.feed.subs, q)
	q.feed.mu.Unlock()
}
