package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pages/batchespage"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// A batch page's download progress is pushed by the hub as its jobs' files move (no
// poll): the page subscribes to the batch's topic, gets the progress on subscribing,
// and the progress again until every file is done.
func TestBatchDownloadProgressPushed(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	changes := s.app.JobChanges()
	defer changes.Close()
	base := &ogcapi.Execute{Inputs: map[string]json.RawMessage{"size": json.RawMessage("64"), "seed": json.RawMessage("3")}}
	b, err := s.app.Batches.Create(ctx, store.LocalEndpoint, "synthetic-scene", "one lake", "sweep", base,
		[]store.NewBatchMember{{Line: 1, Label: "Lake A", Inputs: json.RawMessage(`{"aoi":{"bbox":[7.0,46.0,7.2,46.2]}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	// The member's job ends, then its results are stored (Change.Results): only then
	// are its files there to download.
	guard := time.After(waitfor.Guard)
	for stored := false; !stored; {
		select {
		case <-changes.Ready():
			for _, c := range changes.Take() {
				stored = stored || c.Results && c.Status == ogcapi.StatusSuccessful
			}
		case <-guard:
			t.Fatalf("the batch's job has no results: %+v", s.batchCounts(b.ID))
		}
	}
	loc := "/batches/" + b.ID
	page := s.get(loc)
	topic := batchespage.DownloadsTopic(b.ID)
	if ws := page.find(`[data-live=batch-downloads]`).AttrOr("ws-connect", ""); ws != "/ws?topic="+url.QueryEscape(topic) {
		t.Errorf("the page's live connection %q", ws)
	}
	if page.find("#batch-dl-progress[hx-trigger]").Length() != 0 {
		t.Error("the download progress still polls")
	}

	conn := s.subscribe(topic)
	read := func() *goquery.Selection {
		t.Helper()
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no progress pushed: %v", err)
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		p := doc.Find("#batch-dl-progress[hx-swap-oob=true]")
		if p.Length() != 1 {
			t.Fatalf("pushed %s, want the progress swapped out of band", data)
		}
		return p
	}
	if p := read(); p.Find("[data-testid=batch-download-counts]").Length() != 0 {
		t.Fatalf("progress before any download: %s", p.Text())
	}
	r := s.postForm(loc+"/downloads", url.Values{"dest": {filepath.Join(t.TempDir(), "lakes")}})
	expect(t, r, http.StatusSeeOther)
	for {
		p := read()
		counts := strings.Join(strings.Fields(p.Find("[data-testid=batch-download-counts]").Text()), " ")
		t.Logf("pushed: active %s, %q", p.AttrOr("data-active", ""), counts)
		// "N of N files done · 1 job", pushed once nothing moves any more.
		if f := strings.Fields(counts); p.AttrOr("data-active", "") == "0" && len(f) > 2 && f[0] == f[2] && strings.HasSuffix(counts, "done · 1 job") {
			break
		}
	}
}
