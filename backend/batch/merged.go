package batch

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/sweep"
)

// Merged is one ItemCollection of the results of a batch's succeeded members whose
// results are stored as STAC, each item tagged with its member's line (sweep.PropLine,
// as `geojobs run --sweep` does). missing counts succeeded members without STAC yet.
func Merged(ctx context.Context, st *store.Store, batchID string) (ic *stac.ItemCollection, missing int, err error) {
	members, err := st.BatchMembers(ctx, batchID)
	if err != nil {
		return nil, 0, err
	}
	ic = &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{}}
	for _, m := range members {
		if m.State() != "succeeded" {
			continue
		}
		if !m.Items {
			missing++
			continue
		}
		raw, _, err := st.Items(ctx, m.JobID)
		if err != nil {
			return nil, 0, err
		}
		var one stac.ItemCollection
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, 0, fmt.Errorf("batch: items of line %d: %w", m.Line, err)
		}
		for _, it := range one.Features {
			it.SetProperty(sweep.PropLine, m.Line)
			ic.Features = append(ic.Features, it)
		}
	}
	return ic, missing, nil
}
