package webapp

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestEndingPushed: a page subscribed to the notify topic gets one notice when a job
// it did not start from that page ends — the application's Endings, rendered by the
// job pages and pushed by the hub.
func TestEndingPushed(t *testing.T) {
	s := start(t)
	conn := s.subscribe("notify", "running")
	// The running indicator's snapshot comes once the connection is subscribed (to
	// both topics): a job ending before that would not be pushed to this page.
	if _, data, err := conn.ReadMessage(); err != nil || !strings.Contains(string(data), "running-indicator") {
		t.Fatalf("no running indicator on subscribing: %s %v", data, err)
	}
	j := s.submitLocal("countdown", map[string]any{"seconds": 0.3, "step": 0.1})
	for notices := 0; notices == 0; {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no notice: %v", err)
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		n := doc.Find("template[data-notify]")
		if notices = n.Length(); notices == 0 {
			continue // the running indicator
		}
		if notices != 1 || n.AttrOr("data-job", "") != j.ID || n.AttrOr("data-status", "") != "successful" || n.AttrOr("data-title", "") != "Job finished: countdown" {
			t.Errorf("notice %s", data)
		}
	}
}
