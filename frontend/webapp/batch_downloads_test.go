package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// Issue 16: a batch's page downloads every finished job's results into one folder,
// one sub-folder per job, through the one download orchestrator, with progress.
func TestBatchDownloadAll(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	base := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"size": json.RawMessage("64"), "seed": json.RawMessage("3")}}
	members := []store.NewBatchMember{
		{Line: 1, Label: "Lake A", Inputs: json.RawMessage(`{"aoi":{"bbox":[7.0,46.0,7.2,46.2]}}`)},
		{Line: 2, Label: "Lake B", Inputs: json.RawMessage(`{"aoi":{"bbox":[8.0,47.0,8.2,47.2]}}`)},
	}
	b, err := s.app.Batches.Create(ctx, store.LocalEndpoint, "synthetic-scene", "two lakes", "sweep", base, members)
	if err != nil {
		t.Fatal(err)
	}
	loc := "/batches/" + b.ID
	if page := s.get(loc); page.find("[data-testid=batch-download-none]").Length() != 1 {
		// Before any member finished there is nothing to download yet; the batch may
		// already be done on a fast machine, so this is only checked when it is not.
		if c := s.batchCounts(b.ID); c.Succeeded == 0 {
			t.Error("Download all offered before any job finished")
		}
	}
	deadline := time.Now().Add(waitfor.Guard)
	for c := s.batchCounts(b.ID); !c.Done(); c = s.batchCounts(b.ID) {
		if time.Now().After(deadline) {
			t.Fatalf("batch stuck at %+v", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Done counts a member when its job ended; its results are stored just after.
	var ms []store.BatchMember
	for stored := false; !stored; {
		if time.Now().After(deadline) {
			t.Fatalf("results of the members not stored: %+v", ms)
		}
		ms, err = s.app.Store.BatchMembers(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored = true
		for _, m := range ms {
			stored = stored && m.Items
		}
		if !stored {
			time.Sleep(50 * time.Millisecond)
		}
	}

	page := s.get(loc)
	if page.find("[data-testid=batch-download-all]").Length() != 1 {
		t.Fatalf("no Download all on the batch page: %s", page.find("main").Text())
	}
	if def := page.find("[data-testid=batch-download-dest]").AttrOr("value", ""); !strings.HasSuffix(def, "batch-"+b.ID) {
		t.Errorf("default folder %q", def)
	}
	dest := filepath.Join(t.TempDir(), "lakes")
	r := s.postForm(loc+"/downloads", url.Values{"dest": {dest}})
	expect(t, r, http.StatusSeeOther)
	back := s.get(r.header.Get("Location"))
	if n := back.find("[data-testid=notice]").Text(); !strings.Contains(n, "of 2 jobs queued into "+dest) {
		t.Errorf("notice %q", n)
	}
	for _, m := range ms {
		p, err := s.app.Downloads.Wait(ctx, m.JobID)
		if err != nil || p.Completed == 0 || p.Completed != len(p.Files) {
			t.Fatalf("downloads of line %d: %+v %v", m.Line, p, err)
		}
		dir := filepath.Join(dest, batch.MemberFolder(m))
		if _, err := os.Stat(filepath.Join(dir, "catalog.json")); err != nil {
			t.Errorf("line %d: no catalog in its folder: %v", m.Line, err)
		}
		tifs, _ := filepath.Glob(filepath.Join(dir, "*", "*.tif"))
		if len(tifs) == 0 {
			t.Errorf("line %d: no scene in %s", m.Line, dir)
		}
	}
	if got := batch.MemberFolder(ms[1]); got != "2-Lake B" {
		t.Errorf("member folder %q", got)
	}
	prog := s.get(loc + "/downloads")
	counts := prog.find("[data-testid=batch-download-counts]").Text()
	if !strings.Contains(strings.Join(strings.Fields(counts), " "), "done · 2 jobs") || prog.find("[data-testid=batch-download-progress]").AttrOr("data-active", "") != "0" {
		t.Errorf("progress %q", counts)
	}
	// A folder that cannot take the files queues nothing and says why.
	file := filepath.Join(t.TempDir(), "a-file")
	_ = os.WriteFile(file, []byte("x"), 0o600)
	r = s.postForm(loc+"/downloads", url.Values{"dest": {filepath.Join(file, "below")}})
	if n := s.get(r.header.Get("Location")).find("[data-testid=notice]").Text(); !strings.HasPrefix(n, "Nothing was queued") {
		t.Errorf("bad folder notice %q", n)
	}
}

func (s *stack) batchCounts(id string) store.BatchCounts {
	s.t.Helper()
	b, err := s.app.Store.Batch(context.Background(), id)
	if err != nil {
		s.t.Fatal(err)
	}
	return b.Counts
}
