package stacsearch

import (
	"context"
	"fmt"
	"net/url"
	"sync"

	"github.com/geojobs/geojobs/backend/safetext"
	"github.com/geojobs/geojobs/backend/stac"
)

// StaticCatalog is a catalog.json (or collection.json) tree with no API: it is crawled
// once through its child and item links, and searched here.
type StaticCatalog struct {
	c   *Client
	URL *url.URL
	// Limit bounds the documents crawled; 0: stac.DefaultLimit.
	Limit int

	once  sync.Once
	items []*stac.Item
	err   error
}

var _ Source = (*StaticCatalog)(nil)

// pageSize is how many matching items one page of a static catalog holds by default.
const pageSize = 50

// OpenCatalog returns the static catalog at rawURL (http, https, or s3 with a
// Presigner). Nothing is fetched until the first page.
func (c *Client) OpenCatalog(rawURL string) (*StaticCatalog, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "s3") {
		return nil, fmt.Errorf("%w: %q is not an http(s) or s3 URL", ErrInvalid, rawURL)
	}
	if u.Scheme == "s3" && c.Presigner == nil {
		return nil, fmt.Errorf("%w: s3 catalogs need a storage key", ErrUnsupported)
	}
	return &StaticCatalog{c: c, URL: u}, nil
}

// First implements Source: the filter is applied here, so every term is supported.
func (s *StaticCatalog) First(p Params) (*Request, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if len(p.Filter) > 0 || len(p.Query) > 0 {
		return nil, fmt.Errorf("%w: a static catalog cannot be searched with filter or query expressions", ErrUnsupported)
	}
	return &Request{Method: "CATALOG", Href: s.URL.String(), Params: p}, nil
}

// Fetch implements Source: a page of the matching items from req.Offset on.
func (s *StaticCatalog) Fetch(ctx context.Context, req *Request) (*Page, error) {
	all, err := s.crawl(ctx)
	if err != nil {
		return nil, err
	}
	size := req.Params.Limit
	if size <= 0 {
		size = pageSize
	}
	page := &Page{}
	i := req.Offset
	for ; i < len(all) && len(page.Items) < size; i++ {
		if matches(all[i], &req.Params) {
			page.Items = append(page.Items, all[i])
		}
	}
	if i < len(all) && len(page.Items) > 0 {
		next := *req
		next.Offset = i
		page.Next = &next
	}
	return page, nil
}

func (s *StaticCatalog) crawl(ctx context.Context) ([]*stac.Item, error) {
	s.once.Do(func() {
		f := &fetcher{c: s.c, origin: s.URL}
		doc, err := f.Fetch(ctx, s.URL)
		if err != nil {
			s.err = fmt.Errorf("catalog %s: %w", safetext.URL(s.URL), err)
			return
		}
		ic, err := stac.Resolve(ctx, doc, s.URL, f, s.Limit)
		if err != nil {
			s.err = fmt.Errorf("catalog %s: %w", safetext.URL(s.URL), err)
			return
		}
		s.items = ic.Features
		// Items linked from a collection carry its id only in their collection member;
		// older ones not at all.
	})
	return s.items, s.err
}

// fetcher is stac.Fetcher over the Client: credentials for the catalog's origin,
// presigned GETs for s3:// documents, any Content-Type (GitHub raw says text/plain).
type fetcher struct {
	c      *Client
	origin *url.URL
}

func (f *fetcher) Fetch(ctx context.Context, u *url.URL) ([]byte, error) {
	target := u
	if u.Scheme == "s3" {
		if f.c.Presigner == nil {
			return nil, fmt.Errorf("%w: no storage key for %s", stac.ErrPermissionDenied, safetext.URL(u))
		}
		signed, err := f.c.Presigner.Presign(ctx, u)
		if err != nil {
			return nil, err
		}
		// A presigned URL carries its own authorisation: no credentials on top.
		return f.c.do(ctx, nil, "GET", signed, nil, nil)
	}
	if target.Scheme != "http" && target.Scheme != "https" {
		return nil, fmt.Errorf("%w: URL scheme %q", stac.ErrUnsupported, u.Scheme)
	}
	return f.c.do(ctx, f.origin, "GET", target, nil, nil)
}
