package batchespage

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pagetest"
	"github.com/geojobs/geojobs/frontend/web"
)

type limits struct{}

func (limits) RetryFailed(context.Context, string) (int, error) { return 0, nil }
func (limits) Limit(context.Context, string) int                { return 4 }
func (limits) SetLimit(context.Context, string, int) error      { return nil }

// A batch of 1,000 members, half of them with finished jobs, stays quick: its page,
// the summary polled while it runs, the list row and the map data, each well under
// the limit measured here (the figures are logged).
func TestThousandMembersStayResponsive(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "geojobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	members := make([]store.NewBatchMember, 1000)
	for i := range members {
		members[i] = store.NewBatchMember{Line: i + 1, Label: fmt.Sprintf("item %d", i+1), Inputs: json.RawMessage(`{"seconds":1}`),
			AOI: json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%d,%d]}`, i%360-180, i%180-90))}
	}
	b, err := st.CreateBatch(ctx, store.NewBatch{EndpointID: store.LocalEndpoint, ProcessID: "countdown", Request: json.RawMessage(`{"inputs":{}}`), Members: members})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 500; i++ {
		id := fmt.Sprintf("job-%d", i)
		if err := st.AttachMember(ctx, b.ID, i, id); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateJob(ctx, store.NewJob{ID: id, EndpointID: store.LocalEndpoint, ProcessID: "countdown"}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordStatus(ctx, id, ogcapi.StatusInfo{Status: ogcapi.StatusSuccessful}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	h := New(Deps{Store: st, Engine: limits{}, Dismiss: func(context.Context, string) error { return nil },
		Merged: func(context.Context, string) (*stac.ItemCollection, int, error) {
			return &stac.ItemCollection{}, 0, nil
		}})
	mux := pagetest.Mux(map[string]web.HandlerFunc{"GET /batches": h.List, "GET /batches/{id}": h.Show,
		"GET /batches/{id}/summary": h.ShowSummary, "GET /batches/{id}/map.geojson": h.MapData})
	for _, c := range []struct {
		path  string
		check func(*goquery.Document) bool
	}{
		{"/batches/" + b.ID, func(d *goquery.Document) bool { return d.Find("[data-testid=batch-member]").Length() == 1000 }},
		{"/batches/" + b.ID + "/summary", func(d *goquery.Document) bool {
			return d.Find("[data-testid=batch-counts]").Text() != "" && d.Find("[hx-trigger]").Length() == 1
		}},
		{"/batches", func(d *goquery.Document) bool { return d.Find("[data-testid=batch-row]").Length() == 1 }},
		{"/batches/" + b.ID + "/map.geojson", nil},
	} {
		start := time.Now()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", c.path, nil)
		req.Header.Set("HX-Request", "true") // /batches is the Jobs page's fragment
		mux.ServeHTTP(rec, req)
		took := time.Since(start)
		t.Logf("GET %s: %v, %d bytes", c.path, took.Round(time.Millisecond), rec.Body.Len())
		if rec.Code != 200 || took > 2*time.Second {
			t.Errorf("GET %s: %d in %v", c.path, rec.Code, took)
		}
		if c.check != nil {
			d, _ := goquery.NewDocumentFromReader(rec.Body)
			if !c.check(d) {
				t.Errorf("GET %s: unexpected page", c.path)
			}
		}
	}
	got, _ := st.Batch(ctx, b.ID)
	if got.Counts.Succeeded != 500 || got.Counts.Waiting != 500 {
		t.Errorf("counts %+v", got.Counts)
	}
	start := time.Now()
	if _, err := st.WaitingMembers(ctx, store.LocalEndpoint, time.Now(), 4); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InFlight(ctx, store.LocalEndpoint); err != nil {
		t.Fatal(err)
	}
	t.Logf("one engine round (waiting members + in flight): %v", time.Since(start).Round(time.Microsecond))
}
