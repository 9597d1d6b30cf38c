// Package jobs tracks jobs on OGC API – Processes servers: it submits them so that a
// crash never loses one, polls every unfinished job from one scheduler with adaptive
// intervals and per-endpoint limits, stores every change in backend/store, fetches
// results once a job ends, and tells Config.OnChange what changed (the application,
// backend/application, passes it on to the results, the batch engine and the live
// pages). Submission.Mode says whether a job should run sync or async; the monitor
// asks the server accordingly. It does not render anything, and it does not download
// result files.
package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Remote is what the monitor needs of an endpoint; *ogcapi.Client is one. Errors
// must be classified by ogcapi.CodeOf: NoSuchJob when the server does not know the
// job, Unavailable/Timeout/Internal for failures that may pass.
type Remote interface {
	Status(ctx context.Context, jobIDOrURL string) (*ogcapi.StatusInfo, error)
	Results(ctx context.Context, jobIDOrURL string) (*ogcapi.Results, error)
	Jobs(ctx context.Context, f ogcapi.JobFilter) (*ogcapi.JobList, error)
	JobsPage(ctx context.Context, pageURL string) (*ogcapi.JobList, error)
	// JobStates and JobStatesPage read the job list for each job's status, progress
	// and message alone (a sweep reads it every second while jobs end).
	JobStates(ctx context.Context, f ogcapi.JobFilter) (*ogcapi.JobStateList, error)
	JobStatesPage(ctx context.Context, pageURL string) (*ogcapi.JobStateList, error)
	Execute(ctx context.Context, processID string, req *ogcapi.Execute, opt ogcapi.ExecOptions) (*ogcapi.Execution, error)
	Dismiss(ctx context.Context, jobIDOrURL string) (*ogcapi.StatusInfo, error)
}

var _ Remote = (*ogcapi.Client)(nil)

// ClientFor returns the Remote of an endpoint (built with its URL, credentials and
// headers). The monitor calls it for every request, so it should cache clients.
// Clients should retry little or not at all (ogcapi.WithRetry(0) or 1): the monitor
// backs off by itself, and a client waiting out retries holds one of the endpoint's
// request slots.
type ClientFor func(ctx context.Context, endpointID string) (Remote, error)

// retryAfter returns the wait a server asked for in an error (Retry-After), if the
// error carries one.
func retryAfter(err error) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfter()
	}
	return 0
}

// lostCode reports whether the error says that the server does not know the job.
func lostCode(err error) bool {
	c := ogcapi.CodeOf(err)
	return c == ogcapi.NoSuchJob || c == ogcapi.NotFound
}
