package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// jobURL turns a job id or an absolute job URL (from Location or a monitor link) into a URL.
func (c *Client) jobURL(method, jobIDOrURL string) (*url.URL, error) {
	s := strings.TrimSpace(jobIDOrURL)
	if l := strings.ToLower(s); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return nil, &APIError{Method: method, URL: "jobs", Code: InvalidInput, Err: errors.New("invalid job URL")}
		}
		u.RawQuery, u.Fragment = "", ""
		return u, nil
	}
	if err := checkID("job", s); err != nil {
		return nil, &APIError{Method: method, URL: c.endpointURL("jobs").String(), Code: InvalidInput, Err: err}
	}
	return c.endpointURL("jobs", s), nil
}

// Status returns a job's status (GET /jobs/{id}). jobIDOrURL is a job id or the job's
// absolute URL. An unknown job gives Code NoSuchJob.
func (c *Client) Status(ctx context.Context, jobIDOrURL string) (*StatusInfo, error) {
	u, err := c.jobURL(http.MethodGet, jobIDOrURL)
	if err != nil {
		return nil, err
	}
	var st StatusInfo
	resp, err := c.getJSON(ctx, u, NoSuchJob, &st)
	if err != nil {
		return nil, err
	}
	if st.Status == "" {
		return nil, badResponse(request{method: http.MethodGet, url: u}, resp, errors.New("status document without status"))
	}
	if st.JobID == "" {
		st.JobID = lastSegment(u)
	}
	absLinks(resp.url, st.Links)
	return &st, nil
}

// Results returns a job's results (GET /jobs/{id}/results) in any of the shapes of
// CLIENT-NOTES 25. A job still running gives ResultNotReady, an unknown one NoSuchJob
// (told apart by the exception type; a bare 404 gives NotFound), a failed job the
// server's error.
func (c *Client) Results(ctx context.Context, jobIDOrURL string) (*Results, error) {
	return c.ResultsWith(ctx, jobIDOrURL, ResultsHint{})
}

// ResultsWith is Results when the caller knows how the results were asked for.
func (c *Client) ResultsWith(ctx context.Context, jobIDOrURL string, hint ResultsHint) (*Results, error) {
	u, err := c.jobURL(http.MethodGet, jobIDOrURL)
	if err != nil {
		return nil, err
	}
	ru := *u
	ru.Path = strings.TrimRight(ru.Path, "/") + "/results"
	if ru.RawPath != "" {
		ru.RawPath = strings.TrimRight(ru.RawPath, "/") + "/results"
	}
	r := request{method: http.MethodGet, url: &ru, accept: acceptResults, notFound: NotFound, maxBody: maxResultBody}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if mediaType(resp.header) == "text/html" && ru.Query().Get("f") == "" {
		// pygeoapi renders its results page unless the format is json, and a proxy
		// may have put a browser's Accept in place of ours: ask with f=json and take
		// a JSON answer. Anything else keeps the first answer (an output in HTML).
		ju := ru
		q := ju.Query()
		q.Set("f", "json")
		ju.RawQuery = q.Encode()
		jr := r
		jr.url = &ju
		if jresp, err := c.send(ctx, jr); err == nil && isJSONAnswer(jresp) {
			c.log.DebugContext(ctx, "ogcapi: results answered in HTML, read with f=json", "url", redactURL(&ju))
			return parseResults(jr, jresp, hint)
		}
	}
	return parseResults(r, resp, hint)
}

// JobFilter selects jobs of the job list (class job-list). Zero fields do not filter.
type JobFilter struct {
	ProcessIDs []string
	Statuses   []string
	Types      []string // "process" = only jobs of this API
	// Datetime is matched against the job's created time: an instant or an interval
	// ("a/b", "../b", "a/..") in RFC 3339.
	Datetime    string
	MinDuration time.Duration // sent in whole seconds
	MaxDuration time.Duration
	Limit       int
}

// query encodes the filter; arrays as repeated parameters (the OpenAPI default).
func (f JobFilter) query() url.Values {
	q := url.Values{}
	for _, v := range f.ProcessIDs {
		q.Add("processID", v)
	}
	for _, v := range f.Statuses {
		q.Add("status", v)
	}
	for _, v := range f.Types {
		q.Add("type", v)
	}
	if f.Datetime != "" {
		q.Set("datetime", f.Datetime)
	}
	if f.MinDuration > 0 {
		q.Set("minDuration", strconv.FormatInt(int64(f.MinDuration/time.Second), 10))
	}
	if f.MaxDuration > 0 {
		q.Set("maxDuration", strconv.FormatInt(int64((f.MaxDuration+time.Second-1)/time.Second), 10))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// Jobs returns the first page of the job list (GET /jobs). Follow Links "next" with JobsPage.
func (c *Client) Jobs(ctx context.Context, f JobFilter) (*JobList, error) {
	u := c.endpointURL("jobs")
	u.RawQuery = f.query().Encode()
	return c.jobsAt(ctx, u)
}

// JobsPage returns the job list page at pageURL, a next or prev link of an earlier page.
func (c *Client) JobsPage(ctx context.Context, pageURL string) (*JobList, error) {
	if pageURL == "" {
		return c.Jobs(ctx, JobFilter{})
	}
	u, err := c.pageURL(http.MethodGet, pageURL, "jobs", 0)
	if err != nil {
		return nil, err
	}
	return c.jobsAt(ctx, u)
}

func (c *Client) jobsAt(ctx context.Context, u *url.URL) (*JobList, error) {
	var doc jobListDoc
	resp, err := c.getJSON(ctx, u, OK, &doc)
	if err != nil {
		return nil, err
	}
	jl := doc.list()
	absLinks(resp.url, jl.Links)
	for i := range jl.Jobs {
		absLinks(resp.url, jl.Jobs[i].Links)
	}
	return jl, nil
}

// Dismiss cancels a running job or removes a finished one (DELETE /jobs/{id}, class
// dismiss). It returns the server's status document (status "dismissed"), or one
// made up from the job id when the server answers 204 or without a status document.
func (c *Client) Dismiss(ctx context.Context, jobIDOrURL string) (*StatusInfo, error) {
	u, err := c.jobURL(http.MethodDelete, jobIDOrURL)
	if err != nil {
		return nil, err
	}
	r := request{method: http.MethodDelete, url: u, notFound: NoSuchJob}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	st := StatusInfo{JobID: lastSegment(u), Status: StatusDismissed, Type: "process"}
	if isStatusDoc(resp.body) {
		var doc StatusInfo
		if err := json.Unmarshal(bytes.TrimSpace(resp.body), &doc); err != nil {
			return nil, badResponse(r, resp, err)
		}
		if doc.JobID == "" {
			doc.JobID = st.JobID
		}
		absLinks(resp.url, doc.Links)
		st = doc
	}
	return &st, nil
}
