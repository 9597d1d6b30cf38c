// Package webdav reads and writes WebDAV shares (WEkEO Drive, Nextcloud, …) with
// a keystore key: test the key (PROPFIND), stat / open / range-read a file, and
// upload with mkdir -p and verification. Errors are translated into the
// keystore's classes (ErrRemoteNotFound, ErrDenied, ErrUnavailable, ErrVerify).
package webdav

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/studio-b12/gowebdav"
)

// Options tune a Client.
type Options struct {
	// Transport replaces the default HTTP transport (tests, proxies).
	Transport http.RoundTripper
}

// Client is a WebDAV share opened with a key. Paths are relative to the key's
// endpoint.
type Client struct {
	endpoint string
	user     string
	pass     keystore.Secret
	keyName  string
	base     http.RoundTripper
}

// New opens the key's share. The key must be a WebDAV key.
func New(k *keystore.Key, opt Options) (*Client, error) {
	if k.Kind != keystore.KindWebDAV {
		return nil, fmt.Errorf("%w: %s key %q is not a WebDAV key", keystore.ErrInvalid, k.Kind, k.Name)
	}
	u, err := url.Parse(k.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: key %q: endpoint must be an http(s) URL", keystore.ErrInvalid, k.Name)
	}
	base := opt.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	return &Client{endpoint: k.Endpoint, user: k.Username, pass: k.Secret, keyName: k.Name, base: base}, nil
}

// ctxTransport binds every request to one context (gowebdav takes none).
type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// dav returns a gowebdav client whose requests carry ctx.
func (c *Client) dav(ctx context.Context) *gowebdav.Client {
	d := gowebdav.NewAuthClient(c.endpoint, gowebdav.NewPreemptiveAuth(&basicAuth{user: c.user, pass: c.pass}))
	// gowebdav follows redirects with its own http.Client, whose policy cannot be
	// set: GuardRedirects holds each hop to netpolicy.CheckRedirect (an upload is
	// never sent on to another site nor turned into a GET, credentials stay home).
	d.SetTransport(ctxTransport{ctx: ctx, base: netpolicy.GuardRedirects(c.base)})
	return d
}

// basicAuth sends HTTP basic credentials with every request. Preemptive, not
// challenge-based: a streamed upload cannot be replayed after a 401, and some
// servers send no WWW-Authenticate challenge.
type basicAuth struct {
	user string
	pass keystore.Secret
}

func (b *basicAuth) Authorize(_ *http.Client, rq *http.Request, _ string) error {
	rq.SetBasicAuth(b.user, b.pass.Reveal())
	return nil
}

func (b *basicAuth) Verify(_ *http.Client, rs *http.Response, p string) (bool, error) {
	if rs.StatusCode == http.StatusUnauthorized {
		return false, gowebdav.NewPathError("Authorize", p, rs.StatusCode)
	}
	return false, nil
}

func (b *basicAuth) Clone() gowebdav.Authenticator { return b }
func (b *basicAuth) Close() error                  { return nil }
func (b *basicAuth) String() string                { return "basic auth for " + b.user }

// File describes a file or folder.
type File struct {
	Path    string
	Size    int64
	ModTime time.Time
	IsDir   bool
	ETag    string
}

func clean(p string) (string, error) {
	if strings.Contains(p, "\x00") {
		return "", fmt.Errorf("%w: bad path", keystore.ErrInvalid)
	}
	c := path.Clean("/" + p)
	return c, nil
}

// Test checks the key with a PROPFIND of the share's root.
func (c *Client) Test(ctx context.Context) error {
	if _, err := c.dav(ctx).Stat("/"); err != nil {
		return c.classify(ctx, err, "/")
	}
	return nil
}

// Stat describes the file at p.
func (c *Client) Stat(ctx context.Context, p string) (File, error) {
	p, err := clean(p)
	if err != nil {
		return File{}, err
	}
	fi, err := c.dav(ctx).Stat(p)
	if err != nil {
		return File{}, c.classify(ctx, err, p)
	}
	f := File{Path: p, Size: fi.Size(), ModTime: fi.ModTime(), IsDir: fi.IsDir()}
	if gf, ok := fi.(gowebdav.File); ok {
		f.ETag = strings.Trim(gf.ETag(), `"`)
	}
	return f, nil
}

// Open reads the file from offset; length < 0 reads to the end. The request is
// made before Open returns.
func (c *Client) Open(ctx context.Context, p string, offset, length int64) (io.ReadCloser, error) {
	p, err := clean(p)
	if err != nil {
		return nil, err
	}
	if offset < 0 || length == 0 || length < -1 {
		return nil, fmt.Errorf("%w: bad range offset %d length %d", keystore.ErrInvalid, offset, length)
	}
	d := c.dav(ctx)
	var rc io.ReadCloser
	if offset == 0 && length < 0 {
		rc, err = d.ReadStream(p)
	} else {
		rc, err = d.ReadStreamRange(p, offset, max(length, 0))
	}
	if err != nil {
		return nil, c.classify(ctx, err, p)
	}
	return rc, nil
}

// UploadResult is what Upload wrote.
type UploadResult struct {
	Path string
	Size int64
}

// Upload creates the parent folders (mkdir -p), streams r (size bytes, or -1 when
// unknown) to a hidden name beside p and moves it onto p (MOVE, Overwrite: T) once
// the server has all of it, then checks the stored size (ErrVerify on a mismatch).
// So an upload that fails never leaves a partial file under p, nor removes the file
// p held before. Its hidden file is removed; a server still writing it when the
// DELETE arrives can keep it (the client cannot know when the server is done with a
// request whose body it broke off).
func (c *Client) Upload(ctx context.Context, p string, r io.Reader, size int64) (UploadResult, error) {
	p, err := clean(p)
	if err != nil {
		return UploadResult{}, err
	}
	if p == "/" {
		return UploadResult{}, fmt.Errorf("%w: upload needs a file path", keystore.ErrInvalid)
	}
	d := c.dav(ctx)
	if dir := path.Dir(p); dir != "/" {
		if err := d.MkdirAll(dir, 0o755); err != nil {
			return UploadResult{}, c.classify(ctx, err, dir)
		}
	}
	tmp := path.Join(path.Dir(p), "."+path.Base(p)+"."+rand.Text()[:12]+".part")
	cr := &countReader{r: r}
	if size >= 0 {
		err = d.WriteStreamWithLength(tmp, cr, size, 0o644)
	} else {
		err = d.WriteStream(tmp, cr, 0o644)
	}
	if err == nil && size >= 0 && cr.n != size {
		err = fmt.Errorf("%w: %s: read %d bytes, expected %d", keystore.ErrVerify, p, cr.n, size)
	}
	if err == nil {
		err = d.Rename(tmp, p, true)
	}
	if err != nil {
		_ = c.dav(context.WithoutCancel(ctx)).Remove(tmp)
		if errors.Is(err, keystore.ErrVerify) {
			return UploadResult{Path: p, Size: cr.n}, err
		}
		return UploadResult{}, c.classify(ctx, err, p)
	}
	res := UploadResult{Path: p, Size: cr.n}
	st, err := c.Stat(ctx, p)
	if err != nil {
		return res, fmt.Errorf("%w: %s: cannot stat the uploaded file: %v", keystore.ErrVerify, p, err)
	}
	if st.Size != cr.n {
		return res, fmt.Errorf("%w: %s: stored %d bytes, sent %d", keystore.ErrVerify, p, st.Size, cr.n)
	}
	return res, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// classify maps gowebdav errors onto the keystore classes. gowebdav's messages
// do not contain the password; the URL is the endpoint, which carries none.
func (c *Client) classify(ctx context.Context, err error, p string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var se gowebdav.StatusError
	status := 0
	switch {
	case errors.As(err, &se):
		status = se.Status
	case gowebdav.IsErrNotFound(err) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrNotExist):
		status = http.StatusNotFound
	case gowebdav.IsErrCode(err, http.StatusUnauthorized):
		status = http.StatusUnauthorized
	case gowebdav.IsErrCode(err, http.StatusForbidden):
		status = http.StatusForbidden
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		var se2 gowebdav.StatusError
		if errors.As(pe.Err, &se2) {
			status = se2.Status
		}
	}
	where := fmt.Sprintf("WebDAV %s%s", strings.TrimRight(c.endpoint, "/"), p)
	if errors.Is(err, netpolicy.ErrRefused) {
		// A redirect the network policy does not follow: asking again gets the same.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &errs.Error{Code: errs.PermissionDenied, Msg: where, Err: err}
	}
	switch {
	case status == http.StatusNotFound:
		return fmt.Errorf("%w: %s: HTTP 404", keystore.ErrRemoteNotFound, where)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Errorf("%w: %s: HTTP %d %s", keystore.ErrDenied, where, status, http.StatusText(status))
	case status >= 400 && status < 500:
		return fmt.Errorf("%w: %s: HTTP %d %s", keystore.ErrInvalid, where, status, http.StatusText(status))
	case status >= 500:
		return fmt.Errorf("%w: %s: HTTP %d %s", keystore.ErrUnavailable, where, status, http.StatusText(status))
	}
	return fmt.Errorf("%w: %s: %v", keystore.ErrUnavailable, where, err)
}
