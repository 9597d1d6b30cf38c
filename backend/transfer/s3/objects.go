package s3

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/minio/minio-go/v7"
)

// Object describes an object, or a common prefix ("folder") when IsPrefix.
type Object struct {
	Key          string
	Size         int64
	LastModified time.Time
	ETag         string
	ContentType  string
	IsPrefix     bool
}

// ListOptions shape a listing.
type ListOptions struct {
	// Recursive lists every object under the prefix; otherwise objects directly
	// under it plus the sub-prefixes, for a folder view.
	Recursive bool
	// Limit stops after that many entries (0: 1000).
	Limit int
}

// List lists the bucket under prefix (relative to the bucket, not the key's
// prefix; "" lists from the key's prefix). More reports whether Limit cut it.
func (c *Client) List(ctx context.Context, prefix string, opt ListOptions) (objs []Object, more bool, err error) {
	if err := c.needBucket(); err != nil {
		return nil, false, err
	}
	if prefix == "" {
		prefix = c.prefix
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
	}
	limit := opt.Limit
	if limit <= 0 {
		limit = 1000
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range c.mc.ListObjects(ctx, c.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: opt.Recursive}) {
		if o.Err != nil {
			return nil, false, classify(o.Err, c.bucket, prefix)
		}
		if len(objs) == limit {
			return objs, true, nil
		}
		objs = append(objs, Object{
			Key: o.Key, Size: o.Size, LastModified: o.LastModified, ETag: strings.Trim(o.ETag, `"`),
			ContentType: o.ContentType, IsPrefix: strings.HasSuffix(o.Key, "/") && o.Size == 0 && o.ETag == "",
		})
	}
	return objs, false, nil
}

// MaxPresignExpiry is S3's limit for a SigV4 presigned URL.
const MaxPresignExpiry = 7 * 24 * time.Hour

// Presign returns a GET URL for the object that works without credentials until
// expiry (1 s to 7 days) has passed.
func (c *Client) Presign(ctx context.Context, key string, expiry time.Duration) (*url.URL, error) {
	if err := c.needBucket(); err != nil {
		return nil, err
	}
	if expiry < time.Second || expiry > MaxPresignExpiry {
		return nil, fmt.Errorf("%w: presign expiry %v must be between 1s and 7 days", keystore.ErrInvalid, expiry)
	}
	u, err := c.mc.PresignedGetObject(ctx, c.bucket, key, expiry, nil)
	if err != nil {
		return nil, classify(err, c.bucket, key)
	}
	return u, nil
}

// Stat returns the object's metadata.
func (c *Client) Stat(ctx context.Context, key string) (Object, error) {
	if err := c.needBucket(); err != nil {
		return Object{}, err
	}
	info, err := c.mc.StatObject(ctx, c.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return Object{}, classify(err, c.bucket, key)
	}
	return fromInfo(info), nil
}

func fromInfo(info minio.ObjectInfo) Object {
	return Object{Key: info.Key, Size: info.Size, LastModified: info.LastModified,
		ETag: strings.Trim(info.ETag, `"`), ContentType: info.ContentType}
}

// Open reads the object from offset; length < 0 reads to the end. The request is
// made before Open returns, so a missing object or a refusal is its error. The
// returned Object describes the whole object (Size is the full size).
func (c *Client) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error) {
	if err := c.needBucket(); err != nil {
		return nil, Object{}, err
	}
	if offset < 0 || length == 0 || length < -1 {
		return nil, Object{}, fmt.Errorf("%w: bad range offset %d length %d", keystore.ErrInvalid, offset, length)
	}
	opts := minio.GetObjectOptions{}
	switch {
	case length > 0:
		if err := opts.SetRange(offset, offset+length-1); err != nil {
			return nil, Object{}, fmt.Errorf("%w: %v", keystore.ErrInvalid, err)
		}
	case offset > 0:
		if err := opts.SetRange(offset, 0); err != nil {
			return nil, Object{}, fmt.Errorf("%w: %v", keystore.ErrInvalid, err)
		}
	}
	body, info, hdr, err := c.core.GetObject(ctx, c.bucket, key, opts)
	if err != nil {
		return nil, Object{}, classify(err, c.bucket, key)
	}
	obj := fromInfo(info)
	obj.Key = key
	if cr := hdr.Get("Content-Range"); cr != "" {
		var start, end, total int64
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &total); err == nil {
			obj.Size = total
		}
	}
	return body, obj, nil
}
