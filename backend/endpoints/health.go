package endpoints

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Health is the outcome of an endpoint's last connection test or, since, of the last
// requests made to it in everyday use (process lists, job submissions, monitoring),
// kept so that the endpoint list can say which endpoints worked when last used (F-25).
type Health struct {
	OK      bool      `json:"ok"`
	Problem string    `json:"problem,omitempty"` // one of the Problem constants
	Status  int       `json:"status,omitempty"`  // the HTTP status of a failed test's answer; 0 for none
	At      time.Time `json:"at"`
}

// Summary says the outcome in a few words, for a list, with the HTTP status of the
// answer when there was one.
func (h Health) Summary() string {
	if h.OK {
		return "Connected"
	}
	s := h.words()
	if h.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", h.Status)
	}
	return s
}

func (h Health) words() string {
	switch h.Problem {
	case ProblemUnreachable:
		return "Unreachable: no answer"
	case ProblemTLS:
		return "The secure connection failed"
	case ProblemUnauthorized:
		return "Credentials missing or refused"
	case ProblemForbidden:
		return "Access refused"
	case ProblemNotOGC:
		return "Not an OGC API – Processes server"
	case ProblemCredentials:
		return "Its credentials could not be used"
	case ProblemSignIn:
		return "Sign-in needed"
	}
	return "The server answered with an error"
}

// settingHealth is the settings key of an endpoint's last test.
func settingHealth(id string) string { return "endpoint.health." + id }

// Health returns the outcome of the endpoint's last connection test; false when it
// was never tested (or the record cannot be read).
func (c *Registry) Health(ctx context.Context, id string) (Health, bool) {
	v, ok, err := c.opts.Store.Setting(ctx, settingHealth(id))
	if err != nil || !ok {
		return Health{}, false
	}
	var h Health
	if json.Unmarshal([]byte(v), &h) != nil || h.At.IsZero() {
		return Health{}, false
	}
	return h, true
}

// recordHealth keeps the outcome of a test of a saved endpoint.
func (c *Registry) recordHealth(ctx context.Context, id string, r Report) {
	c.keepHealth(ctx, id, Health{OK: r.OK, Problem: r.Problem, Status: r.status, At: time.Now().UTC().Truncate(time.Second)})
}

// keepHealth records h. The store is the one record of health (the list reads it,
// observe compares with it, and `geojobs run` beside the app writes the same record).
func (c *Registry) keepHealth(ctx context.Context, id string, h Health) {
	b, _ := json.Marshal(h)
	if err := c.opts.Store.SetSetting(context.WithoutCancel(ctx), settingHealth(id), string(b)); err != nil {
		c.log.Warn("endpoints: recording the endpoint's health", "endpoint", id, "err", err)
	}
}

// healthRefresh is how old a recorded health may grow while requests keep having the
// same outcome: the record is written when the outcome changes, else at most this often.
const healthRefresh = time.Minute

// observe records the outcome of a request to a saved endpoint (ogcapi.WithOutcome):
// an answer is health, a failure that is the endpoint's (no answer, TLS, credentials
// refused, a server error) is its problem. Answers about the request itself (a job or
// process not found, invalid input, a result not ready) say nothing either way, nor
// does a request the caller gave up. A working endpoint that the last test found not
// to be an OGC API stays so: one answer does not prove it is one.
func (c *Registry) observe(ctx context.Context, id string, err error) {
	h := Health{OK: err == nil, At: time.Now().UTC().Truncate(time.Second)}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		switch ogcapi.CodeOf(err) {
		case ogcapi.Unavailable, ogcapi.Timeout, ogcapi.Unauthorized, ogcapi.Forbidden, ogcapi.Internal, ogcapi.BadResponse, ogcapi.Unknown:
		default:
			return
		}
		h.Problem, _ = Explain(err)
		if h.Problem == ProblemNotOGC {
			h.Problem = ProblemOther // a bad answer in use is the server's error, not proof of another API
		}
		var ae *ogcapi.APIError
		if errors.As(err, &ae) {
			h.Status = ae.Status
		}
	}
	last, known := c.Health(context.WithoutCancel(ctx), id)
	if known && h.OK && last.Problem == ProblemNotOGC {
		return
	}
	if known && last.OK == h.OK && last.Problem == h.Problem && last.Status == h.Status && h.At.Sub(last.At) < healthRefresh {
		return
	}
	c.keepHealth(ctx, id, h)
}
