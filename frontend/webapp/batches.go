package webapp

import (
	"context"
	"log/slog"

	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pages/batchespage"
)

// buildBatches makes the batch engine, which submits batch members through the
// monitor; Run runs it.
func (a *App) buildBatches(log *slog.Logger) {
	a.Batches = batch.New(a.Store, a.Monitor, log.With("component", "batches"))
}

// batchDeps are the batch pages'.
func (a *App) batchDeps() *batchespage.Deps {
	return &batchespage.Deps{Store: a.Store, Engine: a.Batches, Dismiss: a.Monitor.Dismiss,
		Merged: func(ctx context.Context, id string) (*stac.ItemCollection, int, error) {
			return batch.Merged(ctx, a.Store, id)
		}}
}

// batchCreator lets the execution form create batches.
type batchCreator struct{ e *batch.Engine }

func (b batchCreator) CreateBatch(ctx context.Context, endpointID, processID, title, kind string, base *ogcapi.Execute, members []store.NewBatchMember) (string, error) {
	bt, err := b.e.Create(ctx, endpointID, processID, title, kind, base, members)
	return bt.ID, err
}
