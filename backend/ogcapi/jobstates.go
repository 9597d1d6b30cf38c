package ogcapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// A job list read for what changed: a monitor reads the list of thousands of jobs
// every second while some are about to end, and compares each job's status, progress
// and message with what it knows; it needs a job's whole status document (links,
// times) only for the few that changed. JobStates scans the list for those fields
// alone and decodes an entry in full only when asked (JobState.Info).

// JobState is one entry of a job list as JobStates reads it.
type JobState struct {
	JobID    string
	Status   string // as StatusInfo.Status: lower case, aliases mapped
	Progress *int   // nil when the server did not say
	Message  string
	Updated  *time.Time

	raw  []byte   // the entry's JSON object
	base *url.URL // the list's URL, against which links resolve
	info *StatusInfo
}

// Info returns the entry's whole status document, as Jobs would have read it.
func (s *JobState) Info() (*StatusInfo, error) {
	if s.info != nil {
		return s.info, nil
	}
	var raw statusDoc
	if err := json.Unmarshal(s.raw, &raw); err != nil {
		return nil, err
	}
	st := raw.info()
	absLinks(s.base, st.Links)
	s.info = &st
	return s.info, nil
}

// JobStateList is a page of the job list as JobStates reads it.
type JobStateList struct {
	Jobs  []JobState
	Links Links // the page's links, absolute
}

// JobStates returns the first page of the job list (GET /jobs) like Jobs, with each
// job's id, status, progress, message and update time; JobState.Info gives the rest.
// Follow Links "next" with JobStatesPage.
func (c *Client) JobStates(ctx context.Context, f JobFilter) (*JobStateList, error) {
	u := c.endpointURL("jobs")
	u.RawQuery = f.query().Encode()
	return c.jobStatesAt(ctx, u)
}

// JobStatesPage is JobsPage for JobStates.
func (c *Client) JobStatesPage(ctx context.Context, pageURL string) (*JobStateList, error) {
	if pageURL == "" {
		return c.JobStates(ctx, JobFilter{})
	}
	u, err := c.pageURL(http.MethodGet, pageURL, "jobs", 0)
	if err != nil {
		return nil, err
	}
	return c.jobStatesAt(ctx, u)
}

func (c *Client) jobStatesAt(ctx context.Context, u *url.URL) (*JobStateList, error) {
	r := request{method: http.MethodGet, url: u, notFound: OK, jsonDoc: true}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	l, ok := scanJobStates(resp.body)
	if !ok {
		// Not the plain shape the scan reads (or not JSON): read it in full, which
		// reads what can be read and tells what cannot.
		var doc jobListDoc
		if err := decodeJSON(resp.body, &doc); err != nil {
			return nil, badResponse(r, resp, err)
		}
		l = &JobStateList{Jobs: make([]JobState, len(doc.Jobs)), Links: doc.Links}
		for i := range doc.Jobs {
			st := doc.Jobs[i].info()
			l.Jobs[i] = JobState{JobID: st.JobID, Status: st.Status, Progress: st.Progress, Message: st.Message,
				Updated: st.Updated, info: &st}
			absLinks(resp.url, st.Links)
		}
	}
	absLinks(resp.url, l.Links)
	for i := range l.Jobs {
		l.Jobs[i].base = resp.url
	}
	return l, nil
}
