// Package export copies the assets of a job's results to the user's own storage — an
// S3 bucket or a WebDAV share named by a keystore key allowed for outputs — and
// writes a STAC catalog of the copy beside them. Assets are streamed from their
// source (the transfer drivers: http, https, s3) straight into the upload: no local
// copy is made. Each file is verified: the stored size must be what was sent (and,
// on S3, the ETag the MD5 of it), and when the asset has file:size or file:checksum
// the stream read from the source must match them, or the upload is aborted.
//
// It does not pick keys or render progress: the app and the CLI do.
package export

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/webdav"
)

// Destination is where an export writes: a folder of a bucket or a share.
type Destination interface {
	// Put streams r (size bytes, or -1 when unknown) to rel, a clean slash-separated
	// path under the destination's folder. It must fail when what is stored differs
	// from what was sent (an error wrapping keystore.ErrVerify). When r fails, the
	// upload must be aborted, so that the server does not keep what was sent.
	Put(ctx context.Context, rel string, r io.Reader, size int64, contentType string) error
	// URL is rel's location as STAC hrefs give it: s3://bucket/key or the share's
	// https URL.
	URL(rel string) string
	// String names the destination for people (no secrets).
	String() string
}

// ErrFolder: the folder given for an export is not usable.
var ErrFolder = errs.New(errs.InvalidArgument, "export: bad folder")

// Open returns the destination folder of key k: for an S3 key, objects under
// s3://<bucket>/<key prefix>/<folder>/ (a key for every bucket wants the bucket as
// folder's first segment); for a WebDAV key, files under <endpoint>/<folder>/. The
// key must be allowed for outputs (keystore.Key.CanUse); the error wraps
// keystore.ErrNotAllowed otherwise. transport may be nil.
func Open(k *keystore.Key, folder string, transport http.RoundTripper) (Destination, error) {
	if err := k.CanUse(keystore.Output); err != nil {
		return nil, fmt.Errorf("key %q: %w", k.Name, err)
	}
	folder, err := cleanFolder(folder)
	if err != nil {
		return nil, err
	}
	switch k.Kind {
	case keystore.KindS3, keystore.KindEODATA:
		kk := *k
		prefix := strings.Trim(k.Prefix, "/")
		if kk.Bucket == "" {
			bucket, rest, _ := strings.Cut(folder, "/")
			if bucket == "" {
				return nil, fmt.Errorf("%w: key %q is for every bucket of its endpoint: start the folder with the bucket's name", ErrFolder, k.Name)
			}
			kk.Bucket, folder = bucket, rest
		}
		c, err := s3.New(&kk, s3.Options{Transport: transport})
		if err != nil {
			return nil, err
		}
		return &s3Dest{c: c, bucket: kk.Bucket, base: join(prefix, folder)}, nil
	case keystore.KindWebDAV:
		c, err := webdav.New(k, webdav.Options{Transport: transport})
		if err != nil {
			return nil, err
		}
		return &davDest{c: c, endpoint: strings.TrimRight(k.Endpoint, "/"), base: folder}, nil
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

type s3Dest struct {
	c      *s3.Client
	bucket string
	base   string
}

func (d *s3Dest) Put(ctx context.Context, rel string, r io.Reader, size int64, contentType string) error {
	_, err := d.c.Upload(ctx, join(d.base, rel), r, size, contentType)
	return err
}

func (d *s3Dest) URL(rel string) string {
	return "s3://" + d.bucket + "/" + join(d.base, rel)
}

func (d *s3Dest) String() string { return strings.TrimSuffix(d.URL(""), "/") + "/" }

type davDest struct {
	c        *webdav.Client
	endpoint string
	base     string
}

func (d *davDest) Put(ctx context.Context, rel string, r io.Reader, size int64, _ string) error {
	_, err := d.c.Upload(ctx, "/"+join(d.base, rel), r, size)
	return err
}

func (d *davDest) URL(rel string) string {
	p := join(d.base, rel)
	return d.endpoint + (&url.URL{Path: "/" + p}).EscapedPath()
}

func (d *davDest) String() string { return strings.TrimSuffix(d.URL(""), "/") + "/" }
