// Package itemfinder is what the form's "Find items" searches through: the built-in
// endpoint's STAC API and the saved catalogs (backend/store), each opened once with its
// keystore key (stacsearch/stackeys), and the pages of a search kept here between
// clicks so that a page never hands a next-link back to the server.
package itemfinder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/mapdata"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/stacsearch"
	"github.com/geojobs/geojobs/backend/stacsearch/stackeys"
	"github.com/geojobs/geojobs/backend/store"
)

// BuiltIn is the id of the built-in endpoint's STAC API.
const BuiltIn = "builtin"

// ErrExpired: a "more" token is unknown (the app restarted, or it is old).
var ErrExpired = errors.New("itemfinder: the search has expired; search again")

// Catalog is a place to search.
type Catalog struct {
	ID, Title, URL, Kind string
}

// Item is one search result as the picker shows it.
type Item struct {
	ID, URL, Collection, Datetime, Thumbnail string
	Cloud                                    *float64
	Geometry                                 json.RawMessage
}

// Page is a page of results; More continues the search ("" at the end).
type Page struct {
	Items   []Item
	More    string
	Dropped int
}

// Store is what the finder reads of the database.
type Store interface {
	Catalogs(ctx context.Context) ([]store.STACCatalog, error)
	Catalog(ctx context.Context, id string) (store.STACCatalog, error)
}

// Finder searches catalogs.
type Finder struct {
	st         Store
	keys       *keystore.Store
	localURL   string
	localCreds stacsearch.Credentials

	mu      sync.Mutex
	sources map[string]stacsearch.Source
	cursors map[string]cursor
}

type cursor struct {
	catalog string
	req     *stacsearch.Request
	at      time.Time
}

// maxCursors bounds the searches kept; the oldest go first.
const maxCursors = 200

// New returns a Finder. localSTAC is the built-in endpoint's STAC API URL and
// localCreds its credentials; keys may be nil.
func New(st Store, keys *keystore.Store, localSTAC string, localCreds stacsearch.Credentials) *Finder {
	return &Finder{st: st, keys: keys, localURL: localSTAC, localCreds: localCreds,
		sources: map[string]stacsearch.Source{}, cursors: map[string]cursor{}}
}

// Catalogs lists the built-in STAC API first, then the saved catalogs.
func (f *Finder) Catalogs(ctx context.Context) ([]Catalog, error) {
	out := []Catalog{{ID: BuiltIn, Title: "Built-in endpoint (synthetic Sentinel-2)", URL: f.localURL, Kind: store.CatalogAPI}}
	cs, err := f.st.Catalogs(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		out = append(out, Catalog{ID: c.ID, Title: c.Title, URL: c.URL, Kind: c.Kind})
	}
	return out, nil
}

// Forget drops a catalog's opened source (it was edited or deleted).
func (f *Finder) Forget(id string) {
	f.mu.Lock()
	delete(f.sources, id)
	f.mu.Unlock()
}

func (f *Finder) source(ctx context.Context, id string) (stacsearch.Source, error) {
	f.mu.Lock()
	src, ok := f.sources[id]
	f.mu.Unlock()
	if ok {
		return src, nil
	}
	c := &stacsearch.Client{}
	var cat store.STACCatalog
	if id == BuiltIn {
		cat = store.STACCatalog{URL: f.localURL, Kind: store.CatalogAPI}
		c.Credentials = f.localCreds
	} else {
		var err error
		if cat, err = f.st.Catalog(ctx, id); err != nil {
			return nil, err
		}
		if err := stackeys.Authorize(c, f.keys, cat.CredentialKey, nil); err != nil {
			return nil, err
		}
	}
	if cat.Kind == store.CatalogStatic {
		s, err := c.OpenCatalog(cat.URL)
		if err != nil {
			return nil, err
		}
		src = s
	} else {
		a, err := c.OpenAPI(ctx, cat.URL)
		if err != nil {
			return nil, err
		}
		src = a
	}
	f.mu.Lock()
	f.sources[id] = src
	f.mu.Unlock()
	return src, nil
}

// Collections lists a catalog's collections (none for a static catalog) and whether
// cloud cover can be asked for (queryable, or the query extension is declared).
func (f *Finder) Collections(ctx context.Context, catalogID string) ([]stacsearch.CollectionInfo, bool, error) {
	src, err := f.source(ctx, catalogID)
	if err != nil {
		return nil, false, err
	}
	a, ok := src.(*stacsearch.API)
	if !ok {
		return nil, true, nil // filtered here: any property works
	}
	cs, err := a.Collections(ctx)
	if err != nil {
		return nil, false, err
	}
	q, err := a.Queryables(ctx, "")
	cloud := err == nil && q["eo:cloud_cover"] || a.Conformance.Has(stacsearch.ClassQuery)
	return cs, cloud, nil
}

// Search runs the first page of a search.
func (f *Finder) Search(ctx context.Context, catalogID string, p stacsearch.Params) (*Page, error) {
	src, err := f.source(ctx, catalogID)
	if err != nil {
		return nil, err
	}
	req, err := src.First(p)
	if err != nil {
		return nil, err
	}
	return f.fetch(ctx, catalogID, src, req)
}

// More fetches the page after the one that returned token.
func (f *Finder) More(ctx context.Context, token string) (*Page, error) {
	f.mu.Lock()
	c, ok := f.cursors[token]
	f.mu.Unlock()
	if !ok {
		return nil, ErrExpired
	}
	src, err := f.source(ctx, c.catalog)
	if err != nil {
		return nil, err
	}
	return f.fetch(ctx, c.catalog, src, c.req)
}

func (f *Finder) fetch(ctx context.Context, catalogID string, src stacsearch.Source, req *stacsearch.Request) (*Page, error) {
	pg, err := src.Fetch(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &Page{Dropped: pg.Dropped}
	for _, it := range pg.Items {
		out.Items = append(out.Items, itemOf(it))
	}
	if pg.Next != nil {
		out.More = f.keep(catalogID, pg.Next)
	}
	return out, nil
}

func (f *Finder) keep(catalogID string, req *stacsearch.Request) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.cursors) >= maxCursors {
		var oldest string
		var at time.Time
		for k, c := range f.cursors {
			if oldest == "" || c.at.Before(at) {
				oldest, at = k, c.at
			}
		}
		delete(f.cursors, oldest)
	}
	f.cursors[tok] = cursor{catalog: catalogID, req: req, at: time.Now()}
	return tok
}

func itemOf(it *stac.Item) Item {
	x := Item{ID: it.ID, URL: stacsearch.ItemURL(it), Collection: it.Collection, Thumbnail: stacsearch.Thumbnail(it)}
	if t, ok := it.Datetime(); ok {
		x.Datetime = t.UTC().Format("2006-01-02 15:04")
	}
	if cc, ok := stacsearch.CloudCover(it); ok {
		x.Cloud = &cc
	}
	if len(it.Geometry) > 0 && string(it.Geometry) != "null" {
		x.Geometry = it.Geometry
	}
	return x
}

// FeatureCollection is the items' footprints for the map (title: id).
func FeatureCollection(items []Item) json.RawMessage {
	fs := make([]mapdata.Footprint, len(items))
	for i, it := range items {
		fs[i] = mapdata.Footprint{ID: it.ID, Title: it.ID, Geometry: it.Geometry}
	}
	return mapdata.FeatureCollection(fs)
}
