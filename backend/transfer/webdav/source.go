package webdav

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/geojobs/geojobs/backend/transfer/internal/keyed"
)

// Source is the transfer driver for files on WebDAV shares. A file is addressed by its
// http(s) URL on the share, or by the same URL with the scheme dav:// (http) or
// davs:// (https), the form to register with transfer.Mux so that WebDAV results
// download with the share's key. Reads are plain HTTP GETs with byte ranges and
// If-Match (package httpget) carrying the key's credentials; Put and List use WebDAV
// (PUT with MKCOL of the parents, PROPFIND).
type Source struct {
	// Resolve returns the WebDAV key for u (an http or https URL); an error or a nil key
	// means none. The URL must be on the key's share (under its endpoint): a key is never
	// sent elsewhere.
	Resolve func(u *url.URL) (*keystore.Key, error)
	// Options are passed to New; Transport also carries the reads.
	Options Options
}

var (
	_ driver.Source = (*Source)(nil)
	_ driver.Writer = (*Source)(nil)
	_ driver.Lister = (*Source)(nil)
)

// KeySource returns a Source for the files of key k's share (an export's destination).
func KeySource(k *keystore.Key, opt Options) *Source {
	return &Source{Options: opt, Resolve: func(*url.URL) (*keystore.Key, error) { return k, nil }}
}

// StoreSource returns a Source that resolves keys with store.Match for downloads: the
// WebDAV key whose endpoint is the longest prefix of the URL. A nil or locked store,
// or no matching key, fails with a *keystore.NoKeyError (Code PermissionDenied) that
// says what to do.
func StoreSource(store *keystore.Store, opt Options) *Source {
	return &Source{Options: opt, Resolve: func(u *url.URL) (*keystore.Key, error) {
		return store.DownloadKey(u.String(), driver.RedactURL(u), "WebDAV", keystore.KindWebDAV)
	}}
}

// HTTPURL is u with a dav:// or davs:// scheme turned into http:// or https://.
func HTTPURL(u *url.URL) *url.URL {
	c := *u
	switch strings.ToLower(c.Scheme) {
	case "dav":
		c.Scheme = "http"
	case "davs":
		c.Scheme = "https"
	}
	return &c
}

// target is a file of a share: its client, its path relative to the share, its http URL.
type target struct {
	c   *Client
	k   *keystore.Key
	rel string
	u   *url.URL
}

func (s *Source) open(u *url.URL) (*target, error) {
	hu := HTTPURL(u)
	if hu.Scheme != "http" && hu.Scheme != "https" {
		return nil, driver.Errorf(driver.InvalidArgument, "webdav: unsupported scheme %q", u.Scheme)
	}
	k, err := keyed.Key(s.Resolve, hu, "webdav", "WebDAV", keystore.KindWebDAV)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(k.Endpoint)
	if err != nil || !netpolicy.Under(hu, base) {
		return nil, driver.Errorf(driver.PermissionDenied, "webdav: %s is not on the share of key %q", driver.RedactURL(hu), k.Name)
	}
	p, _ := netpolicy.CleanPath(hu)
	bp, _ := netpolicy.CleanPath(base)
	rel := "/" + strings.TrimPrefix(strings.TrimPrefix(p, strings.TrimRight(bp, "/")), "/")
	c, err := New(k, s.Options)
	if err != nil {
		return nil, driver.Wrap(driver.InvalidArgument, err, "webdav")
	}
	return &target{c: c, k: k, rel: rel, u: hu}, nil
}

// reader is the http(s) driver with the key's credentials.
func (s *Source) reader(t *target) *httpget.Source {
	tr := s.Options.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return httpget.New(httpget.Options{Client: &http.Client{Transport: tr}, Auth: t.k.Credentials(), UserAgent: "geojobs"})
}

// Stat implements driver.Source.
func (s *Source) Stat(ctx context.Context, u *url.URL) (driver.Info, error) {
	t, err := s.open(u)
	if err != nil {
		return driver.Info{}, err
	}
	return s.reader(t).Stat(ctx, t.u)
}

// ReadRange implements driver.Source.
func (s *Source) ReadRange(ctx context.Context, u *url.URL, off, n int64, opts *driver.ReadOptions) (io.ReadCloser, error) {
	t, err := s.open(u)
	if err != nil {
		return nil, err
	}
	return s.reader(t).ReadRange(ctx, t.u, off, n, opts)
}

// Put implements driver.Writer with Client.Upload (parents created, stored size
// checked). When the reader fails, what the server may have kept is removed.
func (s *Source) Put(ctx context.Context, u *url.URL, r io.Reader, size int64, _ *driver.WriteOptions) (driver.Info, error) {
	t, err := s.open(u)
	if err != nil {
		return driver.Info{}, err
	}
	rr := &keyed.Reader{R: r}
	res, err := t.c.Upload(ctx, t.rel, rr, size)
	if rr.Err != nil { // Upload removed what it had sent
		return driver.Info{}, fmt.Errorf("webdav: %s: %w", driver.RedactURL(t.u), rr.Err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return driver.Info{}, driver.Wrap(driver.Canceled, ctx.Err(), "webdav")
		}
		return driver.Info{}, err // classified: keystore classes carry their code
	}
	st, err := t.c.Stat(ctx, t.rel)
	if err != nil {
		return driver.Info{}, err
	}
	info := driver.Info{Size: res.Size, ModTime: st.ModTime, AcceptRanges: true}
	if st.ETag != "" {
		info.ETag = `"` + st.ETag + `"`
	}
	return info, nil
}

// List implements driver.Lister with a PROPFIND of depth 1.
func (s *Source) List(ctx context.Context, u *url.URL, limit int) ([]driver.Entry, bool, error) {
	t, err := s.open(u)
	if err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		limit = 1000
	}
	fis, err := t.c.dav(ctx).ReadDir(t.rel)
	if err != nil {
		return nil, false, t.c.classify(ctx, err, t.rel)
	}
	slices.SortFunc(fis, func(a, b os.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	var out []driver.Entry
	for _, fi := range fis {
		if len(out) == limit {
			return out, true, nil
		}
		e := driver.Entry{Name: fi.Name(), IsDir: fi.IsDir()}
		if !e.IsDir {
			e.Info = driver.Info{Size: fi.Size(), ModTime: fi.ModTime(), AcceptRanges: true}
		}
		out = append(out, e)
	}
	return out, false, nil
}
