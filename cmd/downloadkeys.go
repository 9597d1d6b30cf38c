package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keyscmd"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/webdav"
)

// downloadKeys opens the data dir's keystore for downloads: with the OS keychain or
// GEOJOBS_KEYSTORE_PASSPHRASE, else by asking on the terminal when there is one. It
// returns nil when there is no keystore, and the locked store when it cannot be
// unlocked (said on stderr): s3:// assets then fail with a message saying to unlock it.
func downloadKeys(opts *rootOptions, stderr io.Writer) *keystore.Store {
	st, note := openDownloadKeys(opts, stderr)
	if note != "" {
		fmt.Fprintln(stderr, "geojobs:", note)
	}
	return st
}

// openDownloadKeys is downloadKeys that returns, instead of printing, why the keystore
// stays locked: download prints it only when a file was refused, not on every run.
func openDownloadKeys(opts *rootOptions, stderr io.Writer) (*keystore.Store, string) {
	st, note := openDownloadKeysIn(opts.DataDir, stderr)
	opts.hideKeys(st)
	if st != nil && !st.Locked() {
		opts.signIns(st, nil) // oidc keys renew their tokens during long downloads
	}
	return st, note
}

func openDownloadKeysIn(dataDir string, stderr io.Writer) (*keystore.Store, string) {
	st, err := keystore.Open(keystore.Config{Dir: dataDir})
	if err != nil {
		return nil, "the keystore cannot be read: " + err.Error()
	}
	if st.Protection() == keystore.Unprotected {
		return nil, "" // no keystore yet
	}
	err = unlockWithoutPrompt(st, os.Getenv)
	if err == nil && st.Locked() && term.IsTerminal(int(os.Stdin.Fd())) {
		var open *keystore.Store
		if open, err = keyscmd.OpenStore(keystore.Config{Dir: dataDir}, keyscmd.IO{In: os.Stdin, Out: stderr, ErrOut: stderr}); err == nil {
			st = open
		}
	}
	if st.Locked() {
		if err == nil {
			err = fmt.Errorf("set %s to use its keys", keyscmd.PassphraseEnv)
		}
		// Still returned: its keys match nothing, and s3:// downloads say to unlock it.
		return st, "the keystore is locked: " + err.Error()
	}
	return st, ""
}

// downloadMux is the download drivers: http(s) with the keystore's download keys
// (each only for the URLs under its prefix), and s3 with the key whose
// s3://bucket/prefix matches. keys may be nil.
func downloadMux(keys *keystore.Store) *transfer.Mux { return downloadMuxFor(keys, nil) }

// downloadMuxFor is downloadMux that also gives the running app's token to the app's
// own URLs (its built-in endpoint's outputs) and to nothing else.
func downloadMuxFor(keys *keystore.Store, app *server.Credentials) *transfer.Mux {
	mux := transfer.NewMux()
	o := httpget.Options{UserAgent: "geojobs/" + Version}
	if keys != nil {
		o.Auth = keys.Authorizer(keystore.Download)
	}
	if app != nil {
		o.Auth = &results.Authorizer{Scopes: []results.Scoped{{Prefix: app.URL, Creds: *app}}, Fallback: o.Auth}
	}
	h := httpget.New(o)
	mux.Register("http", h)
	mux.Register("https", h)
	mux.Register("s3", s3.StoreSource(keys, s3.Options{}))
	dav := webdav.StoreSource(keys, webdav.Options{}) // WebDAV shares' files as dav:// and davs:// URLs
	mux.Register("dav", dav)
	mux.Register("davs", dav)
	return mux
}

// fetchJobItems gets the results of a job whose STAC is not stored yet from its
// endpoint, through the same code as the app (results.Service), and stores them.
func fetchJobItems(ctx context.Context, st *store.Store, jobID string, keys *keystore.Store) (*stac.ItemCollection, error) {
	usage := func(err error) error { return &exitError{code: downloadUsage, err: err} }
	j, err := st.Job(ctx, jobID)
	if err != nil {
		return nil, usage(err)
	}
	if j.EndpointID == store.LocalEndpoint {
		return nil, usage(fmt.Errorf("job %s ran on the built-in endpoint and its results are not stored as STAC yet: open them in the app (geojobs ui) once", jobID))
	}
	eps, err := endpoints.New(endpoints.Options{Store: st, Credentials: endpointKeys(keys)})
	if err != nil {
		return nil, err
	}
	var auth httpget.Authorizer
	if keys != nil {
		auth = keys.Authorizer(keystore.Download)
	}
	svc, err := results.NewService(results.ServiceOptions{Store: st, Clients: eps.Client, Sources: downloadMux(keys), Auth: auth})
	if err != nil {
		return nil, err
	}
	ic, err := svc.Items(ctx, jobID)
	switch {
	case errors.Is(err, results.ErrNotReady):
		return nil, usage(fmt.Errorf("job %s has no results to download: it is %s", jobID, j.Status))
	case err != nil:
		return nil, &exitError{code: downloadFailed, err: fmt.Errorf("results of job %s from its endpoint: %w", jobID, err)}
	}
	return ic, nil
}

// endpointKeys resolves an endpoint's key by name, as the app does.
func endpointKeys(keys *keystore.Store) endpoints.CredentialsFunc {
	return func(_ context.Context, name string) (ogcapi.Credentials, error) {
		if keys == nil {
			return nil, fmt.Errorf("%w: the keystore is locked or missing; set %s", endpoints.ErrNoKeystore, keyscmd.PassphraseEnv)
		}
		k, err := keys.Get(name)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", endpoints.ErrNoKeystore, err)
		}
		if err := k.CanUse(keystore.Endpoint); err != nil {
			return nil, fmt.Errorf("%w: %v", endpoints.ErrNoKeystore, err)
		}
		return keys.Credentials(k), nil
	}
}
