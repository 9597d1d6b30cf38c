// Package stac reads, assembles and validates the STAC documents that geojobs shows as
// job results: every result ends up as one ItemCollection, whether a server returned
// it inline, by reference as a Catalog or Collection to crawl, or not as STAC at all
// (JobItem wraps plain OGC outputs in an Item).
//
// Core fields are typed; every other field (extensions such as file:*, proj:*,
// raster:bands, storage:*) is kept as raw JSON and written back unchanged. Validation
// uses the STAC 1.0.0 and 1.1.0 JSON Schemas embedded in the binary and never touches
// the network. The package does not talk to STAC APIs (search, paging) and does not
// download assets.
package stac

import "errors"

// Error classes. Callers act on them with errors.Is, never on messages.
var (
	// ErrNotSTAC: the document is not JSON or not a STAC Item, ItemCollection, Catalog
	// or Collection.
	ErrNotSTAC = errors.New("stac: not a STAC document")
	// ErrInvalid: the document is STAC but breaks the schema, or an argument is invalid.
	ErrInvalid = errors.New("stac: invalid")
	// ErrUnsupported: a stac_version this package has no schema for.
	ErrUnsupported = errors.New("stac: unsupported")
	// ErrLimit: crawling would fetch more documents than allowed.
	ErrLimit = errors.New("stac: too many documents")
	// ErrNotFound: a linked document does not exist.
	ErrNotFound = errors.New("stac: not found")
	// ErrUnavailable: a linked document could not be fetched now; retrying may help.
	ErrUnavailable = errors.New("stac: unavailable")
	// ErrPermissionDenied: the server refused access to a linked document.
	ErrPermissionDenied = errors.New("stac: permission denied")
)
