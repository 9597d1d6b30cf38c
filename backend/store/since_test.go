package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func TestListJobsUpdatedSince(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour)
	a, _ := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "a", RemoteID: "ra", Status: ogcapi.StatusRunning, At: t0})
	b, _ := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "b", RemoteID: "rb", Status: ogcapi.StatusRunning, At: t0})
	c, _ := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "c", RemoteID: "rc", Status: ogcapi.StatusRunning, At: t0})
	mark := t0.Add(time.Minute)
	if _, err := s.RecordStatus(ctx, a.ID, ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful}, mark.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// b: polled without change after the mark (reachable again counts as a change of what a page shows)
	if err := s.Polled(ctx, map[string]time.Time{b.ID: mark.Add(2 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListJobs(ctx, Filter{UpdatedSince: mark})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, j := range p.Jobs {
		got[j.ID] = true
	}
	if !got[a.ID] || !got[b.ID] || got[c.ID] || len(got) != 2 {
		t.Errorf("changed since the mark: %v", got)
	}
}
