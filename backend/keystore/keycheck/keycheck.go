// Package keycheck tries a keystore key against its server — "Test" in the keys
// page and `geojobs keys test`: S3 and EODATA keys head and list their bucket,
// WebDAV keys PROPFIND their share, HTTP keys GET their endpoint's landing page.
package keycheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/safetext"
	"github.com/geojobs/geojobs/backend/transfer/s3"
	"github.com/geojobs/geojobs/backend/transfer/webdav"
)

// Options tune a check.
type Options struct {
	// Transport replaces the default HTTP transport (tests, proxies).
	Transport http.RoundTripper
	// Timeout bounds the whole check; default 30 s.
	Timeout time.Duration
	// Credentials, when set, authorise the check of an HTTP or oidc key in place
	// of the key's own (Store.Credentials: oidc keys need the store's tokens).
	Credentials interface{ Apply(*http.Request) error }
}

// Report is a successful check.
type Report struct {
	// Detail says what was tried and what the server answered.
	Detail string
	// Status is the HTTP status for HTTP keys (0 otherwise).
	Status int
	// Unchecked: the server answered as well without the key (an HTTP key whose
	// address needs no credentials), so the answer proves nothing about the key.
	Unchecked bool
}

// Key checks k. A failure is an error classified by the keystore's sentinels
// (ErrDenied, ErrRemoteNotFound, ErrUnavailable, ErrInvalid) whose message says
// exactly what the server answered; it never contains the secret.
func Key(ctx context.Context, k *keystore.Key, opt Options) (Report, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opt.Timeout)
	defer cancel()
	switch k.Kind {
	case keystore.KindS3, keystore.KindEODATA:
		c, err := s3.New(k, s3.Options{Transport: opt.Transport, MaxRetries: 1})
		if err != nil {
			return Report{}, err
		}
		if err := c.Test(ctx); err != nil {
			return Report{}, err
		}
		if c.Bucket() == "" {
			return Report{Detail: "listed the buckets on " + k.Endpoint}, nil
		}
		return Report{Detail: fmt.Sprintf("bucket %q on %s exists and can be listed", c.Bucket(), k.Endpoint)}, nil
	case keystore.KindWebDAV:
		c, err := webdav.New(k, webdav.Options{Transport: opt.Transport})
		if err != nil {
			return Report{}, err
		}
		if err := c.Test(ctx); err != nil {
			return Report{}, err
		}
		return Report{Detail: "PROPFIND of " + k.Endpoint + " succeeded"}, nil
	case keystore.KindHTTP, keystore.KindOIDC:
		return checkHTTP(ctx, k, opt)
	}
	return Report{}, fmt.Errorf("%w: unknown key kind %q", keystore.ErrInvalid, k.Kind)
}

// checkHTTP GETs the key's prefix with its credentials. Redirects are followed
// on the same origin only (Credentials refuses other hosts anyway); the body is
// not read beyond a few KiB and never reported.
func checkHTTP(ctx context.Context, k *keystore.Key, opt Options) (Report, error) {
	var creds interface{ Apply(*http.Request) error } = k.Credentials()
	if opt.Credentials != nil {
		creds = opt.Credentials
	}
	client := &http.Client{
		Transport: opt.Transport,
		// The check's own rules, then geojobs' redirect policy (netpolicy.CheckRedirect).
		CheckRedirect: netpolicy.WrapCheckRedirect(func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return fmt.Errorf("%w: too many redirects", keystore.ErrUnavailable)
			}
			if !netpolicy.SameOrigin(req.URL, via[0].URL) {
				return fmt.Errorf("%w: %s redirected to another site, %s (a login page?)", keystore.ErrDenied, k.Prefix,
					safetext.OneLine(netpolicy.Origin(req.URL), 200))
			}
			return creds.Apply(req)
		}),
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.Prefix, nil)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", keystore.ErrInvalid, err)
	}
	req.Header.Set("Accept", "application/json, text/html;q=0.5")
	if err := creds.Apply(req); err != nil {
		return Report{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Report{}, fmt.Errorf("%w: GET %s: %v", keystore.ErrUnavailable, k.Prefix, ctx.Err())
		}
		if inner := unwrapURLError(err); errors.Is(inner, keystore.ErrDenied) || errors.Is(inner, keystore.ErrUnavailable) || errors.Is(inner, keystore.ErrNotAllowed) {
			return Report{}, inner
		}
		return Report{}, fmt.Errorf("%w: GET %s: %v", keystore.ErrUnavailable, k.Prefix, unwrapURLError(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 8<<10))
	resp.Body.Close()
	st := fmt.Sprintf("GET %s: HTTP %d %s", k.Prefix, resp.StatusCode, http.StatusText(resp.StatusCode))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		// A success means something only if the address refuses a request without
		// the key: ask once more without it.
		if anon := anonymousStatus(ctx, client, k.Prefix); anon >= 200 && anon < 300 {
			return Report{Status: resp.StatusCode, Unchecked: true,
				Detail: st + fmt.Sprintf(" with the key, and HTTP %d %s without it", anon, http.StatusText(anon))}, nil
		}
		return Report{Detail: st + " with the key (refused without it)", Status: resp.StatusCode}, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Report{Status: resp.StatusCode}, fmt.Errorf("%w: %s", keystore.ErrDenied, st)
	case resp.StatusCode == http.StatusNotFound:
		return Report{Status: resp.StatusCode}, fmt.Errorf("%w: %s", keystore.ErrRemoteNotFound, st)
	case resp.StatusCode >= 500:
		return Report{Status: resp.StatusCode}, fmt.Errorf("%w: %s", keystore.ErrUnavailable, st)
	}
	return Report{Status: resp.StatusCode}, fmt.Errorf("%w: %s", keystore.ErrInvalid, st)
}

// anonymousStatus is the HTTP status of a GET of u without credentials (0 when
// there was no answer). Redirects are not followed: one to a login page is a refusal.
func anonymousStatus(ctx context.Context, c *http.Client, u string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0
	}
	req.Header.Set("Accept", "application/json, text/html;q=0.5")
	anon := &http.Client{Transport: c.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := anon.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 8<<10))
	resp.Body.Close()
	return resp.StatusCode
}

// unwrapURLError drops url.Error's "Get <url>:" wrapper, which we say ourselves,
// but keeps a classified redirect error intact.
func unwrapURLError(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}
