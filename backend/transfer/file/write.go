package file

import (
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/atomicfile"
	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/spf13/afero"
)

var (
	_ driver.Writer = Source{}
	_ driver.Lister = Source{}
)

// Put implements driver.Writer: the data goes to a temporary file beside the target,
// which replaces it only once complete and checked, so a failed Put leaves nothing.
func (Source) Put(ctx context.Context, u *url.URL, r io.Reader, size int64, _ *driver.WriteOptions) (driver.Info, error) {
	p, err := Path(u)
	if err != nil {
		return driver.Info{}, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return driver.Info{}, classify(err, u)
	}
	var n int64
	err = atomicfile.Stream(afero.NewOsFs(), p, 0o644, func(w io.Writer) error {
		var err error
		n, err = io.Copy(w, ctxReader{ctx, r})
		if err != nil {
			return &readError{err}
		}
		if size >= 0 && n != size {
			return driver.Errorf(driver.DataLoss, "file: %s: read %d bytes, expected %d", driver.RedactURL(u), n, size)
		}
		return nil
	})
	var re *readError
	switch {
	case errors.As(err, &re):
		return driver.Info{}, re.err
	case driver.CodeOf(err) != driver.Unknown:
		return driver.Info{}, err
	case err != nil:
		return driver.Info{}, classify(err, u)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return driver.Info{}, classify(err, u)
	}
	if fi.Size() != n {
		return driver.Info{}, driver.Errorf(driver.DataLoss, "file: %s: stored %d bytes, wrote %d", driver.RedactURL(u), fi.Size(), n)
	}
	return driver.Info{Size: fi.Size(), ETag: etag(fi), ModTime: fi.ModTime(), AcceptRanges: true}, nil
}

// readError marks a failure of the reader given to Put, passed on as it is.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// List implements driver.Lister.
func (Source) List(_ context.Context, u *url.URL, limit int) ([]driver.Entry, bool, error) {
	p, err := Path(u)
	if err != nil {
		return nil, false, err
	}
	if limit <= 0 {
		limit = 1000
	}
	des, err := os.ReadDir(p)
	if err != nil {
		return nil, false, classify(err, u)
	}
	slices.SortFunc(des, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	var out []driver.Entry
	for _, de := range des {
		if len(out) == limit {
			return out, true, nil
		}
		e := driver.Entry{Name: de.Name(), IsDir: de.IsDir()}
		if !e.IsDir {
			fi, err := de.Info()
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			e.Info = driver.Info{Size: fi.Size(), ETag: etag(fi), ModTime: fi.ModTime(), AcceptRanges: true}
		}
		out = append(out, e)
	}
	return out, false, nil
}
