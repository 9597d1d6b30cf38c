// Package processes lists, searches and pages the processes of an endpoint (keeping
// the list for a while so that searching and paging do not ask the server again),
// reads process descriptions, deploys, replaces and undeploys application packages
// (OGC API – Processes Part 2) and previews a CWL package as the process it declares.
// Endpoints and their clients are backend/endpoints; request validation is
// backend/forms.
package processes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/localep/cwl"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Clients gives the OGC API client of an endpoint; *endpoints.Registry is one. A
// changed or deleted endpoint must never get the client it had before: the process
// lists are kept per client.
type Clients interface {
	Client(ctx context.Context, endpointID string) (*ogcapi.Client, error)
}

// Options configure a Directory. Clients is required.
type Options struct {
	Clients Clients
	// HTTPClient fetches packages from URLs (default http.DefaultClient).
	HTTPClient *http.Client
	// Timeout bounds a package fetch (default 30 s).
	Timeout time.Duration
	// ListTTL is how long a process list is reused for search and paging (default 30 s).
	ListTTL time.Duration
}

// Directory gives the processes of every endpoint. It is safe for concurrent use.
type Directory struct {
	opts Options

	mu    sync.Mutex
	lists map[string]cachedList
}

type cachedList struct {
	at     time.Time
	client *ogcapi.Client // the list is of this client's server
	procs  []ogcapi.ProcessSummary
}

// New returns a directory.
func New(opts Options) (*Directory, error) {
	if opts.Clients == nil {
		return nil, errors.New("processes: Options.Clients is required")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.ListTTL <= 0 {
		opts.ListTTL = 30 * time.Second
	}
	return &Directory{opts: opts, lists: map[string]cachedList{}}, nil
}

// Query selects a page of an endpoint's processes.
type Query struct {
	// Search matches every whitespace-separated term, case-insensitively, against the
	// process id, title and keywords.
	Search  string
	Page    int // 1-based; out-of-range pages are clamped
	PerPage int // default 20
	// Refresh reads the list from the server even if a recent copy is cached.
	Refresh bool
}

// ProcessPage is one page of a process list.
type ProcessPage struct {
	Processes []ogcapi.ProcessSummary
	Total     int // matching processes
	All       int // processes of the endpoint
	Page      int
	Pages     int
	PerPage   int
}

// Processes lists the processes of an endpoint that match q, one page of them. The
// whole list is read from the server (following its paging) and kept for ListTTL, so
// that searching and paging do not ask the server again.
func (c *Directory) Processes(ctx context.Context, endpointID string, q Query) (ProcessPage, error) {
	all, err := c.allProcesses(ctx, endpointID, q.Refresh)
	if err != nil {
		return ProcessPage{}, err
	}
	terms := strings.Fields(strings.ToLower(q.Search))
	var hits []ogcapi.ProcessSummary
	for _, p := range all {
		if matches(p, terms) {
			hits = append(hits, p)
		}
	}
	per := q.PerPage
	if per <= 0 {
		per = 20
	}
	pages := max(1, (len(hits)+per-1)/per)
	page := min(max(q.Page, 1), pages)
	lo, hi := (page-1)*per, min(page*per, len(hits))
	return ProcessPage{Processes: hits[lo:hi], Total: len(hits), All: len(all), Page: page, Pages: pages, PerPage: per}, nil
}

func matches(p ogcapi.ProcessSummary, terms []string) bool {
	hay := strings.ToLower(p.ID + "\x00" + p.Title + "\x00" + strings.Join(p.Keywords, "\x00"))
	for _, t := range terms {
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

func (c *Directory) allProcesses(ctx context.Context, endpointID string, refresh bool) ([]ogcapi.ProcessSummary, error) {
	client, err := c.opts.Clients.Client(ctx, endpointID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	cl, ok := c.lists[endpointID]
	c.mu.Unlock()
	if ok && !refresh && cl.client == client && time.Since(cl.at) < c.opts.ListTTL {
		return cl.procs, nil
	}
	procs, err := client.Processes(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(procs, func(a, b ogcapi.ProcessSummary) int {
		return strings.Compare(strings.ToLower(a.ID), strings.ToLower(b.ID))
	})
	c.mu.Lock()
	c.lists[endpointID] = cachedList{at: time.Now(), client: client, procs: procs}
	c.mu.Unlock()
	return procs, nil
}

// Process returns a process description.
func (c *Directory) Process(ctx context.Context, endpointID, processID string) (*ogcapi.Process, error) {
	client, err := c.opts.Clients.Client(ctx, endpointID)
	if err != nil {
		return nil, err
	}
	return client.Process(ctx, processID)
}

// Deploy adds a process to an endpoint from an application package.
func (c *Directory) Deploy(ctx context.Context, endpointID string, pkg ogcapi.Package, workflow string) (*ogcapi.ProcessSummary, error) {
	client, err := c.opts.Clients.Client(ctx, endpointID)
	if err != nil {
		return nil, err
	}
	ps, err := client.Deploy(ctx, pkg, ogcapi.DeployOptions{W: workflow})
	c.dropList(endpointID)
	return ps, err
}

// Replace replaces a deployed process with a new package.
func (c *Directory) Replace(ctx context.Context, endpointID, processID string, pkg ogcapi.Package, workflow string) error {
	client, err := c.opts.Clients.Client(ctx, endpointID)
	if err != nil {
		return err
	}
	err = client.Replace(ctx, processID, pkg, ogcapi.DeployOptions{W: workflow})
	c.dropList(endpointID)
	return err
}

// Undeploy removes a deployed process.
func (c *Directory) Undeploy(ctx context.Context, endpointID, processID string) error {
	client, err := c.opts.Clients.Client(ctx, endpointID)
	if err != nil {
		return err
	}
	err = client.Undeploy(ctx, processID)
	c.dropList(endpointID)
	return err
}

func (c *Directory) dropList(id string) {
	c.mu.Lock()
	delete(c.lists, id)
	c.mu.Unlock()
}

// MaxPackage bounds an application package read from a file or a URL.
const MaxPackage = 4 << 20

// PackageFor wraps a CWL document for deploy: YAML as application/cwl+yaml (what
// ZOO-Project-DRU expects), JSON as application/cwl+json, an OGC application package
// document (with "executionUnit") as application/ogcapppkg+json.
func PackageFor(body []byte) ogcapi.Package {
	t := bytes.TrimSpace(body)
	if len(t) > 0 && t[0] == '{' {
		var probe map[string]json.RawMessage
		if json.Unmarshal(t, &probe) == nil {
			if _, ok := probe["executionUnit"]; ok {
				return ogcapi.AppPkg(body)
			}
			return ogcapi.CWLJSON(body)
		}
	}
	return ogcapi.CWLYAML(body)
}

// Preview reads a CWL document (YAML or JSON, or an OGC application package that
// carries the CWL in-line) and returns the process description it declares, as the
// built-in endpoint would describe it. workflow picks the workflow of a multi-workflow
// document ("" for the first).
func Preview(body []byte, workflow string) (*ogcapi.Process, error) {
	doc, err := cwl.Parse(body)
	if err != nil {
		// An OGC application package with the CWL in-line as a qualified value?
		var pkg struct {
			ExecutionUnit struct {
				Value any    `json:"value"`
				Href  string `json:"href"`
			} `json:"executionUnit"`
		}
		if json.Unmarshal(body, &pkg) == nil && pkg.ExecutionUnit.Value != nil {
			doc, err = cwl.FromValue(pkg.ExecutionUnit.Value)
		} else if pkg.ExecutionUnit.Href != "" {
			return nil, fmt.Errorf("%w: the package links its CWL (%s); give that URL to preview it", store.ErrInvalid, pkg.ExecutionUnit.Href)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", store.ErrInvalid, err)
		}
	}
	w, err := doc.Workflow(workflow)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	p := w.Process()
	return &p, nil
}

// FetchPackage reads a CWL document from an http(s) URL for Preview, at most
// MaxPackage bytes within Options.Timeout.
func (c *Directory) FetchPackage(ctx context.Context, href string) ([]byte, error) {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: the package URL must be an http or https URL", store.ErrInvalid)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: the package URL must not carry credentials", store.ErrInvalid)
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	req.Header.Set("Accept", "application/cwl+yaml, application/cwl+json, application/cwl, application/yaml, application/json;q=0.9, */*;q=0.5")
	hc := c.opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: fetching the package from %s: %v", ErrUnavailable, u.Host, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: fetching the package: %s answered %s", ErrUnavailable, u.Host, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxPackage+1))
	if err != nil {
		return nil, fmt.Errorf("%w: fetching the package: %v", ErrUnavailable, err)
	}
	if len(body) > MaxPackage {
		return nil, fmt.Errorf("%w: the package is larger than %d MiB", store.ErrInvalid, MaxPackage>>20)
	}
	return body, nil
}

// ErrUnavailable is the error of a resource that could not be fetched.
var ErrUnavailable = errs.New(errs.Unavailable, "unavailable")
