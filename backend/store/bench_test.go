package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// BenchmarkPollRound stores what the monitor learns of 1,000 running jobs in one
// round (a progress change each, in one RecordStatuses call), then their ends and
// results: the store's share of the monitor at 1,000 jobs. Per op: one job's
// progress, end and results.
func BenchmarkPollRound(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "geojobs.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const n = 1000
	ids := make([]string, n)
	for i := range ids {
		j, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "countdown", RemoteID: fmt.Sprint("r-", i),
			Status: ogcapi.StatusRunning, Origin: OriginImported})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = j.ID
	}
	results := []byte(`{"message":{"value":"counted down 60 seconds"}}`)
	b.ResetTimer()
	for k := 0; k < b.N; k += n {
		at := time.Now()
		ups := make([]StatusUpdate, n)
		for i, id := range ids {
			ups[i] = StatusUpdate{JobID: id, Status: ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(k % 100), Message: fmt.Sprint(k)}, At: at}
		}
		if _, errs := s.RecordStatuses(ctx, ups); errs[0] != nil {
			b.Fatal(errs[0])
		}
		for i, id := range ids {
			ups[i] = StatusUpdate{JobID: id, Status: ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful, Progress: intp(100)}, At: at}
		}
		if _, errs := s.RecordStatuses(ctx, ups); errs[0] != nil {
			b.Fatal(errs[0])
		}
		for _, id := range ids {
			if err := s.SetResults(ctx, id, results, "", at); err != nil {
				b.Fatal(err)
			}
		}
		for i, id := range ids { // running again, for the next round
			ups[i] = StatusUpdate{JobID: id, Status: ogcapi.StatusInfo{Status: ogcapi.StatusRunning}, At: at}
		}
		if _, errs := s.RecordStatuses(ctx, ups); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}
