package stacsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/geojobs/geojobs/backend/safetext"
	"github.com/geojobs/geojobs/backend/stac"
)

// API is an opened STAC API: its landing page read once.
type API struct {
	c *Client
	// URL is the landing page as given. Links are resolved against it; the server's
	// own self link may differ by a trailing slash (Planetary Computer's does).
	URL         *url.URL
	ID, Title   string
	Description string
	// Conformance is conformsTo from the landing page, or from /conformance when the
	// landing page has none; empty for pre-1.0 servers that declare nothing.
	Conformance Conformance

	searchGET, searchPOST *url.URL
	collections           *url.URL
	queryables            *url.URL
}

type landingPage struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	ConformsTo  []string    `json:"conformsTo"`
	Links       []stac.Link `json:"links"`
}

// relQueryables is the OGC link relation of queryables (PC, Earth Search).
const relQueryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

// OpenAPI reads the landing page at rawURL.
func (c *Client) OpenAPI(ctx context.Context, rawURL string) (*API, error) {
	u, err := parseHTTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	var lp landingPage
	if err := c.getJSON(ctx, u, u, &lp); err != nil {
		return nil, fmt.Errorf("STAC API %s: %w", safetext.URL(u), err)
	}
	a := &API{c: c, URL: u, ID: lp.ID, Title: lp.Title, Description: lp.Description, Conformance: lp.ConformsTo}
	base := landingBase(u, lp.Links)
	var conformance *url.URL
	for _, l := range lp.Links {
		href, err := resolve(base, l.Href)
		if err != nil {
			continue
		}
		// Dispatch on rel only: link types are unreliable (Earth Search's child links
		// say application/geo+json for Collections).
		switch l.Rel {
		case "search":
			switch strings.ToUpper(linkString(l, "method")) {
			case "GET":
				a.searchGET = href
			case "POST":
				a.searchPOST = href
			default: // pre-1.0 servers name no method and take both
				if a.searchPOST == nil {
					a.searchPOST = href
				}
				if a.searchGET == nil {
					a.searchGET = href
				}
			}
		case "data":
			a.collections = href
		case relQueryables, "queryables":
			a.queryables = href
		case "conformance":
			conformance = href
		}
	}
	if a.collections == nil {
		a.collections = base.JoinPath("collections")
	}
	if len(a.Conformance) == 0 && conformance != nil {
		var cf struct {
			ConformsTo []string `json:"conformsTo"`
		}
		if c.getJSON(ctx, u, conformance, &cf) == nil {
			a.Conformance = cf.ConformsTo
		}
	}
	return a, nil
}

// CanSearch reports whether the API has item search: a search link, and either the
// item-search class or no conformance list at all (pre-1.0 servers such as Earth
// Search v0 declare nothing but search).
func (a *API) CanSearch() bool {
	if a.searchPOST == nil && a.searchGET == nil {
		return false
	}
	return len(a.Conformance) == 0 || a.Conformance.Has(ClassItemSearch)
}

// CollectionInfo is what the picker shows of a collection.
type CollectionInfo struct {
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// Collections lists the API's collections (GET /collections; Earth Search and PC send
// them all on one page, with the old context object or nothing).
func (a *API) Collections(ctx context.Context) ([]CollectionInfo, error) {
	var doc struct {
		Collections []CollectionInfo `json:"collections"`
	}
	if err := a.c.getJSON(ctx, a.URL, a.collections, &doc); err != nil {
		return nil, fmt.Errorf("collections of %s: %w", safetext.URL(a.URL), err)
	}
	return doc.Collections, nil
}

// Queryables returns the names of the properties a filter may use for collection
// (or the whole API when collection is ""). A server without queryables gives an
// empty set and no error.
func (a *API) Queryables(ctx context.Context, collection string) (map[string]bool, error) {
	u := a.queryables
	if collection != "" {
		u = a.collections.JoinPath(collection, "queryables")
	}
	if u == nil {
		return map[string]bool{}, nil
	}
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := a.c.getJSON(ctx, a.URL, u, &doc); err != nil {
		if ae, ok := err.(*APIError); ok && (ae.Status == http.StatusNotFound || ae.Status == http.StatusNotImplemented) {
			return map[string]bool{}, nil
		}
		return nil, fmt.Errorf("queryables of %s: %w", safetext.URL(a.URL), err)
	}
	out := make(map[string]bool, len(doc.Properties))
	for k := range doc.Properties {
		out[k] = true
	}
	return out, nil
}

// landingBase is what relative links of a landing page resolve against: its absolute
// self link, else the URL it was fetched from as a folder ("…/v1" and "…/v1/" are the
// same API; Planetary Computer's self link has the slash, the usual request not).
func landingBase(fetched *url.URL, links []stac.Link) *url.URL {
	for _, l := range links {
		if l.Rel != "self" {
			continue
		}
		if u, err := url.Parse(l.Href); err == nil && u.IsAbs() {
			return u
		}
	}
	b := *fetched
	if !strings.HasSuffix(b.Path, "/") {
		b.Path += "/"
		if b.RawPath != "" {
			b.RawPath += "/"
		}
	}
	return &b
}

// linkString reads a string member of a link's extra fields.
func linkString(l stac.Link, name string) string {
	var s string
	if json.Unmarshal(l.Extra[name], &s) != nil {
		return ""
	}
	return s
}

func resolve(base *url.URL, href string) (*url.URL, error) {
	u, err := url.Parse(href)
	if err != nil {
		return nil, err
	}
	if u.IsAbs() {
		return u, nil
	}
	return base.ResolveReference(u), nil
}

func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrInvalid, raw)
	}
	return u, nil
}
