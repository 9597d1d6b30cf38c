package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// Mode is the execution mode a caller wants.
type Mode int

// Execution modes.
const (
	// Auto asks for async execution when the process allows it (long runs are the
	// norm), else lets the server choose.
	Auto Mode = iota
	// Async asks for async execution (Prefer: respond-async) when the process allows it.
	Async
	// Sync sends no preference: the server runs sync if the process allows sync.
	Sync
)

// ExecOptions are the options of Execute.
type ExecOptions struct {
	Mode Mode
	// Process is the process description if the caller has it; its jobControlOptions,
	// execute link and outputs are used. When nil and Mode is not Sync, Execute reads it.
	Process *Process
}

// Execution is the answer to an execute request: a job (async) or results (sync).
// Whatever was asked for, the server may answer either way.
type Execution struct {
	// Job is the status of the created job when the server ran the process async.
	Job *StatusInfo
	// JobURL is the absolute URL of the job: of an async job, or of the job a server
	// created for a sync run (Link rel=monitor). Empty when there is none.
	JobURL string
	// Results are the outputs of a sync run.
	Results *Results
	// PreferenceApplied is the server's Preference-Applied header (informative only).
	PreferenceApplied string
}

// Async reports whether the server created a job to be monitored.
func (e *Execution) Async() bool { return e.Job != nil }

const acceptResults = "application/json, multipart/related;q=0.9, */*;q=0.8"

// Execute runs a process (POST /processes/{id}/execution). Build the input values
// with BuildInput. The answer is read by status code and headers, never
// by Preference-Applied: 201 (or 202, or a 200 carrying Location and a status
// document) is a job; any other success is a sync result in one of the shapes of
// Results. A POST is never retried.
func (c *Client) Execute(ctx context.Context, processID string, req *Execute, opt ExecOptions) (*Execution, error) {
	execURL := c.endpointURL("processes", processID, "execution")
	fail := func(err error) (*Execution, error) {
		return nil, &APIError{Method: http.MethodPost, URL: redactURL(execURL), Code: InvalidInput, Err: err}
	}
	if err := checkID("process", processID); err != nil {
		return fail(err)
	}
	if req == nil {
		return fail(errors.New("nil execute request"))
	}
	if req.Response != "" && req.Response != ResponseRaw && req.Response != ResponseDocument {
		return fail(errors.New("response must be raw or document"))
	}
	proc := opt.Process
	if proc == nil && opt.Mode != Sync {
		p, err := c.Process(ctx, processID)
		if err != nil {
			return nil, err
		}
		proc = p
	}
	async := false
	switch opt.Mode {
	case Async:
		async = proc == nil || proc.Allows(AsyncExecute)
	case Auto:
		async = proc != nil && proc.Allows(AsyncExecute)
	}
	if proc != nil {
		if l, ok := proc.Links.Find(RelExecute, ""); ok {
			if u, err := resolve(c.base, l.Href); err == nil && c.sameOrigin(u) {
				execURL = u
			}
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fail(err)
	}
	r := request{method: http.MethodPost, url: execURL, body: body, contentType: "application/json",
		accept: acceptResults, notFound: NoSuchProcess, maxBody: maxResultBody}
	if async {
		r.header = http.Header{"Prefer": {"respond-async"}}
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	ex := &Execution{PreferenceApplied: resp.header.Get("Preference-Applied")}
	loc := resp.header.Get("Location")
	if resp.status == http.StatusCreated || resp.status == http.StatusAccepted ||
		resp.status == http.StatusOK && loc != "" && isStatusDoc(resp.body) {
		st, jobURL, err := c.readJob(resp, loc)
		if err != nil {
			return nil, badResponse(r, resp, err)
		}
		ex.Job, ex.JobURL = st, jobURL
		return ex, nil
	}
	res, err := parseResults(r, resp, HintFor(req, proc))
	if err != nil {
		return nil, err
	}
	ex.Results = res
	if l, ok := res.Links.Find("monitor", ""); ok {
		ex.JobURL = l.Href
	} else if loc != "" && resp.status/100 == 2 {
		// pygeoapi records sync runs as jobs too and names the job in Location.
		if u, err := resolve(resp.url, loc); err == nil {
			ex.JobURL = u.String()
		}
	}
	return ex, nil
}

// isStatusDoc reports a statusInfo-shaped body: an object with jobID (or id) and status.
func isStatusDoc(body []byte) bool {
	var d struct {
		JobID  *string `json:"jobID"`
		ID     *string `json:"id"`
		Status *string `json:"status"`
	}
	if !looksLikeJSON(body) || json.Unmarshal(body, &d) != nil {
		return false
	}
	return (d.JobID != nil || d.ID != nil) && d.Status != nil
}

// readJob reads the job of an async answer: the status document of the body (may be
// missing) and the job URL from Location, else the body's links, else /jobs/{jobID}.
func (c *Client) readJob(resp *response, loc string) (*StatusInfo, string, error) {
	var st StatusInfo
	hasDoc := isStatusDoc(resp.body) && json.Unmarshal(bytes.TrimSpace(resp.body), &st) == nil
	var jobURL *url.URL
	if loc != "" {
		if u, err := resolve(resp.url, loc); err == nil {
			jobURL = u
		}
	}
	absLinks(resp.url, st.Links)
	if jobURL == nil {
		for _, rel := range []string{"monitor", "status", "self"} {
			if l, ok := st.Links.Find(rel, acceptJSON); ok {
				if u, err := url.Parse(l.Href); err == nil {
					jobURL = u
					break
				}
			}
		}
	}
	if jobURL == nil && st.JobID != "" {
		jobURL = c.endpointURL("jobs", st.JobID)
	}
	if jobURL == nil {
		return nil, "", errors.New("async answer without Location, job links or jobID")
	}
	if st.JobID == "" {
		st.JobID = lastSegment(jobURL)
	}
	if !hasDoc || st.Status == "" {
		st.Status = StatusAccepted
	}
	if st.JobID == "" {
		return nil, "", errors.New("async answer without a job id")
	}
	return &st, jobURL.String(), nil
}

func lastSegment(u *url.URL) string {
	p := strings.TrimRight(u.Path, "/")
	if p == "" {
		return ""
	}
	return path.Base(p)
}
