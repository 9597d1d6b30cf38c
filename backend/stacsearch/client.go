package stacsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/safetext"
	"github.com/geojobs/geojobs/backend/stac"
)

// Credentials authorise requests (ogcapi.Credentials and keystore credentials fit).
type Credentials interface {
	Apply(req *http.Request) error
}

// Presigner turns an s3:// URL into an https URL that needs no further credentials
// (a keystore S3 key's presigned GET). It must return an error wrapping
// stac.ErrPermissionDenied when it has no key for the bucket.
type Presigner interface {
	Presign(ctx context.Context, u *url.URL) (*url.URL, error)
}

// Client talks to STAC APIs and static catalogs. The zero value works for public ones.
type Client struct {
	// HTTP is the client to use (nil: a default one); its redirects follow netpolicy.
	HTTP *http.Client
	// Credentials, when set, are applied to requests to the origin of the API or
	// catalog opened (scheme, host and port of its URL), never to other hosts a link
	// may point to.
	Credentials Credentials
	// Presigner, when set, lets static catalogs live at s3:// URLs.
	Presigner Presigner
	// MaxBytes bounds one response; 0: stac.DefaultMaxBytes (PC's /collections is 1.3 MB).
	MaxBytes int64
	// UserAgent is sent when set.
	UserAgent string
}

// httpClient is c.HTTP with netpolicy's redirect rule (no credentials carried to
// another origin).
func (c *Client) httpClient() *http.Client { return netpolicy.Client(c.HTTP) }

// do sends one request and returns the body of a 2xx answer. origin is the URL whose
// origin may receive Credentials. Content-Type is not checked: static files come as
// text/plain, searches as application/json or application/geo+json.
func (c *Client) do(ctx context.Context, origin *url.URL, method string, u *url.URL, body []byte, headers map[string]string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	// Keep the href verbatim: http.NewRequest re-parses the string, which preserves
	// RawQuery, but an opaque path must not be re-escaped either.
	req.URL = u
	req.Header.Set("Accept", "application/geo+json, application/json;q=0.9, */*;q=0.1")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if c.Credentials != nil && netpolicy.SameOrigin(origin, u) {
		if err := c.Credentials.Apply(req); err != nil {
			return nil, err
		}
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may carry a token; the caller names the server
		}
		return nil, fmt.Errorf("%w: %v", stac.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	max := c.MaxBytes
	if max <= 0 {
		max = stac.DefaultMaxBytes
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
		return nil, newAPIError(resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read: %v", stac.ErrUnavailable, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: response larger than %d bytes", stac.ErrLimit, max)
	}
	return b, nil
}

func (c *Client) getJSON(ctx context.Context, origin, u *url.URL, v any) error {
	b, err := c.do(ctx, origin, http.MethodGet, u, nil, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s is not the JSON expected: %v", stac.ErrNotSTAC, safetext.URL(u), err)
	}
	return nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
