// Package driver defines the interface that per-scheme drivers (file, httpget, s3,
// webdav) implement for the transfer package. A driver only translates between the
// remote store and this contract; validation, retries, splitting and resuming live in
// the portable transfer layer.
package driver

import (
	"context"
	"io"
	"net/url"
	"time"
)

// Info describes a remote object as a source reports it.
type Info struct {
	// Size is the object's length in bytes, or -1 when the source cannot tell.
	Size int64
	// ETag identifies the object's version (quoted as the server sent it; "W/" prefix
	// kept for weak tags). Empty when the source has none.
	ETag string
	// ModTime is the last modification time, zero when unknown.
	ModTime time.Time
	// AcceptRanges reports that ReadRange may be called with off > 0.
	AcceptRanges bool
}

// ReadOptions are preconditions for ReadRange.
type ReadOptions struct {
	// IfMatch, when not empty, is the ETag from a previous Stat. A driver must fail
	// with Code Changed when the object it would serve has a different ETag.
	IfMatch string
}

// Source reads objects addressed by URLs of one or more schemes.
//
// Implementations must be safe for concurrent use. Errors should be *Error values (see
// Errorf and Wrap) so that the transfer layer can tell transient failures from
// permanent ones; errors must not contain credentials (no userinfo, no signed query
// strings — use RedactURL).
type Source interface {
	// Stat returns the object's Info. It must return an error with Code NotFound when
	// the object does not exist and PermissionDenied when access is refused.
	Stat(ctx context.Context, u *url.URL) (Info, error)

	// ReadRange returns a reader of the n bytes at offset off, or of everything from
	// off to the end when n < 0. The reader must yield exactly those bytes: a driver
	// whose server ignores the range must not return other bytes silently; for off > 0 it
	// must fail with Code RangeUnsupported. A read error on the returned reader
	// should be an *Error with Code Unavailable when retrying could help.
	ReadRange(ctx context.Context, u *url.URL, off, n int64, opts *ReadOptions) (io.ReadCloser, error)
}

// Opener is implemented by sources that read a whole object and describe it with one
// request (http: the headers of a GET tell the size and the ETag). The transfer layer
// uses it for small files, whose time goes in round trips: it saves Stat's.
type Opener interface {
	// Open returns a reader of the whole object and the object's Info. It must fail
	// as Stat does (Code NotFound, PermissionDenied). Info.Size is -1 when the source
	// cannot tell; the reader must then yield the object to its end.
	Open(ctx context.Context, u *url.URL) (io.ReadCloser, Info, error)
}

// WriteOptions tune Put.
type WriteOptions struct {
	// ContentType is the stored object's media type, when the store keeps one.
	ContentType string
}

// Writer is implemented by drivers that store objects (file, s3, webdav); http(s)
// is read-only.
type Writer interface {
	// Put stores the bytes r yields at u, replacing any object there and creating
	// parent folders as needed. size is the number of bytes r yields, or -1 when
	// unknown. Put must check what was stored: it must fail with Code DataLoss when
	// the stored size differs from the bytes read or from size, or when the store
	// reports a digest of the object (an MD5 ETag) that is not the data's. When
	// reading r fails, Put must fail with an error wrapping r's and should leave no
	// object at u. It returns the stored object's Info.
	Put(ctx context.Context, u *url.URL, r io.Reader, size int64, opts *WriteOptions) (Info, error)
}

// Entry is one entry of a listing.
type Entry struct {
	// Name is the entry's name within the folder listed (no slash).
	Name string
	// IsDir reports a sub-folder (on S3, a common prefix); Info is then zero.
	IsDir bool
	Info  Info
}

// Lister is implemented by drivers that list folders (file, s3, webdav).
type Lister interface {
	// List returns the entries directly under the folder u, sorted by name, at most
	// limit of them (limit <= 0: 1000); more reports that there were more. A folder
	// that does not exist (on S3: a prefix with no object under it) must give Code
	// NotFound.
	List(ctx context.Context, u *url.URL, limit int) (entries []Entry, more bool, err error)
}
