package stacsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/safetext"
	"github.com/geojobs/geojobs/backend/stac"
)

// Request is one page request: the first one built from Params, each next one taken
// from the server's next link as given. It is plain data, so a page of results can be
// continued later (the picker keeps it between clicks).
type Request struct {
	Method  string            `json:"method"`
	Href    string            `json:"href"`
	Body    json.RawMessage   `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Params are the search terms, for the checks made on results (cloud cover) and,
	// for static catalogs, the filtering itself.
	Params Params `json:"params"`
	// Offset is the position in a static catalog's filtered items.
	Offset int `json:"offset,omitempty"`
}

// Page is one page of results.
type Page struct {
	Items []*stac.Item
	// Next continues the search; nil at the end (no next link, or an empty page).
	Next *Request
	// Matched is the server's numberMatched (or context.matched), for display only:
	// servers change it between pages or do not send it.
	Matched *int64
	// Restored lists members the server's next body dropped and that Next sends again
	// (Earth Search drops filter and filter-lang).
	Restored []string
	// Dropped counts items the server returned that fail the checks made here.
	Dropped int
}

// Source is a STAC API or a static catalog.
type Source interface {
	// First must validate p and return the first page request, or an error wrapping
	// ErrUnsupported when the source cannot honour p, before anything is sent.
	First(p Params) (*Request, error)
	// Fetch must return the page req asks for.
	Fetch(ctx context.Context, req *Request) (*Page, error)
}

var _ Source = (*API)(nil)

// First builds the first search request: POST when the API offers it, else GET. A
// filter needs the filter and cql2-json classes, a query the query class; cloud cover
// goes into whichever the API declares.
func (a *API) First(p Params) (*Request, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if !a.CanSearch() {
		return nil, fmt.Errorf("%w: %s has no item search", ErrUnsupported, safetext.URL(a.URL))
	}
	filter, query := p.Filter, p.Query
	if len(filter) > 0 && !a.Conformance.Filter() {
		return nil, fmt.Errorf("%w: %s does not declare CQL2-JSON filters in conformsTo (it would ignore the filter)", ErrUnsupported, safetext.URL(a.URL))
	}
	if len(query) > 0 && !a.Conformance.Has(ClassQuery) {
		return nil, fmt.Errorf("%w: %s does not declare the query extension in conformsTo (it would ignore the query)", ErrUnsupported, safetext.URL(a.URL))
	}
	if p.MaxCloud != nil {
		switch {
		case a.Conformance.Filter():
			filter = and(filter, cloudFilter(*p.MaxCloud))
		case a.Conformance.Has(ClassQuery):
			query = withCloudQuery(query, *p.MaxCloud)
		}
	}
	if a.searchPOST != nil {
		body, err := json.Marshal(p.body(filter, query))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return &Request{Method: http.MethodPost, Href: a.searchPOST.String(), Body: body, Params: p}, nil
	}
	u := *a.searchGET
	q := u.Query()
	for k, vs := range p.values(filter, query) {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return &Request{Method: http.MethodGet, Href: u.String(), Params: p}, nil
}

// Items returns the request for a collection's items endpoint (GET
// /collections/{id}/items), which needs no item search.
func (a *API) Items(collection string, limit int) *Request {
	u := a.collections.JoinPath(collection, "items")
	if limit > 0 {
		u.RawQuery = url.Values{"limit": {fmt.Sprint(limit)}}.Encode()
	}
	return &Request{Method: http.MethodGet, Href: u.String(), Params: Params{Collections: []string{collection}}}
}

// Fetch sends req and reads one page.
func (a *API) Fetch(ctx context.Context, req *Request) (*Page, error) {
	u, err := url.Parse(req.Href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: page URL %q", ErrInvalid, req.Href)
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body []byte
	if method == http.MethodPost {
		body = req.Body
		if len(body) == 0 {
			body = []byte("{}")
		}
	}
	b, err := a.c.do(ctx, a.URL, method, u, body, req.Headers)
	if err != nil {
		return nil, fmt.Errorf("search %s: %w", safetext.URL(u), err)
	}
	var fc struct {
		stac.ItemCollection
		Context *struct {
			Matched *int64 `json:"matched"`
		} `json:"context"`
	}
	if err := json.Unmarshal(b, &fc.ItemCollection); err != nil {
		return nil, fmt.Errorf("%w: search %s: not an ItemCollection: %v", stac.ErrNotSTAC, safetext.URL(u), err)
	}
	if fc.Type != "FeatureCollection" || fc.Features == nil && !bytes.Contains(b, []byte(`"features"`)) {
		return nil, fmt.Errorf("%w: search %s answered a %q, not a FeatureCollection", stac.ErrNotSTAC, safetext.URL(u), fc.Type)
	}
	_ = json.Unmarshal(fc.Extra["context"], &fc.Context)
	page := &Page{Matched: fc.NumberMatched}
	if page.Matched == nil && fc.Context != nil {
		page.Matched = fc.Context.Matched
	}
	for _, it := range fc.Features {
		if it == nil {
			continue
		}
		absolutize(it, u)
		if keep(it, &req.Params) {
			page.Items = append(page.Items, it)
		} else {
			page.Dropped++
		}
	}
	if len(fc.Features) == 0 {
		return page, nil // the end, whatever links say
	}
	next, restored, err := nextRequest(fc.Links, u, req)
	if err != nil {
		return nil, err
	}
	page.Next, page.Restored = next, restored
	return page, nil
}

// pagingMembers are the body members that carry the position, which a next body may
// legitimately replace or leave out.
var pagingMembers = []string{"next", "token", "page", "prev", "previous", "cursor"}

// nextRequest turns the "next" link into a request: GET its href verbatim; POST its
// body as given, merged over the previous body when merge is true. Members of the
// previous body that a non-merging next body leaves out are sent again (Earth Search
// drops filter from it, which would silently widen the search).
func nextRequest(links []stac.Link, base *url.URL, prev *Request) (*Request, []string, error) {
	i := slices.IndexFunc(links, func(l stac.Link) bool { return l.Rel == "next" })
	if i < 0 {
		return nil, nil, nil
	}
	l := links[i]
	href, err := resolve(base, l.Href)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: next link %q: %v", stac.ErrNotSTAC, l.Href, err)
	}
	next := &Request{Method: http.MethodGet, Href: href.String(), Params: prev.Params, Headers: map[string]string{}}
	var merge bool
	_ = json.Unmarshal(l.Extra["merge"], &merge)
	var headers map[string]string
	_ = json.Unmarshal(l.Extra["headers"], &headers)
	if merge {
		maps.Copy(next.Headers, prev.Headers)
	}
	maps.Copy(next.Headers, headers)
	if len(next.Headers) == 0 {
		next.Headers = nil
	}
	if m := strings.ToUpper(linkString(l, "method")); m != "" {
		next.Method = m
	}
	if next.Method != http.MethodPost {
		return next, nil, nil
	}
	var linkBody map[string]json.RawMessage
	if raw := l.Extra["body"]; len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &linkBody); err != nil {
			return nil, nil, fmt.Errorf("%w: next link body is not an object: %v", stac.ErrNotSTAC, err)
		}
	}
	var prevBody map[string]json.RawMessage
	if len(prev.Body) > 0 {
		_ = json.Unmarshal(prev.Body, &prevBody)
	}
	out := map[string]json.RawMessage{}
	var restored []string
	if merge {
		maps.Copy(out, prevBody)
	} else {
		for k, v := range prevBody {
			if _, ok := linkBody[k]; !ok && !slices.Contains(pagingMembers, k) {
				out[k] = v
				restored = append(restored, k)
			}
		}
	}
	maps.Copy(out, linkBody)
	slices.Sort(restored)
	b, err := json.Marshal(out)
	if err != nil {
		return nil, nil, err
	}
	next.Body = b
	return next, restored, nil
}

// absolutize resolves an item's relative hrefs against the page it came in.
func absolutize(it *stac.Item, base *url.URL) {
	for i, l := range it.Links {
		if u, err := resolve(base, l.Href); err == nil {
			it.Links[i].Href = u.String()
		}
	}
	for k, as := range it.Assets {
		if u, err := resolve(base, as.Href); err == nil {
			as.Href = u.String()
			it.Assets[k] = as
		}
	}
}
