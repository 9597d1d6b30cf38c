package application

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/backend/store"
)

// Jobs are the actions on jobs: the monitor's (submit, dismiss, import, poll now),
// and re-run, which needs the process description from the endpoint.
type Jobs struct {
	*jobs.Monitor
	processes *processes.Directory
}

// Rerun submits job's stored request again, as a new job that records what it re-runs.
func (j *Jobs) Rerun(ctx context.Context, job store.Job) (string, error) {
	var ex ogcapi.Execute
	if err := json.Unmarshal(job.Request, &ex); err != nil {
		return "", fmt.Errorf("%w: the stored request is not an execute request", store.ErrInvalid)
	}
	p, err := j.processes.Process(ctx, job.EndpointID, job.ProcessID)
	if err != nil {
		return "", err
	}
	nj, err := j.Submit(ctx, jobs.Submission{EndpointID: job.EndpointID, ProcessID: job.ProcessID, Process: p,
		Request: &ex, AOI: job.AOI, RerunOf: job.ID})
	if nj.ID == "" && err == nil {
		err = errors.New("application: re-run: no job was stored")
	}
	return nj.ID, err
}
