package stac

import (
	"context"
	"fmt"
	"net/url"
	"sync"

	"github.com/geojobs/geojobs/backend/safetext"
)

// Fetcher reads a linked STAC document.
type Fetcher interface {
	// Fetch must return the whole document at u. Errors should wrap ErrNotFound,
	// ErrPermissionDenied or ErrUnavailable when they are of that class, and must not
	// contain credentials.
	Fetch(ctx context.Context, u *url.URL) ([]byte, error)
}

// DefaultLimit is the document limit Resolve uses when given limit ≤ 0.
const DefaultLimit = 10000

// crawlConcurrency bounds the fetches in flight during one Resolve.
const crawlConcurrency = 8

// Resolve turns any STAC document into one ItemCollection:
//   - an ItemCollection is returned as is, an Item as a collection of one;
//   - a Catalog or Collection is crawled breadth-first through its "child" and "item"
//     links (at most crawlConcurrency fetches at a time, at most limit documents in all,
//     else an error wrapping ErrLimit). Each URL is fetched once, so loops and duplicate
//     links are harmless. Items come out in link order, depth first.
//
// Relative hrefs of links and assets are resolved against the document they appear in
// (doc itself against base, which may be nil when doc has no relative hrefs to follow)
// and written back absolute. A file: link is followed only from a file: document, so a
// remote catalog cannot make the crawler read local files. Paging ("next") and STAC API
// "items" links are not followed.
func Resolve(ctx context.Context, doc []byte, base *url.URL, fetch Fetcher, limit int) (*ItemCollection, error) {
	d, err := Parse(doc)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	switch d.Kind {
	case KindItem:
		absolutizeItem(d.Item, base)
		return &ItemCollection{Type: "FeatureCollection", Features: []*Item{d.Item}}, nil
	case KindItemCollection:
		for _, it := range d.ItemCollection.Features {
			absolutizeItem(it, base)
		}
		absolutizeLinks(d.ItemCollection.Links, base)
		return d.ItemCollection, nil
	}
	c := &crawl{fetch: fetch, limit: limit, seen: map[string]bool{}}
	root := &node{url: base, doc: d}
	if base != nil {
		c.seen[key(base)] = true
	}
	if err := c.run(ctx, root); err != nil {
		return nil, err
	}
	ic := &ItemCollection{Type: "FeatureCollection", Features: []*Item{}}
	root.collect(&ic.Features)
	return ic, nil
}

type node struct {
	url      *url.URL
	doc      *Document
	children []*node
}

// collect appends the items below n in link order.
func (n *node) collect(out *[]*Item) {
	switch n.doc.Kind {
	case KindItem:
		*out = append(*out, n.doc.Item)
	case KindItemCollection:
		*out = append(*out, n.doc.ItemCollection.Features...)
	}
	for _, c := range n.children {
		c.collect(out)
	}
}

type crawl struct {
	fetch   Fetcher
	limit   int
	fetched int
	seen    map[string]bool
}

// run crawls level by level: the links of one level are claimed in order (so which
// parent owns a document linked twice does not depend on timing), then fetched
// concurrently.
func (c *crawl) run(ctx context.Context, root *node) error {
	level := []*node{root}
	for len(level) > 0 {
		var next []*node
		for _, n := range level {
			kids, err := c.claim(n)
			if err != nil {
				return err
			}
			next = append(next, kids...)
		}
		if c.fetched+len(next) > c.limit {
			return fmt.Errorf("%w: the catalog links more than %d documents", ErrLimit, c.limit)
		}
		c.fetched += len(next)
		if err := c.fetchAll(ctx, next); err != nil {
			return err
		}
		level = next
	}
	return nil
}

// claim returns n's unseen child and item links as new nodes.
func (c *crawl) claim(n *node) ([]*node, error) {
	var links []Link
	switch n.doc.Kind {
	case KindCatalog:
		links = n.doc.Catalog.Links
	case KindCollection:
		links = n.doc.Collection.Links
	default:
		return nil, nil
	}
	for _, l := range links {
		if l.Rel != "child" && l.Rel != "item" {
			continue
		}
		u, err := resolveHref(n.url, l.Href)
		if err != nil {
			return nil, fmt.Errorf("%w: %s link %q in %s: %v", ErrInvalid, l.Rel, truncate(l.Href, 80), redact(n.url), err)
		}
		if u.Scheme == "file" && (n.url == nil || n.url.Scheme != "file") {
			return nil, fmt.Errorf("%w: %s links to a local file (%s)", ErrPermissionDenied, redact(n.url), redact(u))
		}
		if k := key(u); !c.seen[k] {
			c.seen[k] = true
			n.children = append(n.children, &node{url: u})
		}
	}
	return n.children, nil
}

func (c *crawl) fetchAll(ctx context.Context, nodes []*node) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, crawlConcurrency)
	var wg sync.WaitGroup
	for _, n := range nodes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := c.load(ctx, n); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func (c *crawl) load(ctx context.Context, n *node) error {
	b, err := c.fetch.Fetch(ctx, n.url)
	if err != nil {
		return fmt.Errorf("stac: fetch %s: %w", redact(n.url), err)
	}
	d, err := Parse(b)
	if err != nil {
		return fmt.Errorf("%s: %w", redact(n.url), err)
	}
	switch d.Kind {
	case KindItem:
		absolutizeItem(d.Item, n.url)
	case KindItemCollection:
		for _, it := range d.ItemCollection.Features {
			absolutizeItem(it, n.url)
		}
	}
	n.doc = d
	return nil
}

// resolveHref makes href absolute against base.
func resolveHref(base *url.URL, href string) (*url.URL, error) {
	u, err := url.Parse(href)
	if err != nil {
		return nil, err
	}
	if u.IsAbs() {
		return u, nil
	}
	if base == nil {
		return nil, fmt.Errorf("relative href with no base URL")
	}
	return base.ResolveReference(u), nil
}

// absolute returns href resolved against base, or href unchanged when that is not
// possible (no base, or not a URL).
func absolute(base *url.URL, href string) string {
	if base == nil {
		return href
	}
	u, err := resolveHref(base, href)
	if err != nil {
		return href
	}
	return u.String()
}

func absolutizeLinks(links []Link, base *url.URL) {
	for i := range links {
		links[i].Href = absolute(base, links[i].Href)
	}
}

func absolutizeItem(it *Item, base *url.URL) {
	absolutizeLinks(it.Links, base)
	for k, a := range it.Assets {
		a.Href = absolute(base, a.Href)
		it.Assets[k] = a
	}
}

// key identifies a document for loop and duplicate detection.
func key(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// redact makes a URL fit for errors and logs: no user info, no query (which may hold
// a signature or token).
func redact(u *url.URL) string {
	if u == nil {
		return "the document"
	}
	return safetext.URL(u)
}
