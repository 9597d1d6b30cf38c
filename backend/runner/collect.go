package runner

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/stac"
)

// maxResultsTries bounds the results requests of a job that ended successful while
// the server still answers that its results are not ready (as the app's monitor does).
const maxResultsTries = 6

// results reads a finished job's results. A server may say the job is successful
// before its results can be read (404 result-not-ready): they are asked for again,
// waiting as between two polls, up to maxResultsTries times.
func (r *run) results(ctx context.Context, proc *ogcapi.Process) (*ogcapi.Results, error) {
	interval := r.o.PollMin
	for try := 1; ; try++ {
		res, err := r.client.ResultsWith(ctx, r.dismissTarget(), r.hint(proc))
		if err == nil {
			return res, nil
		}
		if ogcapi.CodeOf(err) != ogcapi.ResultNotReady || try >= maxResultsTries || ctx.Err() != nil {
			return nil, errorf(serverStatus(err), err, "results of job %s", clean(r.jobID, 120))
		}
		r.printf("the job ended but the server says its results are not ready yet; asking again in %s", interval.Round(time.Millisecond))
		r.log.Warn("results not ready after the job ended", "job", r.jobID, "try", try, "err", err)
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		interval = min(interval+interval/2, r.o.PollMax)
	}
}

func (r *run) hint(proc *ogcapi.Process) ogcapi.ResultsHint {
	return ogcapi.HintFor(&r.o.Request.Execute, proc)
}

// collect turns the results into the ItemCollection to write (results.FromResults,
// the code path the app uses too). isSTAC says whether the process returned STAC.
func (r *run) collect(ctx context.Context, proc *ogcapi.Process, st *ogcapi.StatusInfo, res *ogcapi.Results) (ic *stac.ItemCollection, isSTAC bool, err error) {
	job := results.JobInfo{ID: r.jobID, ProcessID: r.pid, Endpoint: r.client.Endpoint(), JobURL: r.jobURL, Process: proc}
	if outs := r.o.Request.Execute.Outputs; len(outs) > 0 {
		job.Requested = slices.Sorted(maps.Keys(outs))
	}
	if st.Created != nil {
		job.Created = *st.Created
	}
	if st.Started != nil {
		job.Started = *st.Started
	}
	switch {
	case st.Finished != nil:
		job.Finished = *st.Finished
	case st.Updated != nil:
		job.Finished = *st.Updated
	default:
		job.Finished = r.o.Now()
	}
	c, err := results.FromResults(ctx, res, job, results.Options{
		Fetcher: stac.HTTPFetcher{Client: r.fetchClient()}, Base: r.resultsBase(),
		Fs: r.o.Fs, Dir: outputDir(r.o.Output), Logger: r.log,
	})
	if err != nil {
		return nil, false, errorf(stacStatus(err), err, "")
	}
	return c.ItemCollection, c.STAC, nil
}

func stacStatus(err error) int {
	switch {
	case errors.Is(err, stac.ErrUnavailable), errors.Is(err, stac.ErrNotFound), errors.Is(err, stac.ErrPermissionDenied):
		return ExitServer
	}
	return ExitOutput
}

// resultsBase is the URL relative hrefs of inline STAC are resolved against: the
// job's results, or the endpoint for a sync run without a job.
func (r *run) resultsBase() *url.URL {
	s := r.client.Endpoint()
	if r.jobURL != "" {
		s = strings.TrimRight(r.jobURL, "/") + "/results"
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	return u
}

// fetchClient reads STAC documents: the endpoint's credentials go only to the
// endpoint's own origin, so a catalog on S3 or another host never sees them.
func (r *run) fetchClient() *http.Client {
	c := results.OriginClient(r.o.HTTPClient, r.client.Endpoint(), r.creds)
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Minute
	}
	return c
}

func outputDir(output string) string {
	if output == "-" {
		return "."
	}
	return filepath.Dir(output)
}
