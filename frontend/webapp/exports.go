package webapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
)

// Exports in the app: the results page's "Export to…" copies a job's assets to the
// bucket or share of a keystore key allowed for outputs, through backend/export, which
// streams them from their source with the download manager's drivers (so s3:// and
// authenticated hrefs work as they do for downloads).

// exportService is the results page's access to exports.
type exportService struct {
	keys    *keystore.Store
	results *results.Service
	ex      *export.Exporter
	// transport is the HTTP transport for the destination (nil: default).
	transport http.RoundTripper
}

var _ resultspage.Exports = (*exportService)(nil)

// Keys lists the storage keys (S3, EODATA, WebDAV); HTTP keys are not storage.
func (x *exportService) Keys(context.Context) ([]resultspage.ExportKey, bool) {
	if x.keys.Locked() {
		return nil, true
	}
	list, err := x.keys.List()
	if err != nil {
		return nil, errors.Is(err, keystore.ErrLocked)
	}
	var out []resultspage.ExportKey
	for _, k := range list {
		if k.Kind == keystore.KindHTTP {
			continue
		}
		ek := resultspage.ExportKey{Name: k.Name, Kind: string(k.Kind), Target: k.Target(), Allowed: true}
		if err := k.CanUse(keystore.Output); err != nil {
			ek.Allowed, ek.Why = false, err.Error() // a *keystore.NotAllowedError: the reason alone
		}
		out = append(out, ek)
	}
	return out, false
}

func (x *exportService) Start(ctx context.Context, jobID, key, folder string, refs []results.AssetRef) (int, error) {
	k, err := x.keys.Get(key)
	switch {
	case errors.Is(err, keystore.ErrLocked):
		return 0, errors.New("unlock the keystore to export")
	case errors.Is(err, keystore.ErrNotFound):
		return 0, fmt.Errorf("there is no key %q in the keystore", key)
	case err != nil:
		return 0, err
	}
	dest, err := export.Open(k, folder, x.transport)
	if err != nil {
		return 0, err
	}
	ic, err := x.results.Items(ctx, jobID)
	if err != nil {
		return 0, err
	}
	return x.ex.Start(jobID, ic, refs, dest)
}

func (x *exportService) View(jobID string) (export.Progress, bool) { return x.ex.View(jobID) }
func (x *exportService) Cancel(jobID string) bool                  { return x.ex.Cancel(jobID) }

// exportsSnapshot is the body of a job's export panel as the results page's live
// updates carry it (resultspage.Handler.ExportProgress): nothing before an export.
func (a *App) exportsSnapshot(ctx context.Context, jobID string) ([]hub.Message, error) {
	if a.Exports == nil {
		return nil, nil
	}
	p, ok := a.Exports.View(jobID)
	if !ok {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := resultspage.ExportBodyOOB(p).Render(ctx, &buf); err != nil {
		return nil, err
	}
	return []hub.Message{{Key: "panel", Data: buf.Bytes()}}, nil
}
