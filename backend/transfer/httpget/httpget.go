// Package httpget is the transfer driver for http and https URLs. It issues plain
// HTTP/1.1 GET (and HEAD) requests with byte ranges; it does not retry, split or
// resume — the transfer package does that.
package httpget

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Authorizer adds credentials to an outgoing request (an Authorization header, a
// signature, a cookie). It is called once per request, including Stat's. The client's
// redirect policy (netpolicy.CheckRedirect) drops every credential header when a
// redirect leaves the request's origin.
type Authorizer interface {
	Apply(*http.Request) error
}

// AuthorizerFunc adapts a function to Authorizer.
type AuthorizerFunc func(*http.Request) error

// Apply calls f(r).
func (f AuthorizerFunc) Apply(r *http.Request) error { return f(r) }

// Options configure a Source. The zero value is usable.
type Options struct {
	// Client sends the requests. Nil means a client built by NewTransport with no
	// overall timeout (stalls are detected by the transfer layer). Either way its
	// redirects follow netpolicy.CheckRedirect.
	Client *http.Client
	// Auth, when set, is applied to every request.
	Auth Authorizer
	// UserAgent is sent when not empty.
	UserAgent string
}

// Source is the http(s) driver.
type Source struct {
	client *http.Client
	auth   Authorizer
	ua     string
}

var _ driver.Source = (*Source)(nil)

// New returns a Source.
func New(opts Options) *Source {
	c := opts.Client
	if c == nil {
		c = &http.Client{Transport: netpolicy.Transport(NewTransport())}
	}
	c = netpolicy.Client(c)
	return &Source{client: c, auth: opts.Auth, ua: opts.UserAgent}
}

// NewTransport returns a transport (used through netpolicy.Transport, which refuses
// local addresses a request's netpolicy.Scope does not allow) suited to parallel range downloads: HTTP/1.1 only
// (several TCP connections, not streams multiplexed on one), enough idle connections
// per host to reuse them between ranges, and no transparent gzip (which would change
// the bytes and break ranges).
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	t.MaxIdleConns = 256
	t.DisableCompression = true
	t.ResponseHeaderTimeout = 60 * time.Second
	t.ForceAttemptHTTP2 = false
	p := new(http.Protocols)
	p.SetHTTP1(true)
	t.Protocols = p
	return t
}

func (s *Source) newRequest(ctx context.Context, method string, u *url.URL) (*http.Request, error) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, driver.Errorf(driver.InvalidArgument, "http: unsupported scheme %q", u.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, driver.Wrap(driver.InvalidArgument, err, "http: bad URL "+driver.RedactURL(u))
	}
	if s.ua != "" {
		req.Header.Set("User-Agent", s.ua)
	}
	if s.auth != nil {
		if err := s.auth.Apply(req); err != nil {
			return nil, driver.Wrap(credentialsCode(err), err, "http: applying credentials")
		}
	}
	return req, nil
}

// Renewer is an Authorizer that may get new credentials (OpenID Connect tokens;
// ogcapi.Renewer): after a 401 the Source calls Renew with the refused request
// and, when it reports renewed, sends the request once more.
type Renewer interface {
	Renew(rejected *http.Request) (renewed bool, err error)
}

// credentialsCode classifies a failure to get credentials: passing (an OpenID
// provider not answering: the error has a Temporary method reporting true) or
// a refusal.
func credentialsCode(err error) driver.ErrorCode {
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) && tmp.Temporary() {
		return driver.Unavailable
	}
	return driver.PermissionDenied
}

func (s *Source) do(req *http.Request) (*http.Response, error) {
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, netError(req, err)
	}
	rn, ok := s.auth.(Renewer)
	if resp.StatusCode != http.StatusUnauthorized || !ok {
		return resp, nil
	}
	renewed, err := rn.Renew(req)
	if err != nil {
		resp.Body.Close()
		return nil, driver.Wrap(driver.PermissionDenied, err, "http: "+driver.RedactURL(req.URL)+" refused the credentials")
	}
	if !renewed {
		return resp, nil
	}
	resp.Body.Close()
	again := req.Clone(req.Context())
	if err := s.auth.Apply(again); err != nil {
		return nil, driver.Wrap(driver.PermissionDenied, err, "httpsrc: applying credentials")
	}
	if resp, err = s.client.Do(again); err != nil {
		return nil, netError(again, err)
	}
	return resp, nil
}

// Stat sends HEAD; when HEAD is refused (some presigned URLs are only valid for GET),
// it asks for the first byte with GET instead.
func (s *Source) Stat(ctx context.Context, u *url.URL) (driver.Info, error) {
	req, err := s.newRequest(ctx, http.MethodHead, u)
	if err != nil {
		return driver.Info{}, err
	}
	resp, err := s.do(req)
	if err != nil {
		return driver.Info{}, err
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
		return infoOf(resp, -1), nil
	case resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented ||
		resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusBadRequest:
		return s.statGET(ctx, u)
	default:
		return driver.Info{}, statusError(req, resp)
	}
}

func (s *Source) statGET(ctx context.Context, u *url.URL) (driver.Info, error) {
	req, err := s.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return driver.Info{}, err
	}
	req.Header.Set("Range", "bytes=0-0")
	resp, err := s.do(req)
	if err != nil {
		return driver.Info{}, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return infoOf(resp, -1), nil
	case http.StatusPartialContent:
		_, _, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return driver.Info{}, driver.Wrap(driver.Unknown, err, "http: GET "+driver.RedactURL(req.URL))
		}
		info := infoOf(resp, total)
		info.AcceptRanges = true
		return info, nil
	case http.StatusRequestedRangeNotSatisfiable:
		// Only an empty object has no byte 0.
		return driver.Info{Size: 0, ETag: resp.Header.Get("ETag")}, nil
	}
	return driver.Info{}, statusError(req, resp)
}

func infoOf(resp *http.Response, size int64) driver.Info {
	if size < 0 {
		size = resp.ContentLength
		if resp.Header.Get("Content-Encoding") != "" {
			size = -1 // the length of an encoded body says nothing of the file
		}
	}
	info := driver.Info{Size: size, ETag: resp.Header.Get("ETag")}
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		if t, err := http.ParseTime(lm); err == nil {
			info.ModTime = t
		}
	}
	for _, v := range resp.Header.Values("Accept-Ranges") {
		if strings.Contains(strings.ToLower(v), "bytes") {
			info.AcceptRanges = size > 0
		}
	}
	return info
}

var _ driver.Opener = (*Source)(nil)

// Open sends one GET for the whole object: the small files of the transfer layer need
// no HEAD before it.
func (s *Source) Open(ctx context.Context, u *url.URL) (io.ReadCloser, driver.Info, error) {
	req, err := s.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, driver.Info{}, err
	}
	resp, err := s.do(req)
	if err != nil {
		return nil, driver.Info{}, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, driver.Info{}, statusError(req, resp)
	}
	info := infoOf(resp, -1)
	want := resp.ContentLength
	if info.Size < 0 {
		want = -1 // an encoded body is read to its end
	}
	return body(req, resp, want), info, nil
}

// ReadRange sends GET with a Range header (none for the whole object).
func (s *Source) ReadRange(ctx context.Context, u *url.URL, off, n int64, opts *driver.ReadOptions) (io.ReadCloser, error) {
	if off < 0 || n == 0 {
		return nil, driver.Errorf(driver.InvalidArgument, "http: bad range off=%d n=%d", off, n)
	}
	req, err := s.newRequest(ctx, http.MethodGet, u)
	if err != nil {
		return nil, err
	}
	var etag string
	if opts != nil {
		etag = opts.IfMatch
	}
	switch {
	case n > 0:
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	case off > 0:
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	// If-Match compares strongly: a weak tag would never match, so it is checked on the
	// response instead.
	if etag != "" && !strings.HasPrefix(etag, "W/") {
		req.Header.Set("If-Match", etag)
	}
	resp, err := s.do(req)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (io.ReadCloser, error) {
		resp.Body.Close()
		return nil, err
	}
	if etag != "" && resp.StatusCode < 300 {
		if got := resp.Header.Get("ETag"); got != "" && got != etag {
			return fail(driver.Errorf(driver.Changed, "http: %s changed (ETag %s, was %s)", driver.RedactURL(req.URL), got, etag))
		}
	}
	switch resp.StatusCode {
	case http.StatusPartialContent:
		start, end, _, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil {
			return fail(driver.Wrap(driver.Unknown, err, "http: GET "+driver.RedactURL(req.URL)))
		}
		if start != off || (n > 0 && end != off+n-1) {
			return fail(driver.Errorf(driver.Unknown, "http: GET %s: asked for bytes %d+%d, got %d-%d",
				driver.RedactURL(req.URL), off, n, start, end))
		}
		return body(req, resp, end-start+1), nil
	case http.StatusOK:
		if off > 0 {
			return fail(driver.Errorf(driver.RangeUnsupported, "http: %s ignores byte ranges", driver.RedactURL(req.URL)))
		}
		if n > 0 {
			// The server sent everything; the caller wanted a prefix.
			return body(req, resp, n), nil
		}
		return body(req, resp, resp.ContentLength), nil
	}
	return fail(statusError(req, resp))
}

// bodyReader limits a response body to want bytes (when want >= 0), reports a short
// body as a transient error and classifies read errors.
type bodyReader struct {
	req  *http.Request
	rc   io.ReadCloser
	left int64 // -1: unknown
}

func body(req *http.Request, resp *http.Response, want int64) io.ReadCloser {
	return &bodyReader{req: req, rc: resp.Body, left: want}
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if b.left > 0 && int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	switch {
	case err == io.EOF && b.left > 0:
		err = driver.Wrap(driver.Unavailable, io.ErrUnexpectedEOF, "http: body of "+driver.RedactURL(b.req.URL)+" ended early")
	case err != nil && err != io.EOF:
		err = netError(b.req, err)
	case err == nil && b.left == 0:
		err = io.EOF
	}
	return n, err
}

func (b *bodyReader) Close() error { return b.rc.Close() }

func parseContentRange(s string) (start, end, total int64, err error) {
	// bytes START-END/TOTAL (TOTAL may be *)
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "bytes ")
	if !ok {
		return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	rng, tot, ok := strings.Cut(rest, "/")
	a, b, ok2 := strings.Cut(rng, "-")
	if !ok || !ok2 {
		return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	if start, err = strconv.ParseInt(a, 10, 64); err == nil {
		end, err = strconv.ParseInt(b, 10, 64)
	}
	if err != nil || start < 0 || end < start {
		return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total <= end {
			return 0, 0, 0, fmt.Errorf("bad Content-Range %q", s)
		}
	}
	return start, end, total, nil
}

func statusError(req *http.Request, resp *http.Response) error {
	code := driver.Unknown
	switch s := resp.StatusCode; {
	case s == http.StatusNotFound || s == http.StatusGone:
		code = driver.NotFound
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		code = driver.PermissionDenied
	case s == http.StatusPreconditionFailed:
		code = driver.Changed
	case s == http.StatusRequestedRangeNotSatisfiable:
		code = driver.InvalidArgument
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		code = driver.Unavailable
	}
	e := &driver.Error{
		Code:   code,
		Status: resp.StatusCode,
		Msg:    fmt.Sprintf("http: %s %s: %s", req.Method, driver.RedactURL(req.URL), resp.Status),
	}
	e.RetryAfter = retry.After(resp.Header.Get("Retry-After"), time.Now())
	return e
}

// netError classifies a transport error. *url.Error is unwrapped because its message
// holds the full URL, signature included.
func netError(req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	msg := fmt.Sprintf("http: %s %s", req.Method, driver.RedactURL(req.URL))
	if errors.Is(err, netpolicy.ErrRefused) {
		return driver.Wrap(driver.PermissionDenied, err, msg)
	}
	if ctxErr := req.Context().Err(); ctxErr != nil {
		return driver.Wrap(driver.Canceled, context.Cause(req.Context()), msg)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return driver.Wrap(driver.NotFound, err, msg)
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	if errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) {
		return driver.Wrap(driver.PermissionDenied, err, msg)
	}
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.As(err, &ne):
		return driver.Wrap(driver.Unavailable, err, msg)
	}
	// Anything else from the transport (TLS alerts, protocol errors from a misbehaving
	// server) is most often transient too.
	return driver.Wrap(driver.Unavailable, err, msg)
}
