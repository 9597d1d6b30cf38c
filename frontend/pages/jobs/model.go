package jobs

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// StatusModel is one job's status.
type StatusModel struct {
	Job store.Job
}

// ListModel is the recent jobs.
type ListModel struct {
	Jobs []store.Job
}

func (m StatusModel) live() bool {
	return !m.Job.Terminal() && m.Job.Lost.IsZero() && m.Job.Status != store.StatusSubmitUnknown
}

func (m StatusModel) request() string { return indent(m.Job.Request) }
func (m StatusModel) results() string { return indent(m.Job.Results) }

func indent(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

func statusClass(s string) string {
	switch s {
	case ogcapi.StatusSuccessful:
		return "ok"
	case ogcapi.StatusFailed, store.StatusSubmitUnknown:
		return "bad"
	case ogcapi.StatusDismissed:
		return "muted"
	}
	return "run"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func progress(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func jobURL(id string) string { return "/jobs/" + url.PathEscape(id) }

func processURL(j store.Job) string {
	return "/endpoints/" + url.PathEscape(j.EndpointID) + "/processes/" + url.PathEscape(j.ProcessID)
}
