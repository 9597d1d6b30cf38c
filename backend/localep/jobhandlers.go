package localep

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.lookupJob(r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.statusInfo(r, j.snapshot()))
}

// dismiss is DELETE /jobs/{id}: it stops an accepted or running job, removes the
// outputs and log of a finished one, and answers 200 with the dismissed status. The
// job stays listed with status dismissed.
func (s *Server) dismiss(w http.ResponseWriter, r *http.Request) error {
	j, err := s.lookupJob(r.PathValue("id"))
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var cancel func(error)
	var done chan struct{}
	s.update(j, func(rec *jobRecord) {
		if rec.Status.Status == ogcapi.StatusDismissed {
			return
		}
		rec.Status.Status = ogcapi.StatusDismissed
		rec.Status.Message = "dismissed"
		if rec.Status.Finished == nil {
			rec.Status.Finished = &now
		}
		rec.Results, rec.Files, rec.HasLog, rec.State = nil, nil, false, nil
		cancel, done = j.cancel, j.done
	})
	if cancel != nil {
		cancel(errDismissed)
		select { // let the process notice, so that it does not write after the removal
		case <-done:
		case <-time.After(10 * time.Second):
			s.log.Warn("local endpoint: dismissed job still running after 10 s", "job", j.id)
		}
	}
	if err := s.st.fs.RemoveAll(s.st.outputDir(j.id)); err != nil {
		s.log.Warn("local endpoint: cannot remove outputs of a dismissed job", "job", j.id, "err", err)
	}
	_ = s.st.fs.Remove(s.st.logPath(j.id))
	return writeJSON(w, http.StatusOK, s.statusInfo(r, j.snapshot()))
}

// jobFilter is the query of GET /jobs.
type jobFilter struct {
	processIDs, statuses, types map[string]bool
	from, to                    *time.Time // datetime interval (inclusive); from == to for an instant
	minDur, maxDur              *float64   // seconds
}

// multi reads an array query parameter in both encodings: ?a=x&a=y and ?a=x,y.
func multi(q url.Values, name string) map[string]bool {
	var set map[string]bool
	for _, v := range q[name] {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				if set == nil {
					set = map[string]bool{}
				}
				set[e] = true
			}
		}
	}
	return set
}

func parseJobFilter(q url.Values) (jobFilter, error) {
	f := jobFilter{processIDs: multi(q, "processID"), statuses: multi(q, "status"), types: multi(q, "type")}
	for st := range f.statuses {
		switch st {
		case ogcapi.StatusAccepted, ogcapi.StatusRunning, ogcapi.StatusSuccessful, ogcapi.StatusFailed, ogcapi.StatusDismissed:
		default:
			return f, invalidParameter("status %q is not one of accepted, running, successful, failed, dismissed", st)
		}
	}
	if v := q.Get("datetime"); v != "" {
		from, to, err := parseInterval(v)
		if err != nil {
			return f, invalidParameter("datetime %q: %v", v, err)
		}
		f.from, f.to = from, to
	}
	for _, d := range []struct {
		name string
		dst  **float64
	}{{"minDuration", &f.minDur}, {"maxDuration", &f.maxDur}} {
		if v := q.Get(d.name); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 {
				return f, invalidParameter("%s must be a non-negative number of seconds, got %q", d.name, v)
			}
			*d.dst = &n
		}
	}
	return f, nil
}

// parseInterval reads an RFC 3339 instant or an interval a/b with open ends ".." or "".
func parseInterval(v string) (*time.Time, *time.Time, error) {
	parse := func(s string) (*time.Time, error) {
		if s == "" || s == ".." {
			return nil, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		return &t, nil
	}
	a, b, isInterval := strings.Cut(v, "/")
	from, err := parse(a)
	if err != nil {
		return nil, nil, err
	}
	if !isInterval {
		if from == nil {
			return nil, nil, errStr("an instant cannot be open")
		}
		return from, from, nil
	}
	to, err := parse(b)
	if err != nil {
		return nil, nil, err
	}
	if from != nil && to != nil && to.Before(*from) {
		return nil, nil, errStr("the interval ends before it starts")
	}
	return from, to, nil
}

type errStr string

func (e errStr) Error() string { return string(e) }

func (f jobFilter) match(st ogcapi.StatusInfo, now time.Time) bool {
	if f.processIDs != nil && !f.processIDs[st.ProcessID] {
		return false
	}
	if f.statuses != nil && !f.statuses[st.Status] {
		return false
	}
	if f.types != nil && !f.types[st.Type] {
		return false
	}
	if f.from != nil || f.to != nil {
		if st.Created == nil || (f.from != nil && st.Created.Before(*f.from)) || (f.to != nil && st.Created.After(*f.to)) {
			return false
		}
	}
	if f.minDur != nil || f.maxDur != nil {
		if st.Started == nil { // duration filters only consider jobs that ran
			return false
		}
		end := now
		if st.Finished != nil {
			end = *st.Finished
		}
		d := end.Sub(*st.Started).Seconds()
		if (f.minDur != nil && d < *f.minDur) || (f.maxDur != nil && d > *f.maxDur) {
			return false
		}
	}
	return true
}

// listEntry is a job's status as the job list shows it: all of it but the links to
// the job list itself and to the process, so that a client that follows a thousand
// jobs through the list (the app's job monitor) reads half as much.
func listEntry(st ogcapi.StatusInfo) ogcapi.StatusInfo {
	links := st.Links[:0:0]
	for _, l := range st.Links {
		if l.Rel != "up" && l.Rel != ogcapi.RelProcessDesc {
			links = append(links, l)
		}
	}
	st.Links = links
	return st
}

// listJobs is GET /jobs, newest first. Each job is shown with its status, progress,
// message and times as GET /jobs/{id} shows them.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	offset, limit, err := paging(r)
	if err != nil {
		return err
	}
	f, err := parseJobFilter(r.URL.Query())
	if err != nil {
		return err
	}
	s.mu.RLock()
	all := make([]*job, 0, len(s.jobs))
	for _, j := range s.jobs {
		all = append(all, j)
	}
	s.mu.RUnlock()
	now := time.Now()
	var recs []jobRecord
	for _, j := range all {
		if rec := j.snapshot(); f.match(rec.Status, now) {
			recs = append(recs, rec)
		}
	}
	sort.Slice(recs, func(a, b int) bool {
		ca, cb := recs[a].Status.Created, recs[b].Status.Created
		if !ca.Equal(*cb) {
			return ca.After(*cb)
		}
		return recs[a].Status.JobID < recs[b].Status.JobID
	})
	lo, hi := window(offset, limit, len(recs))
	list := ogcapi.JobList{Jobs: []ogcapi.StatusInfo{}}
	for _, rec := range recs[lo:hi] {
		list.Jobs = append(list.Jobs, listEntry(s.statusInfo(r, rec)))
	}
	for _, l := range s.pageLinks(r, offset, limit, len(recs)) {
		list.Links = append(list.Links, ogcapi.Link{Href: l.href, Rel: l.rel, Type: "application/json"})
	}
	if len(list.Jobs) > compactFrom {
		return writeJSONCompact(w, http.StatusOK, list)
	}
	return writeJSON(w, http.StatusOK, list)
}

// compactFrom is the page size beyond which the job list is sent without
// indentation: a page a person reads stays readable, a page of hundreds of jobs for
// a program is a quarter smaller and quicker to write and to read.
const compactFrom = 50
