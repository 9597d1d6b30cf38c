package results

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
	"github.com/spf13/afero"
)

// Errors of the Service, to be tested with errors.Is.
var (
	// ErrNotReady: the job has no results (yet): not successful, or results not stored.
	ErrNotReady = errs.New(errs.NotFound, "results: the job has no results")
	// ErrNoAsset: the item or asset does not exist in the job's results.
	ErrNoAsset = errs.New(errs.NotFound, "results: no such asset")
)

// Store is what the Service needs of backend/store.
type Store interface {
	Job(ctx context.Context, id string) (store.Job, error)
	Items(ctx context.Context, id string) (json.RawMessage, time.Time, error)
	SetItems(ctx context.Context, id string, items json.RawMessage, at time.Time) error
}

// ClientFor returns the OGC API client of an endpoint (endpoints.Registry.Client).
type ClientFor func(ctx context.Context, endpointID string) (*ogcapi.Client, error)

// ServiceOptions configure a Service. Store, Clients and Sources are required.
type ServiceOptions struct {
	Store   Store
	Clients ClientFor
	// Sources opens asset hrefs (http, https, s3, …) with their credentials, for sizes
	// and the asset proxy. It should be the download manager's.
	Sources *transfer.Mux
	// HTTPClient reads STAC documents the results link to; default a client with a
	// 2-minute timeout.
	HTTPClient *http.Client
	// Auth authorises those reads (and should be what Sources' http driver uses): the
	// app's Authorizer, which gives each secret only to the URLs it belongs to.
	Auth httpget.Authorizer
	// AllowPrivate reports the Settings switch that lets results of any server reach
	// loopback and private-network addresses (nil: never).
	AllowPrivate func(ctx context.Context) bool
	// InlineDir keeps the outputs a server sent in-line as files (InlineDir/<job id>/),
	// which the results page offers for download; "" drops them.
	InlineDir string
	Logger    *slog.Logger
}

// Service gives the results of the jobs in the store as STAC: it computes a job's
// ItemCollection once (FromResults), stores it with the job, and serves it after.
type Service struct {
	o     ServiceOptions
	log   *slog.Logger
	mu    sync.Mutex
	cache map[string]*stac.ItemCollection // by job id; results do not change
	sizes sync.Map                        // href → int64, sizes asked of the source
	busy  chan struct{}                   // bounds background computations
}

// NewService returns a Service.
func NewService(o ServiceOptions) (*Service, error) {
	if o.Store == nil || o.Clients == nil || o.Sources == nil {
		return nil, errors.New("results: ServiceOptions.Store, Clients and Sources are required")
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 2 * time.Minute}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{o: o, log: o.Logger, cache: map[string]*stac.ItemCollection{}, busy: make(chan struct{}, 2)}, nil
}

// Sources returns the sources the Service opens assets with.
func (s *Service) Sources() *transfer.Mux { return s.o.Sources }

// Items returns a job's results as one ItemCollection: the stored one, else computed
// from the results the server gives now and stored. The error wraps ErrNotReady when
// the job has not succeeded, store.ErrNotFound for an unknown job.
func (s *Service) Items(ctx context.Context, jobID string) (*stac.ItemCollection, error) {
	s.mu.Lock()
	ic, ok := s.cache[jobID]
	s.mu.Unlock()
	if ok {
		return ic, nil
	}
	raw, _, err := s.o.Store.Items(ctx, jobID)
	if err != nil {
		return nil, err
	}
	if raw != nil {
		ic := new(stac.ItemCollection)
		if err := json.Unmarshal(raw, ic); err == nil {
			s.remember(jobID, ic)
			return ic, nil
		}
		s.log.Warn("results: stored items unreadable; computing them again", "job", jobID)
	}
	j, err := s.o.Store.Job(ctx, jobID)
	if err != nil {
		return nil, err
	}
	return s.compute(ctx, j, nil)
}

// Collected computes and stores the items of a job whose results just came in, in the
// background (at most two at a time); it never blocks. It suits the job monitor's
// OnChange when Change.Results is set for a successful job.
func (s *Service) Collected(jobID string, res *ogcapi.Results) {
	go func() {
		s.busy <- struct{}{}
		defer func() { <-s.busy }()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		j, err := s.o.Store.Job(ctx, jobID)
		if err != nil {
			s.log.Warn("results: job", "job", jobID, "err", err)
			return
		}
		if raw, _, err := s.o.Store.Items(ctx, jobID); err == nil && raw != nil {
			return
		}
		if _, err := s.compute(ctx, j, res); err != nil {
			s.log.Warn("results: collecting the job's STAC failed; it is retried when the results are opened", "job", jobID, "err", err)
		}
	}()
}

func (s *Service) remember(jobID string, ic *stac.ItemCollection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.cache) > 64 {
		clear(s.cache)
	}
	s.cache[jobID] = ic
}

// compute collects j's results (res, or fetched from the server when nil) and stores them.
func (s *Service) compute(ctx context.Context, j store.Job, res *ogcapi.Results) (*stac.ItemCollection, error) {
	if j.Status != ogcapi.StatusSuccessful || j.ResultsAt.IsZero() {
		return nil, fmt.Errorf("%w: job %s is %s", ErrNotReady, j.ID, j.Status)
	}
	cl, err := s.o.Clients(ctx, j.EndpointID)
	if err != nil {
		return nil, err
	}
	ref := j.URL
	if ref == "" {
		ref = j.RemoteID
	}
	if res == nil {
		if ref == "" {
			return nil, fmt.Errorf("%w: job %s has no server job to read results from", ErrNotReady, j.ID)
		}
		if res, err = cl.Results(ctx, ref); err != nil {
			return nil, fmt.Errorf("results of job %s: %w", j.ID, err)
		}
	}
	info := JobInfo{ID: cmp.Or(j.RemoteID, j.ID), ProcessID: j.ProcessID, Endpoint: cl.Endpoint(), JobURL: j.URL,
		Created: j.Created, Started: j.Started, Finished: firstTime(j.Finished, j.ResultsAt),
		Requested: RequestedOutputs(j.Request)}
	// The description types and orders the outputs; results without it still show.
	if p, err := cl.Process(ctx, j.ProcessID); err == nil {
		info.Process = p
	} else {
		s.log.Warn("results: no process description; outputs are shown as the server sent them", "job", j.ID, "err", err)
	}
	var base *url.URL
	if j.URL != "" {
		base, _ = url.Parse(strings.TrimRight(j.URL, "/") + "/results")
	} else {
		base, _ = url.Parse(cl.Endpoint())
	}
	opts := Options{
		Fetcher: stac.HTTPFetcher{Client: AuthClient(s.o.HTTPClient, s.o.Auth)},
		Base:    base, Logger: s.log, Private: s.o.AllowPrivate,
	}
	if dir := s.inlineDir(j.ID); dir != "" {
		opts.Fs, opts.Dir = afero.NewOsFs(), dir
	}
	c, err := FromResults(ctx, res, info, opts)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c.ItemCollection)
	if err != nil {
		return nil, err
	}
	if err := s.o.Store.SetItems(context.WithoutCancel(ctx), j.ID, b, time.Now()); err != nil {
		return nil, err
	}
	s.remember(j.ID, c.ItemCollection)
	return c.ItemCollection, nil
}

// Asset finds an asset of a job's results.
func (s *Service) Asset(ctx context.Context, jobID, itemID, key string) (*stac.Item, stac.Asset, error) {
	ic, err := s.Items(ctx, jobID)
	if err != nil {
		return nil, stac.Asset{}, err
	}
	for _, it := range ic.Features {
		if it != nil && it.ID == itemID {
			if a, ok := it.Assets[key]; ok {
				return it, a, nil
			}
			break
		}
	}
	return nil, stac.Asset{}, fmt.Errorf("%w: %s/%s", ErrNoAsset, itemID, key)
}

// ScopeFor is the network scope of a job's asset hrefs: the job's endpoint (so a public
// server's results never make geojobs probe, proxy, download or export from loopback,
// private or link-local addresses) and the Settings switch for private networks. An
// endpoint that cannot be found counts as public.
func (s *Service) ScopeFor(ctx context.Context, jobID string) *netpolicy.Scope {
	sc := &netpolicy.Scope{}
	if s.o.AllowPrivate != nil {
		sc.AllowPrivate = s.o.AllowPrivate(ctx)
	}
	if opened, _ := ctx.Value(userOpenedKey{}).(bool); opened {
		sc.AllowPrivate = true // the user asked for this one asset by hand
	}
	if j, err := s.o.Store.Job(ctx, jobID); err == nil {
		if c, err := s.o.Clients(ctx, j.EndpointID); err == nil && c != nil {
			sc.Endpoint = c.Endpoint()
		}
	}
	return sc
}

type userOpenedKey struct{}

// UserOpened marks ctx as a request the user made by hand for one asset (a click on
// its Open link): like a URL typed into the browser, it may reach an address on this
// computer or a private network even when the job's endpoint is public. Nothing a page
// loads by itself (thumbnails, previews, size probes) and no download carries it.
func UserOpened(ctx context.Context) context.Context {
	return context.WithValue(ctx, userOpenedKey{}, true)
}

// Scoped returns ctx carrying the job's ScopeFor.
func (s *Service) Scoped(ctx context.Context, jobID string) context.Context {
	return netpolicy.WithScope(ctx, *s.ScopeFor(ctx, jobID))
}

// Size returns the size of an asset of a job's results: its file:size, else what its
// source says (a HEAD request for http, within the job's ScopeFor), remembered. ok is
// false when neither tells.
func (s *Service) Size(ctx context.Context, jobID string, a stac.Asset) (n int64, ok bool) {
	if n, ok := a.Size(); ok {
		return n, true
	}
	if v, ok := s.sizes.Load(a.Href); ok {
		n := v.(int64)
		return n, n >= 0
	}
	u, src, err := s.source(a.Href)
	if err != nil {
		return 0, false
	}
	info, err := src.Stat(s.Scoped(ctx, jobID), u)
	if err != nil {
		if ctx.Err() == nil {
			s.sizes.Store(a.Href, int64(-1))
		}
		return 0, false
	}
	s.sizes.Store(a.Href, info.Size)
	return info.Size, info.Size >= 0
}

// Proxied schemes: never file (a remote catalog must not make the app serve local files).
var proxied = map[string]bool{"http": true, "https": true, "s3": true}

// Fetchable says whether the app fetches an asset of a job's results at all: nil, or
// why not, in words for people (transfer.Reason). A file: href is refused
// (netpolicy.ErrLocalFile): a job's results come from a server. Fetchable asks nothing
// of the network; addresses are checked when a request is made.
func (s *Service) Fetchable(href string) error {
	_, _, err := s.source(href)
	return err
}

func (s *Service) source(href string) (*url.URL, driver.Source, error) {
	u, err := url.Parse(href)
	if err != nil {
		return nil, nil, driver.Errorf(transfer.InvalidArgument, "%s: the location is not a URL", transfer.NotDownloaded)
	}
	if netpolicy.LocalFile(u) {
		return nil, nil, driver.Wrap(transfer.PermissionDenied, netpolicy.ErrLocalFile, transfer.NotDownloaded)
	}
	if !proxied[strings.ToLower(u.Scheme)] {
		return nil, nil, driver.Errorf(transfer.InvalidArgument, "%s: geojobs cannot fetch %q URLs", transfer.NotDownloaded, u.Scheme)
	}
	src, err := s.o.Sources.Source(u)
	if err != nil {
		return nil, nil, err
	}
	return u, src, nil
}

// RequestedOutputs are the output ids an execute request asks for; nil when it asks
// for all (no outputs member) or cannot be read.
func RequestedOutputs(request json.RawMessage) []string {
	var ex ogcapi.Execute
	if len(request) == 0 || json.Unmarshal(request, &ex) != nil || len(ex.Outputs) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(ex.Outputs))
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Now()
}
