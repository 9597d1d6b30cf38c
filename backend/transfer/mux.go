package transfer

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
)

// Mux maps URL schemes to sources. It is safe for concurrent use.
type Mux struct {
	mu      sync.RWMutex
	schemes map[string]driver.Source
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{schemes: map[string]driver.Source{}} }

// DefaultMux returns a Mux with the drivers for URLs a server may hand out: http and
// https (with auth applied to every request when not nil; redirects and addresses under
// netpolicy). It has no file driver: a file:// href in a server's results is never
// read. Register file.Source only for documents the user opened from their disk
// (as `geojobs download FILE` does).
func DefaultMux(auth httpget.Authorizer) *Mux {
	m := NewMux()
	h := httpget.New(httpget.Options{Auth: auth, UserAgent: "geojobs"})
	m.Register("http", h)
	m.Register("https", h)
	return m
}

// Register makes src serve scheme (case-insensitive), replacing any earlier source.
func (m *Mux) Register(scheme string, src driver.Source) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.schemes[strings.ToLower(scheme)] = src
}

// Source returns the source for u's scheme. Without one, the error has Code
// PermissionDenied and wraps netpolicy.ErrLocalFile for a file: URL (this Mux serves a
// server's URLs: "not downloaded: a server's result may not point at files on this
// computer"), else Code InvalidArgument.
func (m *Mux) Source(u *url.URL) (driver.Source, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if s, ok := m.schemes[strings.ToLower(u.Scheme)]; ok {
		return s, nil
	}
	if netpolicy.LocalFile(u) {
		return nil, driver.Wrap(PermissionDenied, netpolicy.ErrLocalFile, NotDownloaded)
	}
	return nil, driver.Errorf(InvalidArgument, "%s: geojobs cannot fetch %q URLs", NotDownloaded, u.Scheme)
}

// Schemes returns the schemes m serves, sorted.
func (m *Mux) Schemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Sorted(maps.Keys(m.schemes))
}

// NotDownloaded starts the reason of an asset that Source refuses.
const NotDownloaded = "not downloaded"
