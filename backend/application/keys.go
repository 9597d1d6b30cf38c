package application

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/keystore/keycheck"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/transfer/s3"
)

// The keystore in the app: the endpoint registry resolves an endpoint's key by name
// for every request (so unlocking later takes effect at once), the endpoint form
// lists HTTP keys (KeyNames), and the Keystore page tries keys and works with buckets
// through KeyRemote. App.Keys gives other parts (exports, s3:// downloads) the same store.

// keyCredentials resolves an endpoint's key: it must exist, be unlocked and be an
// endpoint key. Errors name the key, never its secret.
func keyCredentials(st *keystore.Store) endpoints.CredentialsFunc {
	return func(_ context.Context, name string) (ogcapi.Credentials, error) {
		k, err := st.Get(name)
		switch {
		case errors.Is(err, keystore.ErrLocked):
			return nil, fmt.Errorf("%w: the keystore is locked; unlock it on the Keystore page", endpoints.ErrNoKeystore)
		case errors.Is(err, keystore.ErrNotFound):
			return nil, fmt.Errorf("%w: there is no such key in the keystore", endpoints.ErrNoKeystore)
		case err != nil:
			return nil, err
		}
		if err := k.CanUse(keystore.Endpoint); err != nil {
			return nil, fmt.Errorf("%w: %v", endpoints.ErrNoKeystore, err)
		}
		return st.Credentials(k), nil
	}
}

// KeyNames lists the keys an endpoint may use (HTTP keys); none while locked.
func (a *App) KeyNames(context.Context) []string {
	keys, err := a.Keys.List()
	if err != nil {
		return nil
	}
	var names []string
	for _, k := range keys {
		if k.CanUse(keystore.Endpoint) == nil {
			names = append(names, k.Name)
		}
	}
	return names
}

// KeyRemote is the Keystore page's access to servers: key checks, bucket listings,
// presigned URLs, and the service-key exchange of an export.
type KeyRemote struct {
	// transport is the HTTP transport for S3, WebDAV and service requests (nil: default).
	transport http.RoundTripper
	// keys gives oidc keys their tokens for a check (nil: the key's own credentials).
	keys *keystore.Store
}

func (r *KeyRemote) Check(ctx context.Context, k *keystore.Key) (keycheck.Report, error) {
	opt := keycheck.Options{Transport: r.transport, Timeout: 30 * time.Second}
	if r.keys != nil {
		opt.Credentials = r.keys.Credentials(k)
	}
	return keycheck.Key(ctx, k, opt)
}

// maxListing bounds one folder of the bucket picker.
const maxListing = 500

func (r *KeyRemote) ListObjects(ctx context.Context, k *keystore.Key, prefix string) ([]s3.Object, string, bool, error) {
	c, err := s3.New(k, s3.Options{Transport: r.transport})
	if err != nil {
		return nil, "", false, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	objs, more, err := c.List(ctx, prefix, s3.ListOptions{Limit: maxListing})
	return objs, c.Bucket(), more, err
}

func (r *KeyRemote) Presign(ctx context.Context, k *keystore.Key, object string, expiry time.Duration) (string, error) {
	c, err := s3.New(k, s3.Options{Transport: r.transport})
	if err != nil {
		return "", err
	}
	u, err := c.Presign(ctx, object, expiry)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// maxServiceKey bounds a fetched public key; maxAnswer what is read of a service's answer.
const (
	maxServiceKey = 64 << 10
	maxAnswer     = 4 << 10
)

// client is for the service-key exchange: under geojobs' redirect policy, an
// export is never posted on to another site nor turned into a GET by a redirect.
func (r *KeyRemote) client() *http.Client {
	return netpolicy.Client(&http.Client{Transport: r.transport, Timeout: 30 * time.Second})
}

func checkServiceURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: give an http(s) URL without credentials in it", keystore.ErrInvalid)
	}
	return nil
}

func (r *KeyRemote) ServiceKey(ctx context.Context, raw string) ([]byte, error) {
	if err := checkServiceURL(raw); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", keystore.ErrInvalid, err)
	}
	req.Header.Set("Accept", "application/x-pem-file, text/plain;q=0.9, */*;q=0.1")
	resp, err := r.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", keystore.ErrUnavailable, raw, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: HTTP %d %s", keystore.ErrUnavailable, raw, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxServiceKey+1))
	if err != nil {
		return nil, fmt.Errorf("%w: GET %s: %v", keystore.ErrUnavailable, raw, err)
	}
	if len(b) > maxServiceKey {
		return nil, fmt.Errorf("%w: %s is larger than a public key", keystore.ErrInvalid, raw)
	}
	return b, nil
}

func (r *KeyRemote) SendExport(ctx context.Context, raw string, payload []byte) (string, error) {
	if err := checkServiceURL(raw); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(payload))
	if err != nil {
		return "", fmt.Errorf("%w: %v", keystore.ErrInvalid, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client().Do(req)
	if errors.Is(err, netpolicy.ErrRefused) {
		return "", &errs.Error{Code: errs.PermissionDenied, Msg: "POST " + raw, Err: errors.Unwrap(err)}
	}
	if err != nil {
		return "", fmt.Errorf("%w: POST %s: %v", keystore.ErrUnavailable, raw, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	st := fmt.Sprintf("POST %s: HTTP %d %s", raw, resp.StatusCode, http.StatusText(resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", fmt.Errorf("%w: %s", keystore.ErrUnavailable, st)
	}
	return st, nil
}
