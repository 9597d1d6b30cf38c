package transfer

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// tryAcquire takes a slot for h if one is free now.
func tryAcquire(l *connLimiter, h string) bool {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.mu.Lock()
	free := len(l.waiting) == 0 && l.roomLocked(h)
	l.mu.Unlock()
	if !free {
		return false
	}
	return l.acquire(ctx, h) == nil
}

func TestConnLimiterAdaptsToTheHost(t *testing.T) {
	l := newConnLimiter(100, 2, 5)
	for i := range 2 {
		if !tryAcquire(l, "a") {
			t.Fatalf("slot %d of the first 2 refused", i+1)
		}
	}
	if tryAcquire(l, "a") {
		t.Fatal("a third slot before any success")
	}
	if !tryAcquire(l, "b") {
		t.Fatal("another host waits for the first one's limit")
	}
	// Each request answered without error raises the host's limit by one, up to max.
	for want := 3; want <= 5; want++ {
		l.release("a", nil)
		if got := l.limit("a"); got != want {
			t.Fatalf("limit after a success = %d, want %d", got, want)
		}
		first := tryAcquire(l, "a")
		second := tryAcquire(l, "a")
		if !first || !second {
			t.Fatalf("the raised limit %d does not admit two more", want)
		}
	}
	l.release("a", nil)
	if got := l.limit("a"); got != 5 {
		t.Fatalf("limit grew past max: %d", got)
	}
	// 429 and 503 halve it; other errors leave it.
	l.release("a", &driver.Error{Code: driver.Unavailable, Status: http.StatusServiceUnavailable})
	if got := l.limit("a"); got != 2 {
		t.Fatalf("limit after a 503 = %d, want 2", got)
	}
	l.release("a", &driver.Error{Code: driver.Unavailable, Status: http.StatusTooManyRequests})
	if got := l.limit("a"); got != 1 {
		t.Fatalf("limit after a 429 = %d, want 1", got)
	}
	l.release("a", errors.New("connection reset"))
	if got := l.limit("a"); got != 1 {
		t.Fatalf("limit moved on a plain error: %d", got)
	}
	if got := l.limit("b"); got != 2 {
		t.Fatalf("another host's limit moved: %d", got)
	}
}

func TestConnLimiterWaitersInOrderAndCanceled(t *testing.T) {
	l := newConnLimiter(1, 1, 1)
	queued := make(chan struct{}, 2)
	l.queued = func() { queued <- struct{}{} }
	if !tryAcquire(l, "a") {
		t.Fatal("first slot refused")
	}
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() { gaveUp <- l.acquire(ctx, "a") }()
	<-queued
	got := make(chan error, 1)
	go func() { got <- l.acquire(context.Background(), "b") }()
	<-queued
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled waiter: %v", err)
	}
	l.release("a", nil)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitfor.Guard):
		t.Fatal("the slot freed did not go to the waiter left")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inuse != 1 || len(l.waiting) != 0 {
		t.Fatalf("%d slots in use and %d waiting, want 1 and 0", l.inuse, len(l.waiting))
	}
}

// The limit grows when a request is answered, not when its body ends; the end of a
// request counted so does not raise it again, and an overloaded server still halves it.
func TestConnLimiterGrowsOnAnswer(t *testing.T) {
	l := newConnLimiter(100, 2, 8)
	first := tryAcquire(l, "a")
	second := tryAcquire(l, "a")
	if !first || !second {
		t.Fatal("the first 2 slots refused")
	}
	l.answered("a")
	if got := l.limit("a"); got != 3 {
		t.Fatalf("limit after an answer = %d, want 3", got)
	}
	if !tryAcquire(l, "a") {
		t.Fatal("the raised limit does not admit a request while the others still read")
	}
	l.releaseAfter("a", nil, true)
	if got := l.limit("a"); got != 3 {
		t.Fatalf("limit after the end of a counted request = %d, want 3", got)
	}
	l.releaseAfter("a", &driver.Error{Code: driver.Unavailable, Status: http.StatusServiceUnavailable}, true)
	if got := l.limit("a"); got != 1 {
		t.Fatalf("limit after a 503 = %d, want 1", got)
	}
}
