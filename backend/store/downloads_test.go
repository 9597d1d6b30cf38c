package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestItemsAndDownloads(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	j, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "synthetic-scene"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.Items(ctx, j.ID); err != nil || got != nil {
		t.Fatalf("Items before SetItems = %s, %v; want nil, nil", got, err)
	}
	ic := json.RawMessage(`{"type":"FeatureCollection","features":[]}`)
	now := time.Now()
	if err := s.SetItems(ctx, j.ID, ic, now); err != nil {
		t.Fatal(err)
	}
	got, at, err := s.Items(ctx, j.ID)
	if err != nil || string(got) != string(ic) || at.UnixMilli() != now.UnixMilli() {
		t.Fatalf("Items = %s %v %v", got, at, err)
	}
	if err := s.SetItems(ctx, "nope", ic, now); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetItems(unknown job) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Items(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Items(unknown job) = %v, want ErrNotFound", err)
	}

	d := Download{JobID: j.ID, ItemID: "scene", AssetKey: "data", URL: "https://x/scene.tif", Dest: "/tmp/d", Name: "scene/scene.tif", Size: 10}
	id, err := s.PutDownload(ctx, d, now)
	if err != nil {
		t.Fatal(err)
	}
	d2 := d
	d2.AssetKey, d2.Name = "thumbnail", "scene/thumbnail.png"
	id2, err := s.PutDownload(ctx, d2, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetDownloadState(ctx, id2, DownloadCompleted, "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDownloadState(ctx, id, DownloadFailed, "checksum mismatch", now); err != nil {
		t.Fatal(err)
	}
	open, err := s.UnfinishedDownloads(ctx)
	if err != nil || len(open) != 0 {
		t.Fatalf("UnfinishedDownloads = %v, %v; want none", open, err)
	}
	// Downloading the same target again reuses its row and makes it active.
	again, err := s.PutDownload(ctx, d, now)
	if err != nil || again != id {
		t.Fatalf("PutDownload again = %d, %v; want %d", again, err, id)
	}
	open, err = s.UnfinishedDownloads(ctx)
	if err != nil || len(open) != 1 || open[0].Name != d.Name || open[0].Size != 10 || open[0].State != DownloadActive || open[0].Error != "" {
		t.Fatalf("UnfinishedDownloads = %+v, %v", open, err)
	}
	all, err := s.Downloads(ctx, j.ID)
	if err != nil || len(all) != 2 || all[1].State != DownloadCompleted {
		t.Fatalf("Downloads = %+v, %v", all, err)
	}
	if err := s.SetDownloadState(ctx, id, "bogus", "", now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad state: %v", err)
	}
	if _, err := s.PutDownload(ctx, Download{URL: "x"}, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("incomplete download: %v", err)
	}
}
