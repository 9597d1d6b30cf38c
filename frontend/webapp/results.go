package webapp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/webdav"
	"github.com/geojobs/geojobs/frontend/pages/resultspage"
)

// Results and downloads in the app: backend/results.Service turns a job's results into
// STAC (stored with the job) and proxies its assets; backend/results.Downloads is the
// download manager; the results page renders both and the hub carries progress.

// buildResults creates the results service, the download manager and the results page.
// Credentials: the built-in endpoint's token for its own URLs only; the keystore's
// download keys (by URL) for everything else, s3:// included.
func (a *App) buildResults(opts Options, log *slog.Logger) (*resultspage.Handler, error) {
	auth := &results.Authorizer{
		Scopes:   []results.Scoped{{Prefix: a.LocalURL, Creds: ogcapi.Bearer(opts.Token)}},
		Fallback: a.Keys.Authorizer(keystore.Download),
	}
	mux := transfer.DefaultMux(auth)
	mux.Register("s3", s3.StoreSource(a.Keys, s3.Options{}))
	dav := webdav.StoreSource(a.Keys, webdav.Options{}) // WebDAV shares' files as dav:// and davs:// URLs
	mux.Register("dav", dav)
	mux.Register("davs", dav)
	var err error
	a.Results, err = results.NewService(results.ServiceOptions{Store: a.Store, Sources: mux, Auth: auth,
		Clients: a.Endpoints.Client, InlineDir: filepath.Join(opts.DataDir, "outputs"), Logger: log.With("component", "results"),
		AllowPrivate: func(ctx context.Context) bool { return prefs.Load(ctx, a.Store).AllowPrivate }})
	if err != nil {
		return nil, err
	}
	page := resultspage.New(resultspage.Deps{Jobs: a.Store, Results: a.Results, DefaultDir: a.downloadDir, Logger: log,
		Prefs: func(ctx context.Context) prefs.Prefs { return prefs.Load(ctx, a.Store) }})
	a.Downloads, err = results.NewDownloads(results.DownloadsOptions{Store: a.Store, Items: a.Results.Items,
		Transfer: transfer.Options{Sources: mux}, OnProgress: page.Progress, Scope: a.Results.ScopeFor,
		Logger: log.With("component", "downloads")})
	if err != nil {
		return nil, err
	}
	page.SetDownloads(a.Downloads)
	a.Exports, err = export.New(export.Options{Sources: mux, OnProgress: page.ExportProgress, Scope: a.Results.ScopeFor,
		Logger: log.With("component", "exports")})
	if err != nil {
		return nil, err
	}
	page.SetExports(&exportService{keys: a.Keys, results: a.Results, ex: a.Exports})
	if a.Hub != nil {
		page.SetPublisher(a.Hub)
	}
	return page, nil
}

// downloadDir is a job's default download folder: <Settings' downloads folder>/<job>.
func (a *App) downloadDir(jobID string) string {
	p := prefs.Load(context.Background(), a.Store)
	dir := p.DownloadsDir
	if dir == "" {
		dir = prefs.DefaultDownloadsDir()
	}
	return filepath.Join(dir, transfer.ItemFolder(jobID))
}

// onJobChange stores a successful job's results as STAC as soon as they are in, from
// the results the monitor fetched (nil, e.g. for a job found already ended: fetched again).
func (a *App) onJobChange(c jobs.Change) {
	if c.Results && c.Status == ogcapi.StatusSuccessful && a.Results != nil {
		a.Results.Collected(c.JobID, c.Outputs)
	}
}

// downloadsSnapshot is the download panel of a job as the results page's live
// updates carry it (resultspage.Handler.Progress): nothing for a job that is not stored.
func (a *App) downloadsSnapshot(ctx context.Context, jobID string) ([]hub.Message, error) {
	if a.Downloads == nil {
		return nil, nil
	}
	if _, err := a.Store.Job(ctx, jobID); errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := resultspage.DownloadsPanelOOB(jobID, a.Downloads.View(jobID)).Render(ctx, &buf); err != nil {
		return nil, err
	}
	return []hub.Message{{Key: "panel", Data: buf.Bytes()}}, nil
}

// restoreDownloads re-adds the downloads a previous run left unfinished.
func (a *App) restoreDownloads(ctx context.Context, log *slog.Logger) {
	if a.Downloads == nil {
		return
	}
	n, err := a.Downloads.Restore(ctx)
	if err != nil {
		log.Warn("downloads: some could not be resumed", "err", err)
	}
	if n > 0 {
		log.Info("downloads: resumed unfinished downloads", "files", n)
	}
}

var _ httpget.Authorizer = (*results.Authorizer)(nil)

// resultsRoutes registers the results page.
func resultsRoutes(mux *http.ServeMux, page *resultspage.Handler) { page.Register(mux) }
