package endpoints

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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

// healthPrefix starts the settings key of an endpoint's health record.
const healthPrefix = "endpoint.health."

// settingHealth is the settings key of an endpoint's health record.
func settingHealth(id string) string { return healthPrefix + id }

// healthBook is every saved endpoint's health, owned by the registry: filled from
// the store once (New) and written through to it on every change, so that readers
// (the endpoint list, and observe on every request to an endpoint) never touch the
// database while a restart finds what was last recorded. The registry is the only
// writer of the app's records; another process on the same database (`geojobs
// download` fetching results) records what it saw too, which this one reads at its
// next start.
type healthBook struct {
	// write is held from the decision to write to the end of the store write, so
	// the store ends as the map does when requests end at the same time.
	write sync.Mutex
	mu    sync.RWMutex
	by    map[string]Health
}

// load reads every endpoint's health record from st.
func (b *healthBook) load(ctx context.Context, st EndpointStore) error {
	all, err := st.Settings(ctx)
	if err != nil {
		return fmt.Errorf("endpoints: reading the endpoints' health: %w", err)
	}
	by := map[string]Health{}
	for k, v := range all {
		id, ok := strings.CutPrefix(k, healthPrefix)
		if !ok {
			continue
		}
		var h Health
		if json.Unmarshal([]byte(v), &h) == nil && !h.At.IsZero() {
			by[id] = h
		}
	}
	b.mu.Lock()
	b.by = by
	b.mu.Unlock()
	return nil
}

func (b *healthBook) get(id string) (Health, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	h, ok := b.by[id]
	return h, ok
}

// Health returns the endpoint's health as last recorded (a connection test or
// everyday requests since); false when none was. It reads memory only.
func (c *Registry) Health(_ context.Context, id string) (Health, bool) {
	return c.health.get(id)
}

// recordHealth keeps the outcome of a test of a saved endpoint.
func (c *Registry) recordHealth(ctx context.Context, id string, r Report) {
	h := Health{OK: r.OK, Problem: r.Problem, Status: r.status, At: time.Now().UTC().Truncate(time.Second)}
	c.updateHealth(ctx, id, func(Health, bool) (Health, bool) { return h, true })
}

// updateHealth records the health next returns, given the last one, when it says
// to: in memory, then in the store. Deciding not to write costs no lock but a read
// lock, and no database access: that is the case of nearly every request.
func (c *Registry) updateHealth(ctx context.Context, id string, next func(last Health, known bool) (Health, bool)) {
	if _, write := next(c.health.get(id)); !write {
		return
	}
	b := &c.health
	b.write.Lock()
	defer b.write.Unlock()
	h, write := next(b.get(id)) // again: another request may have written meanwhile
	if !write {
		return
	}
	b.mu.Lock()
	b.by[id] = h
	b.mu.Unlock()
	v, _ := json.Marshal(h)
	if err := c.opts.Store.SetSetting(context.WithoutCancel(ctx), settingHealth(id), string(v)); err != nil {
		c.log.Warn("endpoints: recording the endpoint's health", "endpoint", id, "err", err)
	}
}

// forgetHealth drops a deleted endpoint's health, in memory and in the store.
func (c *Registry) forgetHealth(ctx context.Context, id string) {
	b := &c.health
	b.write.Lock()
	defer b.write.Unlock()
	b.mu.Lock()
	delete(b.by, id)
	b.mu.Unlock()
	if err := c.opts.Store.DeleteSetting(context.WithoutCancel(ctx), settingHealth(id)); err != nil {
		c.log.Warn("endpoints: forgetting the endpoint's health", "endpoint", id, "err", err)
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
	c.updateHealth(ctx, id, func(last Health, known bool) (Health, bool) {
		if known && h.OK && last.Problem == ProblemNotOGC {
			return last, false
		}
		if known && last.OK == h.OK && last.Problem == h.Problem && last.Status == h.Status && h.At.Sub(last.At) < healthRefresh {
			return last, false
		}
		return h, true
	})
}
