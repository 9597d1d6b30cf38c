package application

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/results"
)

// Exports is the results page's "Export to…": it copies a job's assets to the bucket
// or share of a keystore key allowed for outputs, through backend/export, which
// streams them from their source with the download manager's drivers (so s3:// and
// authenticated hrefs work as they do for downloads).
type Exports struct {
	keys    *keystore.Store
	results *results.Service
	ex      *export.Exporter
	// transport is the HTTP transport for the destination (nil: default).
	transport http.RoundTripper
}

// Keys lists the storage keys (S3, EODATA, WebDAV); HTTP keys are not storage.
// locked reports a locked keystore.
func (x *Exports) Keys(context.Context) (keys []export.KeyOption, locked bool) {
	if x.keys.Locked() {
		return nil, true
	}
	list, err := x.keys.List()
	if err != nil {
		return nil, errors.Is(err, keystore.ErrLocked)
	}
	var out []export.KeyOption
	for _, k := range list {
		if k.Kind == keystore.KindHTTP {
			continue
		}
		ek := export.KeyOption{Name: k.Name, Kind: string(k.Kind), Target: k.Target(), Allowed: true}
		if err := k.CanUse(keystore.Output); err != nil {
			ek.Allowed, ek.Why = false, err.Error() // a *keystore.NotAllowedError: the reason alone
		}
		out = append(out, ek)
	}
	return out, false
}

// Start exports the assets refs (all when empty) of a job to folder in the storage of
// key. It returns how many files are queued; the error is for people.
func (x *Exports) Start(ctx context.Context, jobID, key, folder string, refs []results.AssetRef) (int, error) {
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

// View is a job's last export, if there was one this run.
func (x *Exports) View(jobID string) (export.Progress, bool) { return x.ex.View(jobID) }

// Cancel stops a job's export; it reports whether one was running.
func (x *Exports) Cancel(jobID string) bool { return x.ex.Cancel(jobID) }
