package stac

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"

	"github.com/geojobs/geojobs/backend/netpolicy"
)

// DefaultMaxBytes is the largest document HTTPFetcher reads when MaxBytes is 0.
const DefaultMaxBytes = 32 << 20

// HTTPFetcher fetches http(s): and file: URLs. The zero value uses http.DefaultClient.
type HTTPFetcher struct {
	Client   *http.Client // nil: http.DefaultClient
	MaxBytes int64        // 0: DefaultMaxBytes; larger documents are an error
}

var _ Fetcher = HTTPFetcher{}

// Fetch implements Fetcher.
func (f HTTPFetcher) Fetch(ctx context.Context, u *url.URL) ([]byte, error) {
	max := f.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	switch u.Scheme {
	case "http", "https":
		return f.fetchHTTP(ctx, u, max)
	case "file":
		return fetchFile(u, max)
	}
	return nil, fmt.Errorf("%w: URL scheme %q", ErrUnsupported, u.Scheme)
}

func (f HTTPFetcher) fetchHTTP(ctx context.Context, u *url.URL, max int64) ([]byte, error) {
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	req.Header.Set("Accept", "application/json, application/geo+json;q=0.9, */*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// *url.Error repeats the full URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, netpolicy.ErrRefused) { // geojobs' network policy: asking again cannot help
			return nil, fmt.Errorf("%w: %v", ErrPermissionDenied, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{StatusCode: resp.StatusCode}
	}
	return readLimited(resp.Body, max)
}

func fetchFile(u *url.URL, max int64) ([]byte, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("%w: file URL with host %q", ErrUnsupported, u.Host)
	}
	file, err := os.Open(u.Path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the caller's message
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
		case errors.Is(err, fs.ErrPermission):
			return nil, fmt.Errorf("%w: %v", ErrPermissionDenied, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer file.Close()
	return readLimited(file, max)
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read: %v", ErrUnavailable, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: document larger than %d bytes", ErrLimit, max)
	}
	return b, nil
}

// StatusError is an HTTP response other than 2xx. Its class follows the status code.
type StatusError struct{ StatusCode int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusGone
	case ErrPermissionDenied:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrUnavailable:
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
	}
	return false
}
