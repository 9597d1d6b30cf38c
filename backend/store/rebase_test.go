package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRebaseLocal(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const old, neu = "http://127.0.0.1:40001/local/ogcapi/", "http://127.0.0.1:40002/local/ogcapi/"
	now := time.Now()
	local, err := s.CreateJob(ctx, NewJob{EndpointID: "local", ProcessID: "synthetic-scene", URL: old + "jobs/a"})
	if err != nil {
		t.Fatal(err)
	}
	doc := json.RawMessage(`{"stac_catalog":{"value":{"type":"FeatureCollection","features":[{"assets":{"data":{"href":"` + old + `jobs/a/outputs/scene.tif"}}}]}}}`)
	if err := s.SetResults(ctx, local.ID, doc, "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetItems(ctx, local.ID, json.RawMessage(`{"type":"FeatureCollection","features":[],"links":[{"href":"`+old+`jobs/a"}]}`), now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutDownload(ctx, Download{JobID: local.ID, URL: old + "jobs/a/outputs/scene.tif", Dest: "/tmp/d", Name: "scene.tif"}, now); err != nil {
		t.Fatal(err)
	}
	// A remote endpoint's job that happens to mention the same text is left alone.
	ep, err := s.CreateEndpoint(ctx, Endpoint{ID: "remote", Title: "Remote", URL: "https://example.org/ogc/"})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := s.CreateJob(ctx, NewJob{EndpointID: ep.ID, ProcessID: "p", URL: old + "jobs/r"})
	if err != nil {
		t.Fatal(err)
	}

	n, err := s.RebaseLocal(ctx, old, neu)
	if err != nil || n != 2 {
		t.Fatalf("RebaseLocal = %d, %v; want 2 rows", n, err)
	}
	j, _ := s.Job(ctx, local.ID)
	if j.URL != neu+"jobs/a" || strings.Contains(string(j.Results), old) || !strings.Contains(string(j.Results), neu+"jobs/a/outputs/scene.tif") {
		t.Errorf("job not rebased: %s %s", j.URL, j.Results)
	}
	if !json.Valid(j.Results) {
		t.Error("results are no longer JSON")
	}
	items, _, _ := s.Items(ctx, local.ID)
	if strings.Contains(string(items), old) {
		t.Errorf("items not rebased: %s", items)
	}
	ds, _ := s.Downloads(ctx, local.ID)
	if len(ds) != 1 || ds[0].URL != neu+"jobs/a/outputs/scene.tif" {
		t.Errorf("download not rebased: %+v", ds)
	}
	if r, _ := s.Job(ctx, remote.ID); r.URL != old+"jobs/r" {
		t.Errorf("a remote endpoint's job was rewritten: %s", r.URL)
	}
	if n, err := s.RebaseLocal(ctx, neu, neu); n != 0 || err != nil {
		t.Errorf("same base: %d %v", n, err)
	}
	if _, err := s.RebaseLocal(ctx, "127.0.0.1:1", neu); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad base accepted: %v", err)
	}
}
