// Package retry is geojobs' one backoff policy: how long to wait before the next
// attempt after a transient failure, how a server's Retry-After is read and honoured,
// and a loop that applies them. The transfer layer (downloads), the export copier and
// the OGC API client's GET requests all use it. Whether an error is transient is the
// caller's call (an errs code, an HTTP status): this package only schedules.
//
// Requests that change state on a server (POST, PUT, DELETE) must never be retried
// through it: the first attempt may have taken effect.
package retry

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Policy is exponential backoff with jitter. Zero fields take the defaults shown.
type Policy struct {
	// Attempts is the number of attempts in all, the first included. Default 5.
	Attempts int
	// Base is the delay after the first failure; it doubles after each further one,
	// up to Max. Defaults 500 ms and 8 s. The wait is drawn between half the delay and
	// the delay (jitter), so that clients failing together do not retry together.
	Base, Max time.Duration
	// MaxRetryAfter caps a server's Retry-After. Default 5 minutes.
	MaxRetryAfter time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = 500 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 8 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 5 * time.Minute
	}
	return p
}

// MaxAttempts is the number of attempts the policy allows, defaults applied.
func (p Policy) MaxAttempts() int { return p.withDefaults().Attempts }

// Delay is the wait after failure number failures (1 for the first). A server's
// retryAfter, when longer than the backoff, is waited instead, up to MaxRetryAfter.
func (p Policy) Delay(failures int, retryAfter time.Duration) time.Duration {
	p = p.withDefaults()
	d := p.Base << min(max(failures-1, 0), 20)
	if d > p.Max || d <= 0 {
		d = p.Max
	}
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, p.MaxRetryAfter)
	}
	return d
}

// After reads an HTTP Retry-After value: delay-seconds or an HTTP date. It returns 0
// when the value is absent, unreadable or in the past; at most one day.
func After(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), 24*time.Hour)
	}
	return 0
}

// Sleep waits d or until ctx ends, returning context.Cause(ctx) then.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Transient tells Do whether an error may go away on its own, and how long the
// server asked to wait (0 when it did not say).
type Transient func(err error) (retry bool, after time.Duration)

// Notify is told about each retry before its wait: the failure's number (1 for the
// first), the wait, and the error.
type Notify func(failures int, wait time.Duration, err error)

// Do calls op until it succeeds, fails with an error that transient says is
// permanent, the policy's attempts are spent, or ctx ends. It returns op's last
// error (or the context's cause when ctx ended while waiting). A wait that would
// outlast ctx's deadline is not started: the last error is returned at once.
func Do(ctx context.Context, p Policy, transient Transient, notify Notify, op func(context.Context) error) error {
	p = p.withDefaults()
	for failures := 1; ; failures++ {
		err := op(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		retry, after := transient(err)
		if !retry || failures >= p.Attempts {
			return err
		}
		wait := p.Delay(failures, after)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err
		}
		if notify != nil {
			notify(failures, wait, err)
		}
		if serr := Sleep(ctx, wait); serr != nil {
			return err
		}
	}
}
