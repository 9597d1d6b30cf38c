package stacsearch

import "strings"

// Conformance is a landing page's conformsTo list. Classes are matched by name, not by
// version: Planetary Computer lists ".../v1.0.0-rc.2/item-search#filter" next to
// ".../v1.0.0/item-search#query", and Earth Search lists "#query" under both
// ogcapi-features and item-search.
type Conformance []string

// Class names Has understands.
const (
	ClassItemSearch = "item-search"
	ClassFilter     = "filter"    // item-search#filter or OGC ogcapi-features-3 filter
	ClassCQL2JSON   = "cql2-json" // the OGC CQL2 JSON encoding
	ClassQuery      = "query"     // item-search#query
	ClassFields     = "fields"
	ClassSort       = "sort"
)

// Has reports whether the list declares class.
func (c Conformance) Has(class string) bool {
	for _, uri := range c {
		uri = strings.TrimRight(strings.ToLower(uri), "/")
		path, frag, hasFrag := strings.Cut(uri, "#")
		last := path[strings.LastIndex(path, "/")+1:]
		switch class {
		case ClassItemSearch:
			if !hasFrag && last == "item-search" && strings.Contains(path, "stacspec.org") {
				return true
			}
		case ClassFilter:
			// https://api.stacspec.org/v1.0.0-rc.2/item-search#filter, or OGC
			// http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter
			if hasFrag && frag == "filter" && strings.Contains(path, "item-search") ||
				!hasFrag && last == "filter" && strings.Contains(path, "ogcapi-features-3") {
				return true
			}
		case ClassCQL2JSON:
			if !hasFrag && last == "cql2-json" {
				return true
			}
		default: // query, fields, sort: fragments of item-search
			if hasFrag && frag == class && strings.Contains(path, "item-search") {
				return true
			}
		}
	}
	return false
}

// Filter reports whether a CQL2-JSON filter may be sent to item search.
func (c Conformance) Filter() bool { return c.Has(ClassFilter) && c.Has(ClassCQL2JSON) }
