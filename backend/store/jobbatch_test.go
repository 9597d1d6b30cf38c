package store

import (
	"context"
	"encoding/json"
	"testing"
)

// JobBatch names the batch a job was submitted for, and none for a job of no batch or
// a member not submitted yet.
func TestJobBatch(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	b, err := s.CreateBatch(ctx, NewBatch{EndpointID: LocalEndpoint, ProcessID: "countdown", Request: json.RawMessage(`{"inputs":{}}`),
		Members: []NewBatchMember{{Line: 1, Inputs: json.RawMessage(`{}`)}, {Line: 2, Inputs: json.RawMessage(`{}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateJob(ctx, NewJob{ID: "member", EndpointID: LocalEndpoint, ProcessID: "countdown"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateJob(ctx, NewJob{ID: "alone", EndpointID: LocalEndpoint, ProcessID: "countdown"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachMember(ctx, b.ID, 1, "member"); err != nil {
		t.Fatal(err)
	}
	for job, want := range map[string]string{"member": b.ID, "alone": "", "": ""} {
		if got, err := s.JobBatch(ctx, job); err != nil || got != want {
			t.Errorf("JobBatch(%q) = %q, %v; want %q", job, got, err, want)
		}
	}
}
