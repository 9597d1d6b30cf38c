package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/driver"
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

var _ driver.Source = (*Source)(nil)

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
		where := driver.RedactURL(u)
		if store == nil {
			return nil, &keystore.NoKeyError{URL: where, Kind: "S3"}
		}
		if store.Locked() {
			return nil, &keystore.NoKeyError{URL: where, Kind: "S3", Locked: true}
		}
		k, ok := store.Match(u.String(), keystore.Download)
		if !ok || (k.Kind != keystore.KindS3 && k.Kind != keystore.KindEODATA) {
			return nil, &keystore.NoKeyError{URL: where, Kind: "S3"}
		}
		return k, nil
	}}
}

func (s *Source) client(u *url.URL) (*Client, string, error) {
	bucket, key, err := ParseURL(u.String())
	if err != nil {
		return nil, "", driver.Wrap(driver.InvalidArgument, err, "s3")
	}
	if key == "" {
		return nil, "", driver.Errorf(driver.InvalidArgument, "s3: %s names no object", driver.RedactURL(u))
	}
	if s.Resolve == nil {
		return nil, "", driver.Errorf(driver.PermissionDenied, "s3: no keystore")
	}
	k, err := s.Resolve(u)
	if err != nil || k == nil {
		if err == nil {
			err = fmt.Errorf("no S3 key for %s", driver.RedactURL(u))
		}
		return nil, "", driver.Wrap(driver.PermissionDenied, err, "s3")
	}
	if k.Kind != keystore.KindS3 && k.Kind != keystore.KindEODATA {
		return nil, "", driver.Errorf(driver.PermissionDenied, "s3: key %q for %s is not an S3 key", k.Name, driver.RedactURL(u))
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
		return driver.Info{}, toDriver(ctx, err, c.bucket, key)
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
		return nil, toDriver(ctx, err, c.bucket, key)
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

func toDriver(ctx context.Context, err error, bucket, key string) error {
	if ctx.Err() != nil {
		return driver.Wrap(driver.Canceled, ctx.Err(), "s3")
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) && (resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed) {
		return &driver.Error{Code: driver.Changed, Status: resp.StatusCode, Msg: fmt.Sprintf("s3: s3://%s/%s changed", bucket, key)}
	}
	ce := classify(err, bucket, key)
	code := driver.Unknown
	switch {
	case errors.Is(ce, keystore.ErrRemoteNotFound):
		code = driver.NotFound
	case errors.Is(ce, keystore.ErrDenied):
		code = driver.PermissionDenied
	case errors.Is(ce, keystore.ErrUnavailable):
		code = driver.Unavailable
	case errors.Is(ce, keystore.ErrInvalid):
		code = driver.InvalidArgument
	}
	return &driver.Error{Code: code, Status: resp.StatusCode, Msg: "s3", Err: ce}
}
