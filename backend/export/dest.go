// Package export copies the assets of a job's results to the user's own storage — an
// S3 bucket or a WebDAV share named by a keystore key allowed for outputs — and
// writes a STAC catalog of the copy beside them. Assets are streamed from their
// source (the transfer drivers: http, https, s3, dav) straight into the destination,
// a transfer.Folder over the s3 or webdav driver: no local copy is made. Each file is verified: the stored size must be what was sent (and,
// on S3, the ETag the MD5 of it), and when the asset has file:size or file:checksum
// the stream read from the source must match them, or the upload is aborted.
//
// It does not pick keys or render progress: the app and the CLI do.
package export

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/webdav"
)

// ErrFolder: the folder given for an export is not usable.
var ErrFolder = errs.New(errs.InvalidArgument, "export: bad folder")

// Open returns the destination folder of key k: for an S3 key, objects under
// s3://<bucket>/<key prefix>/<folder>/ (a key for every bucket wants the bucket as
// folder's first segment); for a WebDAV key, files under <endpoint>/<folder>/. The
// key must be allowed for outputs (keystore.Key.CanUse); the error wraps
// keystore.ErrNotAllowed otherwise. transport may be nil.
func Open(k *keystore.Key, folder string, transport http.RoundTripper) (*transfer.Folder, error) {
	if err := k.CanUse(keystore.Output); err != nil {
		return nil, fmt.Errorf("key %q: %w", k.Name, err)
	}
	folder, err := cleanFolder(folder)
	if err != nil {
		return nil, err
	}
	switch k.Kind {
	case keystore.KindS3, keystore.KindEODATA:
		bucket := k.Bucket
		if bucket == "" {
			b, rest, _ := strings.Cut(folder, "/")
			if b == "" {
				return nil, fmt.Errorf("%w: key %q is for every bucket of its endpoint: start the folder with the bucket's name", ErrFolder, k.Name)
			}
			bucket, folder = b, rest
		}
		base := &url.URL{Scheme: "s3", Host: bucket, Path: "/" + join(k.Prefix, folder)}
		return transfer.NewFolder(s3.KeySource(k, s3.Options{Transport: transport}), base), nil
	case keystore.KindWebDAV:
		base, err := url.Parse(strings.TrimRight(k.Endpoint, "/") + (&url.URL{Path: "/" + folder}).EscapedPath())
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrFolder, k.Name, err)
		}
		return transfer.NewFolder(webdav.KeySource(k, webdav.Options{Transport: transport}), base), nil
	}
	return nil, &keystore.NotAllowedError{Why: string(k.Kind) + " keys cannot receive exports"}
}

// cleanFolder trims slashes and refuses "..", "." and empty segments in the middle,
// so an export cannot climb out of the key's prefix.
func cleanFolder(f string) (string, error) {
	f = strings.Trim(strings.TrimSpace(strings.ReplaceAll(f, `\`, "/")), "/")
	if f == "" {
		return "", nil
	}
	for _, seg := range strings.Split(f, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\x00\r\n") {
			return "", fmt.Errorf("%w: %q (no empty, '.' or '..' segments)", ErrFolder, f)
		}
	}
	return f, nil
}

func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.Trim(p, "/"); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "/")
}
