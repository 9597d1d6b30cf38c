// Package ogcapi is the client for OGC API – Processes servers: Part 1 Core 1.0
// (discovery, process descriptions, execution, jobs, results, dismiss) and Part 2
// Deploy, Replace, Undeploy. It is lenient with what real servers send (ZOO-Project-DRU,
// pygeoapi, EOEPCA; see CLIENT-NOTES.md) and strict in what it sends. It does not poll
// jobs or download result files: that is the job monitor's and the download manager's work.
package ogcapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/retry"
)

// UserAgent is the default User-Agent header; the application sets it to its version.
var UserAgent = "geojobs/dev"

// Defaults.
const (
	DefaultTimeout = 30 * time.Second
	DefaultRetries = 3
)

// Response size limits: documents are small; results may carry whole STAC catalogs
// or raw outputs.
const (
	maxDocBody    = 32 << 20
	maxResultBody = 512 << 20
)

// Client talks to one OGC API – Processes endpoint. It is safe for concurrent use.
//
// A URL the server names on another origin than the endpoint's (a job's Location or
// monitor link, a next page) is fetched without the credentials. Every request is made
// under the endpoint's netpolicy.Scope: neither such a URL nor a redirect may reach
// loopback, private and link-local addresses (a cloud's metadata service) unless the
// endpoint is on one itself or the user allowed it (WithPrivateNetworks).
type Client struct {
	base    *url.URL // endpoint, path ending in "/"
	hc      *http.Client
	creds   Credentials
	timeout time.Duration
	ua      string
	log     *slog.Logger
	retries int

	// backoff schedules GET retries (backend/retry); a server's Retry-After is
	// honoured up to a minute.
	backoff retry.Policy
	sleep   func(ctx context.Context, d time.Duration) error // tests record the waits
	outcome func(ctx context.Context, err error)             // WithOutcome
	private func(ctx context.Context) bool                   // WithPrivateNetworks
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (proxies, TLS, test servers). The Client uses a
// copy whose redirect policy also strips credentials on redirects leaving the endpoint's origin.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			cp := *hc
			c.hc = &cp
		}
	}
}

// WithCredentials authorises requests to the endpoint.
func WithCredentials(cr Credentials) Option { return func(c *Client) { c.creds = cr } }

// WithTimeout limits each HTTP exchange (sending the request and reading the whole
// answer); default 30 s. The caller's context bounds the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithLogger logs requests at debug level and retries at warn level. Credentials and
// sensitive query parameters are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.log = l
		}
	}
}

// WithRetry sets how many times a failed GET is retried (429, 502, 503, 504 and
// transport failures); 0 disables retries. POST, PUT and DELETE are never retried.
func WithRetry(max int) Option {
	return func(c *Client) {
		if max >= 0 {
			c.retries = max
		}
	}
}

// WithOutcome has fn told the outcome of each call to the endpoint's origin, retries
// done: nil when the server answered with success, the error otherwise (an *APIError,
// or the context's error when the caller gave up). It is how a caller keeps an
// endpoint's health from everyday use; fn is called on the caller's goroutine and
// should return quickly.
func WithOutcome(fn func(ctx context.Context, err error)) Option {
	return func(c *Client) { c.outcome = fn }
}

// WithPrivateNetworks tells the client whether the user lets servers' answers send it
// to loopback and private-network addresses (Settings → "Servers on a private
// network"); without it they may not. See Client for what this governs.
func WithPrivateNetworks(allowed func(ctx context.Context) bool) Option {
	return func(c *Client) { c.private = allowed }
}

// New returns a client for the endpoint, the URL of the API's landing page, with or
// without a trailing slash and possibly with a path prefix ("http://host/acme/ogc-api").
// Credentials must be given with WithCredentials, not in the URL.
func New(endpoint string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil {
		return nil, fmt.Errorf("ogcapi: endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ogcapi: endpoint %q: want an http or https URL", redactURL(u))
	}
	if u.User != nil {
		return nil, errors.New("ogcapi: endpoint: put credentials in WithCredentials, not in the URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("ogcapi: endpoint %q: query and fragment are not allowed", redactURL(u))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	c := &Client{
		base: u, timeout: DefaultTimeout, ua: UserAgent, retries: DefaultRetries,
		log:     slog.New(slog.DiscardHandler),
		backoff: retry.Policy{Base: 500 * time.Millisecond, Max: 10 * time.Second, MaxRetryAfter: time.Minute},
		sleep:   retry.Sleep,
	}
	for _, o := range opts {
		o(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{}
	}
	if c.hc.Transport == nil {
		c.hc.Transport = defaultTransport
	} else {
		c.hc.Transport = netpolicy.Guard(c.hc.Transport)
	}
	c.hc.CheckRedirect = netpolicy.WrapCheckRedirect(c.hc.CheckRedirect)
	return c, nil
}

// Endpoint returns the endpoint URL (always ending in "/").
func (c *Client) Endpoint() string { return c.base.String() }

// sameOrigin reports whether u is on the endpoint's origin (netpolicy.SameOrigin).
func (c *Client) sameOrigin(u *url.URL) bool { return netpolicy.SameOrigin(u, c.base) }

// endpointURL returns the endpoint URL extended by the path segments, each escaped.
func (c *Client) endpointURL(segs ...string) *url.URL {
	u := *c.base
	esc := make([]string, len(segs))
	for i, s := range segs {
		esc[i] = url.PathEscape(s)
	}
	rel := strings.Join(esc, "/")
	p, err := url.PathUnescape(u.EscapedPath() + rel)
	if err != nil { // cannot happen: rel is escaped and the base came from url.Parse
		p = u.Path + strings.Join(segs, "/")
	}
	u.Path, u.RawPath = p, u.EscapedPath()+rel
	if u.RawPath == u.Path {
		u.RawPath = ""
	}
	return &u
}

// resolve reads a server-provided href relative to base (the URL that sent it).
func resolve(base *url.URL, href string) (*url.URL, error) {
	href = strings.TrimSpace(href)
	if href == "" {
		return nil, errors.New("empty href")
	}
	ref, err := url.Parse(href)
	if err != nil {
		return nil, err
	}
	u := base.ResolveReference(ref)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("unsupported scheme %q", u.Scheme)
	}
	return u, nil
}

// request is one logical HTTP call.
type request struct {
	method      string
	url         *url.URL
	body        []byte
	contentType string
	accept      string
	header      http.Header
	notFound    Code  // the code of a 404 whose body does not say more
	jsonDoc     bool  // a JSON resource: if a GET gets HTML, ask again with ?f=json
	maxBody     int64 // 0: maxDocBody
	anonymous   bool  // sent without the client's credentials
}

// response is a complete HTTP answer.
type response struct {
	status  int
	header  http.Header
	body    []byte
	url     *url.URL      // the URL that answered, after redirects
	secrets []string      // credential values to scrub from anything derived from the answer
	req     *http.Request // the request that got the answer (for Renewer)
}

const acceptJSON = "application/json"

// send performs r, retrying a GET on 429/502/503/504 and transport failures, and turns
// an HTTP error answer into an *APIError; a call to the endpoint's origin tells its
// outcome (WithOutcome).
func (c *Client) send(ctx context.Context, r request) (*response, error) {
	resp, err := c.sendRetrying(ctx, r)
	if c.outcome != nil && c.sameOrigin(r.url) {
		c.outcome(ctx, err)
	}
	return resp, err
}

func (c *Client) sendRetrying(ctx context.Context, r request) (*response, error) {
	retryable := r.method == http.MethodGet || r.method == http.MethodHead
	triedF, renewed := false, false
	for attempt := 0; ; {
		resp, err := c.once(ctx, r)
		if err == nil && resp.status == http.StatusUnauthorized && !renewed && !r.anonymous {
			renewed = true
			ok, rerr := c.renew(ctx, resp)
			if rerr != nil {
				return nil, &APIError{Method: r.method, URL: redactURL(r.url), Status: resp.status, Code: Unauthorized,
					Err: fmt.Errorf("credentials: %w", rerr)}
			}
			if ok {
				continue
			}
		}
		if err == nil && r.jsonDoc && retryable && !triedF && r.url.Query().Get("f") == "" &&
			(resp.status == http.StatusNotAcceptable || resp.status/100 == 2 && !isJSONAnswer(resp)) {
			// Some servers answer browsers' defaults even to Accept: application/json.
			triedF = true
			u := *r.url
			q := u.Query()
			q.Set("f", "json")
			u.RawQuery = q.Encode()
			r.url = &u
			c.log.DebugContext(ctx, "ogcapi: non-JSON answer, asking again with f=json", "url", redactURL(&u))
			continue
		}
		if err == nil && resp.status >= 400 {
			err = c.httpError(r, resp)
		}
		if err == nil && resp.status/100 == 3 {
			// A redirect net/http did not follow (no Location, 300, 304): not an
			// answer to read as one.
			err = badResponse(r, resp, fmt.Errorf("the server answered %d %s and pointed nowhere geojobs can follow",
				resp.status, http.StatusText(resp.status)))
		}
		if err == nil {
			return resp, nil
		}
		if !retryable || attempt >= c.retries || !shouldRetry(err) {
			return nil, err
		}
		var retryAfter time.Duration
		if resp != nil {
			retryAfter = retry.After(resp.header.Get("Retry-After"), time.Now())
		}
		wait := c.backoff.Delay(attempt+1, retryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, err
		}
		c.log.WarnContext(ctx, "ogcapi: retrying", "method", r.method, "url", redactURL(r.url),
			"attempt", attempt+1, "wait", wait, "err", err.Error())
		if err := c.sleep(ctx, wait); err != nil {
			return nil, c.ctxError(r, err)
		}
		attempt++
	}
}

// renew asks credentials that can (a Renewer) for new ones after a 401 to a
// request they authorised.
func (c *Client) renew(ctx context.Context, resp *response) (bool, error) {
	rn, ok := c.creds.(Renewer)
	if !ok || resp.req == nil || !c.sameOrigin(resp.req.URL) || len(resp.secrets) == 0 {
		return false, nil
	}
	c.log.DebugContext(ctx, "ogcapi: credentials refused; renewing them once", "url", redactURL(resp.req.URL))
	return rn.Renew(resp.req.WithContext(ctx))
}

// once performs one HTTP exchange and reads the whole answer.
func (c *Client) once(ctx context.Context, r request) (*response, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.ctxError(r, err)
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	res, secrets, err := c.exchange(ctx, actx, r)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	limit := r.maxBody
	if limit <= 0 {
		limit = maxDocBody
	}
	data, err := readBody(res, limit)
	if err != nil {
		return nil, c.transportError(ctx, actx, r, err, secrets)
	}
	c.log.DebugContext(ctx, "ogcapi", "method", r.method, "url", redactURL(r.url), "status", res.StatusCode,
		"bytes", len(data), "elapsed", time.Since(start))
	if int64(len(data)) > limit {
		return nil, &APIError{Method: r.method, URL: redactURL(r.url), Status: res.StatusCode, Code: BadResponse,
			Err: fmt.Errorf("answer larger than %d MiB", limit>>20)}
	}
	return &response{status: res.StatusCode, header: res.Header, body: data, url: res.Request.URL, secrets: secrets, req: res.Request}, nil
}

// readBody reads at most limit+1 bytes of an answer: into one buffer of the right
// size when the answer says its length (io.ReadAll grows its buffer by doubling, so a
// job list of 650 kB cost 1.3 MB).
func readBody(res *http.Response, limit int64) ([]byte, error) {
	r := io.LimitReader(res.Body, limit+1)
	if n := res.ContentLength; n > 0 && n <= limit {
		var b bytes.Buffer
		b.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead free bytes before it reads
		_, err := b.ReadFrom(r)
		return b.Bytes(), err
	}
	return io.ReadAll(r)
}

// exchange sends r within actx (the exchange's time limit; ctx is the caller's) and
// returns the answer with its body unread. The credentials go only to the endpoint's
// origin; secrets are their values, to scrub from anything derived from the answer.
func (c *Client) exchange(ctx, actx context.Context, r request) (*http.Response, []string, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(actx, r.method, r.url.String(), body)
	if err != nil {
		return nil, nil, &APIError{Method: r.method, URL: redactURL(r.url), Code: InvalidInput, Err: err}
	}
	accept := r.accept
	if accept == "" {
		accept = acceptJSON
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.ua)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	var secrets []string
	if c.creds != nil && !r.anonymous && c.sameOrigin(r.url) {
		before, beforeQ := req.Header.Clone(), req.URL.RawQuery
		if err := c.creds.Apply(req); err != nil {
			var tmp interface{ Temporary() bool }
			if errors.As(err, &tmp) && tmp.Temporary() {
				// The credentials could not be had for now (an OpenID provider not
				// answering): a passing failure, retried as the network's are.
				return nil, nil, &APIError{Method: r.method, URL: redactURL(r.url), Code: Unavailable, transient: true,
					Err: fmt.Errorf("credentials: %w", err)}
			}
			return nil, nil, &APIError{Method: r.method, URL: redactURL(r.url), Code: Unauthorized,
				Err: fmt.Errorf("credentials: %w", err)}
		}
		secrets, _ = secretsAdded(before, beforeQ, req)
	}
	if netpolicy.ScopeOf(ctx) == nil {
		// A URL the server named, or a redirect: it may not lead to this machine's
		// or its network's services unless the endpoint is there too.
		sc := netpolicy.Scope{Endpoint: c.base.String(), Private: c.private}
		req = req.WithContext(netpolicy.WithScope(actx, sc))
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, c.transportError(ctx, actx, r, err, secrets)
	}
	return res, secrets, nil
}

func (c *Client) ctxError(r request, err error) *APIError {
	code := Canceled
	if errors.Is(err, context.DeadlineExceeded) {
		code = Timeout
	}
	return &APIError{Method: r.method, URL: redactURL(r.url), Code: code, Err: err}
}

// transportError classifies a failed exchange: the caller's context, this exchange's
// time limit, or the network. The url.Error wrapper is dropped: it prints the full URL.
func (c *Client) transportError(ctx, actx context.Context, r request, err error, secrets []string) *APIError {
	if ctx.Err() != nil {
		return c.ctxError(r, ctx.Err())
	}
	if actx.Err() != nil {
		return &APIError{Method: r.method, URL: redactURL(r.url), Code: Timeout, transient: true,
			Err: fmt.Errorf("no complete answer within %s: %w", c.timeout, context.DeadlineExceeded)}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, netpolicy.ErrAddress) {
		// An address the server named that the network policy does not let it
		// reach: asking again cannot help.
		return &APIError{Method: r.method, URL: redactURL(r.url), Code: Forbidden,
			Err: refusedError(scrub(refusal(err).Error(), secrets))}
	}
	if errors.Is(err, netpolicy.ErrRefused) {
		// The server answered, with a redirect the network policy does not follow
		// (a submission sent elsewhere or turned into a GET): its answer cannot be
		// read, and asking again gets the same one.
		return &APIError{Method: r.method, URL: redactURL(r.url), Code: BadResponse,
			Err: refusedError(scrub(err.Error(), secrets))}
	}
	return &APIError{Method: r.method, URL: redactURL(r.url), Code: Unavailable, transient: true,
		Err: errors.New(scrub(err.Error(), secrets))}
}

// refusedError is a refusal of the network policy with its text scrubbed of
// credentials; it is netpolicy.ErrRefused for errors.Is.
type refusedError string

func (e refusedError) Error() string        { return string(e) }
func (e refusedError) Is(target error) bool { return target == netpolicy.ErrRefused }

// httpError builds the *APIError of an HTTP error answer.
func (c *Client) httpError(r request, resp *response) *APIError {
	exc := Exception{}
	if looksLikeJSON(resp.body) {
		exc = parseException(resp.body)
	}
	exc.Type = scrub(exc.Type, resp.secrets)
	exc.Title = scrub(exc.Title, resp.secrets)
	exc.Detail = scrub(exc.Detail, resp.secrets)
	exc.Instance = scrub(exc.Instance, resp.secrets)
	e := &APIError{
		Method: r.method, URL: redactURL(r.url), Status: resp.status,
		Code: classify(resp.status, exc, r.notFound), Exception: exc,
		Body: scrub(snippet(resp.body), resp.secrets),
		Wait: retry.After(resp.header.Get("Retry-After"), time.Now()),
	}
	if loc := resp.header.Get("Location"); loc != "" {
		if u, err := resolve(resp.url, loc); err == nil {
			e.Location = redactURL(u)
		}
	}
	if resp.status == http.StatusUnauthorized {
		ch := resp.header.Get("WWW-Authenticate")
		e.Challenge = scrub(ch[:min(len(ch), 1024)], resp.secrets)
	}
	return e
}

// badResponse reports an answer the client cannot read.
func badResponse(r request, resp *response, err error) *APIError {
	e := &APIError{Method: r.method, URL: redactURL(r.url), Code: BadResponse, Err: err}
	if resp != nil {
		e.Status = resp.status
		e.Body = scrub(snippet(resp.body), resp.secrets)
		e.Err = errors.New(scrub(err.Error(), resp.secrets))
	}
	return e
}

func shouldRetry(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case 0:
		return ae.transient
	}
	return false
}

func mediaType(h http.Header) string {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return strings.ToLower(strings.TrimSpace(h.Get("Content-Type")))
	}
	return mt
}

func isJSONMedia(mt string) bool {
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

// isJSONAnswer reports whether an answer can be read as JSON: a JSON media type, or no
// (or a generic) media type and a body that starts like JSON.
func isJSONAnswer(resp *response) bool {
	mt := mediaType(resp.header)
	if isJSONMedia(mt) {
		return true
	}
	if mt == "" || mt == "text/plain" || mt == "application/octet-stream" {
		return looksLikeJSON(resp.body)
	}
	return false
}

func looksLikeJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// defaultTransport is shared by clients built without a transport of their own, under
// geojobs' network policy (netpolicy.Transport). It keeps more idle connections per host
// than Go's default (2), so that a job monitor polling one endpoint with several
// requests at once reuses its connections (and TLS sessions) instead of opening new
// ones after every burst.
var defaultTransport = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	t.MaxIdleConns = 256
	return netpolicy.Transport(t)
}()

// refusal is the network policy's refusal without the dialler's wrapping ("dial tcp
// 127.0.0.1:80: …"): the policy's own words say what was refused and why.
func refusal(err error) error {
	for {
		var op *net.OpError
		if !errors.As(err, &op) || op.Err == nil {
			return err
		}
		err = op.Err
	}
}
