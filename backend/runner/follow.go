package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

// follow polls the job until it ends, printing each change. Polling starts at PollMin
// and slows down by half each time up to PollMax. Transient failures (the client has
// retried already) are tolerated for MaxOutage, and so is a sign-in that ended (an
// oidc key whose refresh token expired): the job goes on on the server, and once
// the person signs in again (geojobs keys login, from another terminal, writes the
// keystore this run reads) polling goes on. It returns the final status of a
// successful job, or an *Error for a failed or dismissed one.
func (r *run) follow(ctx context.Context, st *ogcapi.StatusInfo) (*ogcapi.StatusInfo, error) {
	r.observe(st)
	interval := r.o.PollMin
	var outageSince time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	for !ogcapi.Terminal(st.Status) {
		timer.Reset(interval)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
		}
		interval = min(interval+interval/2, r.o.PollMax)
		next, err := r.client.Status(ctx, r.dismissTarget())
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if ogcapi.CodeOf(err) == ogcapi.NoSuchJob {
				return nil, errorf(ExitServer, nil, "job %s disappeared from the server (%s)", clean(r.jobID, 120), r.jobRef())
			}
			key := keystore.SignInKey(err)
			if key == "" && ogcapi.IsPermanent(err) {
				return nil, errorf(ExitServer, err, "job status")
			}
			now := r.o.Now()
			if outageSince.IsZero() {
				outageSince = now
				if key != "" {
					r.printf("sign-in needed for key %q: the job goes on on the server; sign in again with `geojobs keys login %s` (from another terminal) within %s to follow it",
						key, key, r.o.MaxOutage)
				} else {
					r.printf("status unavailable, retrying: %s", ogcapi.CodeOf(err))
				}
				r.log.Warn("job status unavailable", "job", r.jobID, "err", err)
			} else if now.Sub(outageSince) > r.o.MaxOutage {
				return nil, errorf(ExitServer, err, "job status unavailable for %s", now.Sub(outageSince).Round(time.Second))
			}
			continue
		}
		outageSince = time.Time{}
		st = next
		r.observe(st)
	}
	switch st.Status {
	case ogcapi.StatusFailed:
		return nil, r.failed(ctx, st)
	case ogcapi.StatusDismissed:
		msg := ""
		if m := clean(st.Message, 500); m != "" {
			msg = ": " + m
		}
		return nil, errorf(ExitFailed, nil, "job %s was dismissed on the server%s", clean(r.jobID, 120), msg)
	}
	return st, nil
}

// observe records a status and prints it when it differs from the last one.
func (r *run) observe(st *ogcapi.StatusInfo) {
	prev := r.last
	r.last = st
	if prev != nil && prev.Status == st.Status && prev.Message == st.Message && eqProgress(prev.Progress, st.Progress) {
		return
	}
	r.printf("%s", statusText(st))
}

func eqProgress(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// statusText is "running 40% step 4 of 10": status, progress and message as far as known.
func statusText(st *ogcapi.StatusInfo) string {
	var b strings.Builder
	b.WriteString(clean(st.Status, 40))
	if st.Progress != nil && *st.Progress >= 0 && *st.Progress <= 100 {
		fmt.Fprintf(&b, " %d%%", *st.Progress)
	}
	if m := clean(st.Message, 300); m != "" {
		b.WriteByte(' ')
		b.WriteString(m)
	}
	return b.String()
}

// failed builds the error of a failed job from its status message and the exception
// that GET /results returns for a failed job (which often says more).
func (r *run) failed(ctx context.Context, st *ogcapi.StatusInfo) error {
	reason := clean(st.Message, 500)
	_, err := r.client.Results(ctx, r.dismissTarget())
	var ae *ogcapi.APIError
	if errors.As(err, &ae) {
		detail := clean(ae.Exception.Detail, 500)
		if detail == "" {
			detail = clean(ae.Exception.Title, 200)
		}
		switch {
		case detail == "" || strings.Contains(reason, detail):
		case reason == "":
			reason = detail
		default:
			reason += " — " + detail
		}
	}
	if reason == "" {
		reason = "the server gave no reason"
	}
	return errorf(ExitFailed, nil, "job %s failed: %s", clean(r.jobID, 120), reason)
}
