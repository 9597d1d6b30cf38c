package webapp

import (
	"net/http"
	"strings"
	"testing"
)

// TestBuiltInJobLog: the job page reads the built-in endpoint's log, which needs the
// app's token, through the endpoint's client (its credentials, on its origin only).
func TestBuiltInJobLog(t *testing.T) {
	s := start(t)
	j := s.submitLocal("countdown", map[string]any{"seconds": 0.3, "step": 0.1})
	s.waitJob(j.ID, ended)
	lg := s.get("/jobs/"+j.ID+"/log", htmx("job-log"))
	expect(t, lg, http.StatusOK)
	if lg.find("[data-testid=log-part] .field-error").Length() != 0 || lg.find("[data-testid=log-none]").Length() != 0 {
		t.Fatalf("the log was not read: %s", lg.find("#job-log").Text())
	}
	if txt := lg.find("[data-testid=log-text]").Text(); strings.TrimSpace(txt) == "" {
		t.Errorf("empty log: %s", lg.body)
	}
}
