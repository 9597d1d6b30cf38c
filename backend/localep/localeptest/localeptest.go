// Package localeptest serves the built-in OGC API – Processes endpoint to other
// packages' tests: on an in-memory file system, behind an httptest server, shut down
// when the test ends. It is for tests only.
package localeptest

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/localep"
)

// Start serves a built-in endpoint made from opts until t ends; its landing page is
// at the returned server's URL. A nil opts.Fs is a fresh afero.MemMapFs and an empty
// opts.DataDir is "/data". It fails t when the endpoint cannot be made.
func Start(t testing.TB, opts localep.Options) *httptest.Server {
	t.Helper()
	if opts.Fs == nil {
		opts.Fs = afero.NewMemMapFs()
	}
	if opts.DataDir == "" {
		opts.DataDir = "/data"
	}
	ep, err := localep.New(opts)
	if err != nil {
		t.Fatalf("localeptest: %v", err)
	}
	hs := httptest.NewServer(ep.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ep.Close(ctx)
	})
	return hs
}
