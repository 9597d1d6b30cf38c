// Package stackeys authorises STAC searches with keystore keys: the key's credentials
// (headers, basic auth, S3 signatures) for the API or catalog's own origin, and
// presigned GETs for catalogs at s3:// URLs. It only adapts the keystore to
// stacsearch; stacsearch itself knows no keys.
package stackeys

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/stacsearch"
	"github.com/geojobs/geojobs/backend/transfer/s3"
)

// presignExpiry is long enough for a crawl, short enough not to matter if it leaks.
const presignExpiry = 15 * time.Minute

// Authorize sets c's Credentials and Presigner from the keystore: with a named key,
// that key alone; without one (name ""), for each URL the key the store matches
// (HTTP and WebDAV keys for https URLs, S3 keys for s3:// URLs). st may be nil (no
// keystore): then only public catalogs work. transport, when set, is used for S3.
func Authorize(c *stacsearch.Client, st *keystore.Store, name string, transport http.RoundTripper) error {
	if name != "" {
		if st == nil {
			return fmt.Errorf("%w: key %q: there is no keystore", keystore.ErrNotFound, name)
		}
		k, err := st.Get(name)
		if err != nil {
			return err
		}
		if err := k.CanUse(keystore.Download); err != nil {
			return err
		}
		c.Credentials = k.Credentials()
		if k.Kind == keystore.KindS3 || k.Kind == keystore.KindEODATA {
			c.Presigner = &presigner{fixed: k, transport: transport}
		}
		return nil
	}
	if st == nil {
		return nil
	}
	c.Credentials = st.Authorizer(keystore.Download)
	c.Presigner = &presigner{store: st, transport: transport}
	return nil
}

// presigner presigns s3://bucket/key with the fixed key or the store's match.
type presigner struct {
	fixed     *keystore.Key
	store     *keystore.Store
	transport http.RoundTripper
}

func (p *presigner) Presign(ctx context.Context, u *url.URL) (*url.URL, error) {
	k := p.fixed
	if k == nil {
		var ok bool
		if k, ok = p.store.Match(u.String(), keystore.Input); !ok {
			return nil, fmt.Errorf("%w: no S3 key in the keystore for %s", stac.ErrPermissionDenied, u.Redacted())
		}
	}
	bucket, key, err := s3.ParseURL(u.String())
	if err != nil {
		return nil, err
	}
	if k.Bucket != "" && k.Bucket != bucket {
		return nil, fmt.Errorf("%w: key %q is for bucket %q, not %q", stac.ErrPermissionDenied, k.Name, k.Bucket, bucket)
	}
	cl, err := s3.New(k, s3.Options{Bucket: bucket, Transport: p.transport})
	if err != nil {
		return nil, err
	}
	return cl.Presign(ctx, key, presignExpiry)
}
