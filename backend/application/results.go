package application

import (
	"context"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/export"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/prefs"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/webdav"
)

// The results service's Authorizer gives the HTTP driver its credentials.
var _ httpget.Authorizer = (*results.Authorizer)(nil)

// buildResults makes the results service, the download manager and the exporter,
// which read assets through one set of drivers. Credentials: the built-in endpoint's
// token for its own URLs only; the keystore's download keys (by URL) for everything
// else, s3:// and WebDAV shares included.
func (a *App) buildResults(opts Options) error {
	mux, auth := a.sources, a.sourcesAuth
	var err error
	a.Results, err = results.NewService(results.ServiceOptions{Store: a.Store, Sources: mux, Auth: auth,
		Clients: a.Endpoints.Client, InlineDir: filepath.Join(opts.DataDir, "outputs"), Logger: a.log.With("component", "results"),
		AllowPrivate: func(ctx context.Context) bool { return prefs.Load(ctx, a.Store).AllowPrivate }})
	if err != nil {
		return err
	}
	a.Downloads, err = results.NewDownloads(results.DownloadsOptions{Store: a.Store, Items: a.Results.Items,
		Transfer: transfer.Options{Sources: mux}, OnProgress: a.downloads.Publish, Scope: a.Results.ScopeFor,
		Logger: a.log.With("component", "downloads")})
	if err != nil {
		return err
	}
	a.Exporter, err = export.New(export.Options{Sources: mux, OnProgress: a.exportProgress.Publish, Scope: a.Results.ScopeFor,
		Logger: a.log.With("component", "exports")})
	if err != nil {
		return err
	}
	a.Exports = &Exports{keys: a.Keys, results: a.Results, ex: a.Exporter}
	return nil
}

// buildSources makes the drivers through which geojobs reads files: the results
// service, downloads and exports, and the built-in endpoint for the inputs of the
// packages it runs.
func (a *App) buildSources() {
	a.sourcesAuth = &results.Authorizer{
		Scopes:   []results.Scoped{{Prefix: a.LocalURL, Creds: a.LocalCredentials}},
		Fallback: a.Keys.Authorizer(keystore.Download),
	}
	a.sources = transfer.DefaultMux(a.sourcesAuth)
	a.sources.Register("s3", s3.StoreSource(a.Keys, s3.Options{}))
	dav := webdav.StoreSource(a.Keys, webdav.Options{}) // WebDAV shares' files as dav:// and davs:// URLs
	a.sources.Register("dav", dav)
	a.sources.Register("davs", dav)
}

// DownloadDir is a job's default download folder: <Settings' downloads folder>/<job>.
func (a *App) DownloadDir(ctx context.Context, jobID string) string {
	dir := prefs.Load(ctx, a.Store).DownloadsDir
	if dir == "" {
		dir = prefs.DefaultDownloadsDir()
	}
	return filepath.Join(dir, transfer.ItemFolder(jobID))
}

// restoreDownloads re-adds the downloads a previous run left unfinished.
func (a *App) restoreDownloads(ctx context.Context) {
	n, err := a.Downloads.Restore(ctx)
	if err != nil {
		a.log.Warn("downloads: some could not be resumed", "err", err)
	}
	if n > 0 {
		a.log.Info("downloads: resumed unfinished downloads", "files", n)
	}
}
