// Package s3 reads and writes S3 (and S3-compatible, EODATA) buckets with a
// keystore key: test the key, list a prefix (the bucket browser), presign a GET,
// stat / open / range-read an object (downloads), and upload with verification
// (exporting results). It translates minio-go's errors into the keystore's
// classes (ErrRemoteNotFound, ErrDenied, ErrUnavailable, ErrVerify).
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Options tune a Client.
type Options struct {
	// Bucket is used when the key names none (a key for every bucket on its endpoint).
	Bucket string
	// Transport replaces the default HTTP transport (tests, proxies).
	Transport http.RoundTripper
	// PartSize is the multipart upload part size; 0 chooses one (at least 16 MiB).
	PartSize uint64
	// MaxRetries bounds the attempts of one request; 0 keeps minio's default (10).
	// A key check uses 1: "connection refused" is the answer, not a reason to wait.
	MaxRetries int
}

// Client is a bucket opened with a key.
type Client struct {
	mc       *minio.Client
	core     *minio.Core
	bucket   string
	prefix   string
	keyName  string
	partSize uint64
}

// New opens the key's bucket. The key must be an S3 or EODATA key.
func New(k *keystore.Key, opt Options) (*Client, error) {
	if k.Kind != keystore.KindS3 && k.Kind != keystore.KindEODATA {
		return nil, fmt.Errorf("%w: %s key %q is not an S3 key", keystore.ErrInvalid, k.Kind, k.Name)
	}
	u, err := url.Parse(k.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: key %q: endpoint must be an http(s) URL", keystore.ErrInvalid, k.Name)
	}
	if strings.Trim(u.Path, "/") != "" {
		return nil, fmt.Errorf("%w: key %q: an S3 endpoint cannot have a path (%s)", keystore.ErrInvalid, k.Name, u.Path)
	}
	bucket := k.Bucket
	if bucket == "" {
		bucket = opt.Bucket
	}
	lookup := minio.BucketLookupDNS
	if k.PathStyle {
		lookup = minio.BucketLookupPath
	}
	mc, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(k.AccessKey, k.Secret.Reveal(), ""),
		Secure:       u.Scheme == "https",
		Region:       k.Region,
		BucketLookup: lookup,
		Transport:    opt.Transport,
		MaxRetries:   opt.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: key %q: %v", keystore.ErrInvalid, k.Name, err)
	}
	return &Client{mc: mc, core: &minio.Core{Client: mc}, bucket: bucket, prefix: k.Prefix, keyName: k.Name, partSize: opt.PartSize}, nil
}

// Bucket is the bucket the client works in.
func (c *Client) Bucket() string { return c.bucket }

func (c *Client) needBucket() error {
	if c.bucket == "" {
		return fmt.Errorf("%w: key %q names no bucket; give one", keystore.ErrInvalid, c.keyName)
	}
	return nil
}

// ParseURL splits s3://bucket/key.
func ParseURL(raw string) (bucket, key string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("%w: %q is not an s3://bucket/key URL", keystore.ErrInvalid, raw)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

// Test checks that the key can reach its bucket and list it (or, with no
// bucket, list the buckets). The error says exactly what the server answered.
func (c *Client) Test(ctx context.Context) error {
	if c.bucket == "" {
		if _, err := c.mc.ListBuckets(ctx); err != nil {
			return classify(err, "", "")
		}
		return nil
	}
	// A listing (GET) rather than BucketExists (HEAD): its error has a body, so
	// the message says exactly what the server answered.
	// Only the first answer matters; cancelling stops the listing goroutine.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	obj, ok := <-c.mc.ListObjects(ctx, c.bucket, minio.ListObjectsOptions{Prefix: c.prefix, MaxKeys: 1})
	if ok && obj.Err != nil {
		return classify(obj.Err, c.bucket, c.prefix)
	}
	return nil
}

// classify maps a minio error onto the keystore classes, keeping the server's
// code and message.
func classify(err error, bucket, key string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) || (resp.Code == "" && resp.StatusCode == 0) {
		return fmt.Errorf("%w: S3: %v", keystore.ErrUnavailable, err)
	}
	where := ""
	if bucket != "" {
		where = " (s3://" + bucket + "/" + key + ")"
	}
	detail := fmt.Sprintf("S3 %s: %s [HTTP %d]%s", resp.Code, resp.Message, resp.StatusCode, where)
	switch resp.Code {
	case "NoSuchBucket", "NoSuchKey", "NotFound", "NoSuchUpload":
		return fmt.Errorf("%w: %s", keystore.ErrRemoteNotFound, detail)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
		"ExpiredToken", "AllAccessDisabled", "AccountProblem", "Forbidden":
		return fmt.Errorf("%w: %s", keystore.ErrDenied, detail)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", keystore.ErrRemoteNotFound, detail)
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%w: %s", keystore.ErrDenied, detail)
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return fmt.Errorf("%w: %s", keystore.ErrInvalid, detail)
	}
	return fmt.Errorf("%w: %s", keystore.ErrUnavailable, detail)
}
