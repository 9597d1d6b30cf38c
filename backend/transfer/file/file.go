// Package file is the transfer driver for file:// URLs (local disks and mounted
// network shares). Its ETag is derived from size and modification time.
package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Source is the file driver. The zero value is ready to use.
type Source struct{}

var _ driver.Source = Source{}

// Path returns the local path of a file URL: file:///abs/path, or
// file:///C:/dir/x on Windows. Only an empty or "localhost" host is accepted.
func Path(u *url.URL) (string, error) {
	if u.Scheme != "file" {
		return "", driver.Errorf(driver.InvalidArgument, "file: unsupported scheme %q", u.Scheme)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", driver.Errorf(driver.InvalidArgument, "file: remote host %q in file URL", u.Host)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	if runtime.GOOS == "windows" && len(p) > 2 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
		return "", driver.Errorf(driver.InvalidArgument, "file: %q is not an absolute path", u.Path)
	}
	return p, nil
}

func etag(fi fs.FileInfo) string {
	return fmt.Sprintf("%q", fmt.Sprintf("%x-%x", fi.Size(), fi.ModTime().UnixNano()))
}

// Stat implements driver.Source.
func (Source) Stat(_ context.Context, u *url.URL) (driver.Info, error) {
	p, err := Path(u)
	if err != nil {
		return driver.Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return driver.Info{}, classify(err, u)
	}
	if !fi.Mode().IsRegular() {
		return driver.Info{}, driver.Errorf(driver.InvalidArgument, "file: %s is not a regular file", driver.RedactURL(u))
	}
	return driver.Info{Size: fi.Size(), ETag: etag(fi), ModTime: fi.ModTime(), AcceptRanges: true}, nil
}

// ReadRange implements driver.Source.
func (Source) ReadRange(_ context.Context, u *url.URL, off, n int64, opts *driver.ReadOptions) (io.ReadCloser, error) {
	if off < 0 || n == 0 {
		return nil, driver.Errorf(driver.InvalidArgument, "file: bad range off=%d n=%d", off, n)
	}
	p, err := Path(u)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, classify(err, u)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, classify(err, u)
	}
	if opts != nil && opts.IfMatch != "" && etag(fi) != opts.IfMatch {
		f.Close()
		return nil, driver.Errorf(driver.Changed, "file: %s changed", driver.RedactURL(u))
	}
	if off > fi.Size() || (n > 0 && off+n > fi.Size()) {
		f.Close()
		return nil, driver.Errorf(driver.InvalidArgument, "file: range %d+%d beyond the %d bytes of %s", off, n, fi.Size(), driver.RedactURL(u))
	}
	if n < 0 {
		n = fi.Size() - off
	}
	return &rangeReader{SectionReader: io.NewSectionReader(f, off, n), f: f, u: u}, nil
}

type rangeReader struct {
	*io.SectionReader
	f *os.File
	u *url.URL
}

func (r *rangeReader) Read(p []byte) (int, error) {
	n, err := r.SectionReader.Read(p)
	if err != nil && err != io.EOF {
		err = classify(err, r.u)
	}
	return n, err
}

func (r *rangeReader) Close() error { return r.f.Close() }

func classify(err error, u *url.URL) error {
	msg := "file: " + driver.RedactURL(u)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return driver.Wrap(driver.NotFound, errors.Unwrap(err), msg)
	case errors.Is(err, fs.ErrPermission):
		return driver.Wrap(driver.PermissionDenied, errors.Unwrap(err), msg)
	}
	return driver.Wrap(driver.Unavailable, err, msg)
}
