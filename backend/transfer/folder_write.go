package transfer

import (
	"context"
	"io"
	"net/url"
	"strings"

	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Folder is a folder of a store that files are written to (an export's destination):
// the portable write side of transfer over a driver.Writer. It validates the
// relative names (SanitizeName) and classifies errors; the driver only translates.
type Folder struct {
	w    driver.Writer
	base *url.URL
}

// NewFolder returns the folder at base (a URL; a trailing "/" is added) written with w.
func NewFolder(w driver.Writer, base *url.URL) *Folder {
	b := *base
	if !strings.HasSuffix(b.Path, "/") {
		b.Path += "/"
	}
	b.RawPath = ""
	return &Folder{w: w, base: &b}
}

// Put streams r (size bytes, or -1 when unknown) to rel, a slash-separated path under
// the folder, and checks what was stored (driver.Writer's contract). The error has
// Code InvalidArgument for an unsafe name and DataLoss when the stored object differs
// from what was sent; when r fails, it wraps r's error.
func (f *Folder) Put(ctx context.Context, rel string, r io.Reader, size int64, contentType string) error {
	clean, err := SanitizeName(rel)
	if err != nil {
		return err
	}
	_, err = f.w.Put(ctx, f.at(clean), r, size, &driver.WriteOptions{ContentType: contentType})
	return err
}

func (f *Folder) at(rel string) *url.URL {
	u := *f.base
	u.Path += rel
	return &u
}

// URL is rel's location (as STAC hrefs give it).
func (f *Folder) URL(rel string) string { return show(f.at(strings.TrimLeft(rel, "/"))) }

// String names the folder for people (its URL; no credentials are ever in it).
func (f *Folder) String() string { return show(f.base) }

// show writes u as hrefs give it: s3:// URLs name their keys verbatim (as the AWS
// tools write them), others are escaped.
func show(u *url.URL) string {
	if u.Scheme == "s3" {
		return "s3://" + u.Host + u.Path
	}
	return driver.RedactURL(u)
}
