// Package endpoints keeps the registry of OGC API – Processes servers the user works
// with (stored in backend/store, the built-in endpoint included) and one OGC API client
// per endpoint, built with its URL, credentials and extra headers. It tests
// connections and explains failed requests in words people can act on. Listing and
// deploying processes is backend/processes; tracking jobs is backend/jobs; it renders
// nothing (that is frontend/).
package endpoints

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// EndpointStore is where endpoints and the UI's settings live; *store.Store is one.
// Errors must wrap store.ErrNotFound, store.ErrInvalid, store.ErrConflict or
// store.ErrBuiltIn where those apply: the UI maps them to messages.
type EndpointStore interface {
	Endpoints(ctx context.Context) ([]store.Endpoint, error)
	Endpoint(ctx context.Context, id string) (store.Endpoint, error)
	CreateEndpoint(ctx context.Context, e store.Endpoint) (store.Endpoint, error)
	UpdateEndpoint(ctx context.Context, e store.Endpoint) (store.Endpoint, error)
	DeleteEndpoint(ctx context.Context, id string) error
	Setting(ctx context.Context, key string) (string, bool, error)
	Settings(ctx context.Context) (map[string]string, error)
	SetSetting(ctx context.Context, key, value string) error
	DeleteSetting(ctx context.Context, key string) error
}

var _ EndpointStore = (*store.Store)(nil)

// CredentialsFunc returns the credentials stored in the keystore under key. It is
// called for every request (so a keystore unlocked later takes effect) and must
// return an error that names the key, never the secret.
type CredentialsFunc func(ctx context.Context, key string) (ogcapi.Credentials, error)

// ErrNoKeystore is the error for an endpoint that names a key when no keystore is connected.
var ErrNoKeystore = errs.New(errs.Unavailable, "no keystore is connected to resolve the endpoint's credentials")

// Options configure a Registry. Store is required.
type Options struct {
	Store EndpointStore
	// LocalURL is the URL of the built-in endpoint, LocalCredentials what it needs.
	LocalURL         string
	LocalCredentials ogcapi.Credentials
	// Credentials resolves keystore keys; nil: endpoints that name a key cannot be used.
	Credentials CredentialsFunc
	HTTPClient  *http.Client
	Logger      *slog.Logger
	// Timeout bounds each request to an endpoint (default 30 s).
	Timeout time.Duration
	// PrivateNetworks reports the Settings switch that lets URLs a server names (a job
	// on another origin) reach loopback and private-network addresses
	// (ogcapi.WithPrivateNetworks); nil: they may not, unless the endpoint is there.
	PrivateNetworks func(ctx context.Context) bool
}

// Registry is the endpoint registry with its clients. It is safe for concurrent use.
type Registry struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	clients map[string]cachedClient
	caps    map[string]cachedCaps

	health healthBook // each endpoint's health: read from memory, written through to the store
}

type cachedClient struct {
	version string // changes when the endpoint does
	client  *ogcapi.Client
}

type cachedCaps struct {
	at   time.Time
	caps ogcapi.Capabilities
}

// New returns a registry.
func New(opts Options) (*Registry, error) {
	if opts.Store == nil {
		return nil, errors.New("endpoints: Options.Store is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	c := &Registry{opts: opts, log: opts.Logger, clients: map[string]cachedClient{},
		caps: map[string]cachedCaps{}}
	if err := c.health.load(context.Background(), opts.Store); err != nil {
		return nil, err
	}
	return c, nil
}

// Endpoints returns every endpoint, the built-in one first. The built-in endpoint's
// URL is filled in.
func (c *Registry) Endpoints(ctx context.Context) ([]store.Endpoint, error) {
	es, err := c.opts.Store.Endpoints(ctx)
	if err != nil {
		return nil, err
	}
	for i := range es {
		c.fill(&es[i])
	}
	return es, nil
}

// Endpoint returns one endpoint (store.ErrNotFound if none has that id).
func (c *Registry) Endpoint(ctx context.Context, id string) (store.Endpoint, error) {
	e, err := c.opts.Store.Endpoint(ctx, id)
	if err != nil {
		return e, err
	}
	c.fill(&e)
	return e, nil
}

func (c *Registry) fill(e *store.Endpoint) {
	if e.BuiltIn && e.URL == "" {
		e.URL = c.opts.LocalURL
	}
}

// EndpointInput is what the user enters for an endpoint.
type EndpointInput struct {
	Title         string
	URL           string
	CredentialKey string
	// Headers are "Name: value" lines.
	Headers string
}

// ParseHeaders reads "Name: value" lines; blank lines are skipped.
func ParseHeaders(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, &store.InvalidInput{Msg: fmt.Sprintf("Extra headers, line %d: write it as Name: value.", i+1)}
		}
		out[http.CanonicalHeaderKey(name)] = strings.TrimSpace(value)
	}
	return out, nil
}

// FormatHeaders writes headers as "Name: value" lines, sorted.
func FormatHeaders(h map[string]string) string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(h)) {
		lines = append(lines, k+": "+h[k])
	}
	return strings.Join(lines, "\n")
}

func (in EndpointInput) endpoint(id string) (store.Endpoint, error) {
	h, err := ParseHeaders(in.Headers)
	if err != nil {
		return store.Endpoint{}, err
	}
	return store.Endpoint{ID: id, Title: strings.TrimSpace(in.Title), URL: strings.TrimSpace(in.URL),
		CredentialKey: strings.TrimSpace(in.CredentialKey), Headers: h}, nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes an endpoint id from a title or URL.
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = strings.Trim(s[:40], "-")
	}
	if s == "" || s == store.LocalEndpoint {
		s = "endpoint"
	}
	return s
}

// CreateEndpoint adds an endpoint; its id is made from the title, unique.
func (c *Registry) CreateEndpoint(ctx context.Context, in EndpointInput) (store.Endpoint, error) {
	base := slug(in.Title)
	if base == "endpoint" && in.URL != "" {
		base = slug(strings.TrimPrefix(strings.TrimPrefix(in.URL, "https://"), "http://"))
	}
	for n := 1; n < 100; n++ {
		id := base
		if n > 1 {
			id = base + "-" + strconv.Itoa(n)
		}
		e, err := in.endpoint(id)
		if err != nil {
			return e, err
		}
		e, err = c.opts.Store.CreateEndpoint(ctx, e)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		return e, err
	}
	return store.Endpoint{}, fmt.Errorf("%w: too many endpoints named %q", store.ErrConflict, in.Title)
}

// UpdateEndpoint changes an endpoint. Of the built-in endpoint only the title changes.
func (c *Registry) UpdateEndpoint(ctx context.Context, id string, in EndpointInput) (store.Endpoint, error) {
	cur, err := c.opts.Store.Endpoint(ctx, id)
	if err != nil {
		return cur, err
	}
	e, err := in.endpoint(id)
	if err != nil {
		return e, err
	}
	if cur.BuiltIn {
		e.URL, e.CredentialKey, e.Headers = cur.URL, cur.CredentialKey, nil
	}
	e, err = c.opts.Store.UpdateEndpoint(ctx, e)
	if err == nil {
		c.forget(id)
	}
	return e, err
}

// DeleteEndpoint removes an endpoint (not the built-in one).
func (c *Registry) DeleteEndpoint(ctx context.Context, id string) error {
	if err := c.opts.Store.DeleteEndpoint(ctx, id); err != nil {
		return err
	}
	c.forget(id)
	c.forgetHealth(ctx, id)
	return nil
}

func (c *Registry) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.clients, id)
	delete(c.caps, id)
}

// settingSelected is the settings key of the endpoint last chosen in the UI.
const settingSelected = "ui.selected_endpoint"

// Selected returns the endpoint last chosen on the process pages (the built-in one
// when none was, or when the chosen one is gone).
func (c *Registry) Selected(ctx context.Context) string {
	id, ok, err := c.opts.Store.Setting(ctx, settingSelected)
	if err != nil || !ok || id == "" {
		return store.LocalEndpoint
	}
	if _, err := c.opts.Store.Endpoint(ctx, id); err != nil {
		return store.LocalEndpoint
	}
	return id
}

// Select remembers the endpoint chosen on the process pages.
func (c *Registry) Select(ctx context.Context, id string) error {
	if cur, ok, _ := c.opts.Store.Setting(ctx, settingSelected); ok && cur == id {
		return nil
	}
	return c.opts.Store.SetSetting(ctx, settingSelected, id)
}

// Client returns the OGC API client of an endpoint, built with its URL, credentials
// and extra headers. Clients are cached until the endpoint changes: a changed or
// deleted endpoint never gets the client it had before, so callers may key caches of
// what they read through a client by the client's pointer.
func (c *Registry) Client(ctx context.Context, id string) (*ogcapi.Client, error) {
	e, err := c.Endpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	version := e.Updated.String() + "|" + e.URL + "|" + e.CredentialKey
	c.mu.Lock()
	cc, ok := c.clients[id]
	c.mu.Unlock()
	if ok && cc.version == version {
		return cc.client, nil
	}
	cl, err := c.newClient(e, ogcapi.WithOutcome(func(ctx context.Context, err error) { c.observe(ctx, id, err) }))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.clients[id] = cachedClient{version: version, client: cl}
	c.mu.Unlock()
	return cl, nil
}

// newClient builds a client for e (saved or not), with the extra options.
func (c *Registry) newClient(e store.Endpoint, extra ...ogcapi.Option) (*ogcapi.Client, error) {
	opts := []ogcapi.Option{ogcapi.WithLogger(c.log), ogcapi.WithTimeout(c.opts.Timeout), ogcapi.WithRetry(1),
		ogcapi.WithPrivateNetworks(c.opts.PrivateNetworks)}
	opts = append(opts, extra...)
	if c.opts.HTTPClient != nil {
		opts = append(opts, ogcapi.WithHTTPClient(c.opts.HTTPClient))
	}
	if creds := c.credentials(e); creds != nil {
		opts = append(opts, ogcapi.WithCredentials(creds))
	}
	cl, err := ogcapi.New(e.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: endpoint %s: %v", store.ErrInvalid, e.Title, strings.TrimPrefix(err.Error(), "ogcapi: "))
	}
	return cl, nil
}

// credentials combines the endpoint's extra headers and its keystore key.
func (c *Registry) credentials(e store.Endpoint) ogcapi.Credentials {
	if e.BuiltIn {
		return c.opts.LocalCredentials
	}
	if len(e.Headers) == 0 && e.CredentialKey == "" {
		return nil
	}
	return endpointCredentials{headers: e.Headers, key: e.CredentialKey, resolve: c.opts.Credentials}
}

// endpointCredentials are an endpoint's extra headers and its keystore key, the
// key resolved at each request (so unlocking or signing in takes effect at once).
type endpointCredentials struct {
	headers map[string]string
	key     string
	resolve CredentialsFunc
}

func (ec endpointCredentials) Apply(req *http.Request) error {
	for k, v := range ec.headers {
		req.Header.Set(k, v)
	}
	cr, err := ec.credentials(req)
	if cr == nil || err != nil {
		return err
	}
	return cr.Apply(req)
}

// Renew renews the key's credentials when they can be (oidc keys; ogcapi.Renewer).
func (ec endpointCredentials) Renew(req *http.Request) (bool, error) {
	cr, err := ec.credentials(req)
	if cr == nil || err != nil {
		return false, err
	}
	if rn, ok := cr.(ogcapi.Renewer); ok {
		return rn.Renew(req)
	}
	return false, nil
}

func (ec endpointCredentials) credentials(req *http.Request) (ogcapi.Credentials, error) {
	if ec.key == "" {
		return nil, nil
	}
	if ec.resolve == nil {
		return nil, fmt.Errorf("key %q: %w", ec.key, ErrNoKeystore)
	}
	cr, err := ec.resolve(req.Context(), ec.key)
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", ec.key, err)
	}
	return cr, nil
}
