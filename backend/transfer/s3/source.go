package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/internal/keyed"
	"github.com/minio/minio-go/v7"
)

// Source is the transfer driver for s3://bucket/key URLs (register it with
// transfer.Mux for "s3"). Resolve picks the key for a URL — usually
// store.Match(u.String(), keystore.Download) — and the bucket comes from the URL.
type Source struct {
	// Resolve returns the key for u; an error or nil key means none.
	Resolve func(u *url.URL) (*keystore.Key, error)
	// Options are passed to New; a nil Transport gets one shared transport.
	Options Options

	mu      sync.Mutex
	clients map[string]*Client
	tr      http.RoundTripper
}

var (
	_ driver.Source = (*Source)(nil)
	_ driver.Writer = (*Source)(nil)
	_ driver.Lister = (*Source)(nil)
)

// KeySource returns a Source that uses key k for every URL (an export's destination).
// The key's own endpoint is used, as always.
func KeySource(k *keystore.Key, opt Options) *Source {
	return &Source{Options: opt, Resolve: func(*url.URL) (*keystore.Key, error) { return k, nil }}
}

// StoreSource returns a Source that resolves keys with store.Match for downloads: the
// S3 or EODATA key whose s3://bucket/prefix is the longest prefix of the URL. A nil
// or locked store, or no matching key, fails with a *keystore.NoKeyError (Code
// PermissionDenied) that says what to do.
//
// The key's own endpoint is always the one used. A result's storage:endpoint (STAC
// storage extension) or any other location the remote server names is never used
// to send a key's credentials: a processing server could otherwise name a host of
// its choosing and receive a signature made with the user's secret. A key whose
// Bucket is empty serves every bucket of its endpoint.
func StoreSource(store *keystore.Store, opt Options) *Source {
	return &Source{Options: opt, Resolve: func(u *url.URL) (*keystore.Key, error) {
		return store.DownloadKey(u.String(), driver.RedactURL(u), "S3", keystore.KindS3, keystore.KindEODATA)
	}}
}

func (s *Source) client(u *url.URL) (*Client, string, error) {
	return s.clientFor(u, true)
}

// clientFor returns the client for u's bucket and u's key; a URL without a key (a
// bucket's root) is refused when needKey.
func (s *Source) clientFor(u *url.URL, needKey bool) (*Client, string, error) {
	bucket, key, err := ParseURL(u.String())
	if err != nil {
		return nil, "", driver.Wrap(driver.InvalidArgument, err, "s3")
	}
	if key == "" && needKey {
		return nil, "", driver.Errorf(driver.InvalidArgument, "s3: %s names no object", driver.RedactURL(u))
	}
	k, err := keyed.Key(s.Resolve, u, "s3", "S3", keystore.KindS3, keystore.KindEODATA)
	if err != nil {
		return nil, "", err
	}
	cacheKey := strings.Join([]string{k.Name, k.Updated.String(), k.Endpoint, k.AccessKey, bucket}, "\x00")
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[cacheKey]; ok {
		return c, key, nil
	}
	opt := s.Options
	if opt.Transport == nil {
		if s.tr == nil {
			s.tr = http.DefaultTransport.(*http.Transport).Clone()
		}
		opt.Transport = s.tr
	}
	kk := *k
	kk.Bucket = bucket
	c, err := New(&kk, opt)
	if err != nil {
		return nil, "", driver.Wrap(driver.InvalidArgument, err, "s3")
	}
	if s.clients == nil {
		s.clients = map[string]*Client{}
	}
	s.clients[cacheKey] = c
	return c, key, nil
}

// Stat implements driver.Source.
func (s *Source) Stat(ctx context.Context, u *url.URL) (driver.Info, error) {
	c, key, err := s.client(u)
	if err != nil {
		return driver.Info{}, err
	}
	info, err := c.mc.StatObject(ctx, c.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return driver.Info{}, sourceError(ctx, err, c.bucket, key)
	}
	return driver.Info{Size: info.Size, ETag: `"` + strings.Trim(info.ETag, `"`) + `"`, ModTime: info.LastModified, AcceptRanges: true}, nil
}

// ReadRange implements driver.Source.
func (s *Source) ReadRange(ctx context.Context, u *url.URL, off, n int64, opts *driver.ReadOptions) (io.ReadCloser, error) {
	c, key, err := s.client(u)
	if err != nil {
		return nil, err
	}
	if off < 0 || n == 0 || n < -1 {
		return nil, driver.Errorf(driver.InvalidArgument, "s3: bad range offset %d length %d", off, n)
	}
	o := minio.GetObjectOptions{}
	if opts != nil && opts.IfMatch != "" {
		if err := o.SetMatchETag(strings.Trim(opts.IfMatch, `"`)); err != nil {
			return nil, driver.Wrap(driver.InvalidArgument, err, "s3")
		}
	}
	switch {
	case n > 0:
		err = o.SetRange(off, off+n-1)
	case off > 0:
		err = o.SetRange(off, 0)
	}
	if err != nil {
		return nil, driver.Wrap(driver.InvalidArgument, err, "s3")
	}
	body, info, _, err := c.core.GetObject(ctx, c.bucket, key, o)
	if err != nil {
		return nil, sourceError(ctx, err, c.bucket, key)
	}
	// Some S3-compatible servers ignore If-Match: check the served ETag too.
	if opts != nil && opts.IfMatch != "" && info.ETag != "" && strings.Trim(info.ETag, `"`) != strings.Trim(opts.IfMatch, `"`) {
		body.Close()
		return nil, &driver.Error{Code: driver.Changed, Msg: fmt.Sprintf("s3: s3://%s/%s changed", c.bucket, key)}
	}
	return &readErrs{rc: body}, nil
}

// readErrs classifies failures while reading the body as Unavailable.
type readErrs struct{ rc io.ReadCloser }

func (r *readErrs) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = driver.Wrap(driver.Unavailable, err, "s3: reading")
	}
	return n, err
}

func (r *readErrs) Close() error { return r.rc.Close() }

// sourceError is the driver's error for a failed request: the caller's cancellation,
// Changed for a failed If-Match, else classify's error, whose keystore class carries
// its code (backend/errs).
func sourceError(ctx context.Context, err error, bucket, key string) error {
	if ctx.Err() != nil {
		return driver.Wrap(driver.Canceled, ctx.Err(), "s3")
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed) {
		return &driver.Error{Code: driver.Changed, Status: resp.StatusCode, Msg: fmt.Sprintf("s3: s3://%s/%s changed", bucket, key)}
	}
	return classify(err, bucket, key)
}

// Put implements driver.Writer with Client.Upload, which checks the stored size and
// MD5 ETag (an error with Code DataLoss otherwise).
func (s *Source) Put(ctx context.Context, u *url.URL, r io.Reader, size int64, opts *driver.WriteOptions) (driver.Info, error) {
	c, key, err := s.client(u)
	if err != nil {
		return driver.Info{}, err
	}
	ct := ""
	if opts != nil {
		ct = opts.ContentType
	}
	rr := &keyed.Reader{R: r}
	res, err := c.Upload(ctx, key, rr, size, ct)
	switch {
	case rr.Err != nil:
		return driver.Info{}, fmt.Errorf("s3: s3://%s/%s: %w", c.bucket, key, rr.Err)
	case ctx.Err() != nil:
		return driver.Info{}, driver.Wrap(driver.Canceled, ctx.Err(), "s3")
	case err != nil:
		return driver.Info{}, err // classified: keystore classes carry their code
	}
	return driver.Info{Size: res.Size, ETag: `"` + res.ETag + `"`, AcceptRanges: true}, nil
}

// List implements driver.Lister over the key's bucket: objects and common prefixes
// directly under u's key (a folder). An empty prefix counts as missing.
func (s *Source) List(ctx context.Context, u *url.URL, limit int) ([]driver.Entry, bool, error) {
	c, prefix, err := s.clientFor(u, false)
	if err != nil {
		return nil, false, err
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	objs, more, err := c.List(ctx, prefix, ListOptions{Limit: limit})
	if err != nil {
		return nil, false, sourceError(ctx, err, c.bucket, prefix)
	}
	if len(objs) == 0 {
		return nil, false, driver.Errorf(driver.NotFound, "s3: nothing under s3://%s/%s", c.bucket, prefix)
	}
	out := make([]driver.Entry, 0, len(objs))
	for _, o := range objs {
		e := driver.Entry{Name: strings.TrimSuffix(strings.TrimPrefix(o.Key, prefix), "/"), IsDir: o.IsPrefix}
		if !e.IsDir {
			e.Info = driver.Info{Size: o.Size, ETag: `"` + o.ETag + `"`, ModTime: o.LastModified, AcceptRanges: true}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b driver.Entry) int { return strings.Compare(a.Name, b.Name) })
	return out, more, nil
}
