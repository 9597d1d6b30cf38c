package retry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestAfter(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":        0,
		"  7 ":    7 * time.Second,
		"-3":      0,
		"soon":    0,
		"9999999": 24 * time.Hour,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		if got := After(in, now); got != want {
			t.Errorf("After(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestDelay(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second, MaxRetryAfter: time.Minute}
	for failures, hi := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 30: time.Second} {
		for range 50 {
			if d := p.Delay(failures, 0); d < hi/2 || d > hi {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", failures, d, hi/2, hi)
			}
		}
	}
	if d := p.Delay(1, 5*time.Second); d != 5*time.Second {
		t.Errorf("a longer Retry-After is honoured: %v", d)
	}
	if d := p.Delay(1, 5*time.Hour); d != time.Minute {
		t.Errorf("Retry-After is capped: %v", d)
	}
}

func TestDo(t *testing.T) {
	errTransient, errPermanent := errors.New("503"), errors.New("404")
	transient := func(err error) (bool, time.Duration) { return err == errTransient, 0 }
	p := Policy{Attempts: 4, Base: time.Millisecond, Max: time.Millisecond}
	ctx := context.Background()

	calls, notified := 0, 0
	err := Do(ctx, p, transient, func(int, time.Duration, error) { notified++ }, func(context.Context) error {
		calls++
		return errTransient
	})
	if err != errTransient || calls != 4 || notified != 3 {
		t.Fatalf("always transient: err %v, %d calls, %d notices; want 4 calls, 3 notices", err, calls, notified)
	}

	calls = 0
	err = Do(ctx, p, transient, nil, func(context.Context) error {
		calls++
		if calls == 1 {
			return errTransient
		}
		return errPermanent
	})
	if err != errPermanent || calls != 2 {
		t.Fatalf("permanent error: %v after %d calls", err, calls)
	}

	calls = 0
	if err := Do(ctx, p, transient, nil, func(context.Context) error {
		calls++
		if calls < 3 {
			return errTransient
		}
		return nil
	}); err != nil || calls != 3 {
		t.Fatalf("recovers: %v after %d calls", err, calls)
	}

	// A wait past the deadline is not started.
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	calls = 0
	err = Do(dctx, Policy{Attempts: 3, Base: time.Hour, Max: time.Hour}, transient, nil, func(context.Context) error {
		calls++
		return errTransient
	})
	if err != errTransient || calls != 1 {
		t.Fatalf("deadline: %v after %d calls", err, calls)
	}
}
