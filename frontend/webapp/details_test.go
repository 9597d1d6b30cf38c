package webapp

import (
	"net/http"
	"strings"
	"testing"
)

// Review details (F-17, F-23, F-33): the process page names link relations in a word,
// the value/URL choice has a visible label, and the notification control says its state
// and its action apart.
func TestReviewDetails(t *testing.T) {
	s := start(t)
	p := s.get("/endpoints/local/processes/echo")
	expect(t, p, http.StatusOK)
	if strings.Contains(p.find("main").Text(), "http://www.opengis.net/def/rel/ogc/1.0/execute") {
		t.Error("the process page shows a raw relation URI")
	}
	f := s.get("/endpoints/local/processes/echo/execute")
	if l := f.find("label.src-label").First(); l.Length() == 0 || l.HasClass("sr-only") || !strings.Contains(l.Text(), "Give it as") {
		t.Errorf("value/URL choice label %q", l.Text())
	}
	j := s.get("/jobs")
	if got := strings.Join(strings.Fields(j.find("[data-testid=notify-control]").Text()), " "); got != "Notifications are on Turn off" {
		t.Errorf("notification control %q", got)
	}
}
