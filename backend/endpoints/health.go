package endpoints

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Health is the outcome of an endpoint's last connection test, kept so that the
// endpoint list can say which endpoints worked when last checked (F-25).
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
	h := Health{OK: r.OK, Problem: r.Problem, Status: r.status, At: time.Now().UTC().Truncate(time.Second)}
	b, _ := json.Marshal(h)
	if err := c.opts.Store.SetSetting(context.WithoutCancel(ctx), settingHealth(id), string(b)); err != nil {
		c.log.Warn("endpoints: recording the test's outcome", "endpoint", id, "err", err)
	}
}
