package cog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
)

// Source reads byte ranges of a file.
type Source interface {
	// ReadRange returns the n bytes at off, or fewer when the file ends before off+n
	// (an empty slice at or past the end). It must be safe for concurrent use.
	ReadRange(ctx context.Context, off, n int64) ([]byte, error)
	// Name names the file in error messages (a URL without credentials, or a path).
	Name() string
}

// Stats counts what a Source fetched.
type Stats struct {
	Requests  atomic.Int64
	BytesRead atomic.Int64
}

// HTTPSource reads a file over HTTP with Range requests.
type HTTPSource struct {
	Client *http.Client // default http.DefaultClient
	URL    string
	Header http.Header // sent with every request (authorisation from the keystore)
	Stats  Stats
}

// ErrNoRanges is returned when a server answers a range request with the whole file.
var ErrNoRanges = errors.New("cog: the server does not support range requests")

// ReadRange implements Source.
func (s *HTTPSource) ReadRange(ctx context.Context, off, n int64) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range s.Header {
		req.Header[k] = vs
	}
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+n-1))
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cog: reading %s: %w", s.Name(), err)
	}
	defer resp.Body.Close()
	s.Stats.Requests.Add(1)
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusRequestedRangeNotSatisfiable:
		return nil, nil // past the end
	case http.StatusOK:
		return nil, fmt.Errorf("%w (%s answered 200 to a Range request)", ErrNoRanges, s.Name())
	default:
		return nil, fmt.Errorf("cog: reading %s: %s", s.Name(), resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, n))
	s.Stats.BytesRead.Add(int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("cog: reading %s: %w", s.Name(), err)
	}
	return b, nil
}

// Name implements Source: the URL without user info and query.
func (s *HTTPSource) Name() string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return "a URL"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// FileSource reads a local file.
type FileSource struct {
	Path  string
	Stats Stats
	f     *os.File
}

// OpenFileSource opens a local file; Close it when done.
func OpenFileSource(path string) (*FileSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &FileSource{Path: path, f: f}, nil
}

// ReadRange implements Source.
func (s *FileSource) ReadRange(_ context.Context, off, n int64) ([]byte, error) {
	b := make([]byte, n)
	m, err := s.f.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	s.Stats.Requests.Add(1)
	s.Stats.BytesRead.Add(int64(m))
	return b[:m], nil
}

// Name implements Source.
func (s *FileSource) Name() string { return s.Path }

// Close closes the file.
func (s *FileSource) Close() error { return s.f.Close() }

// ReaderAtSource reads from an io.ReaderAt (a Virtual, bytes in memory).
type ReaderAtSource struct {
	R     io.ReaderAt
	Label string
	Stats Stats
}

// ReadRange implements Source.
func (s *ReaderAtSource) ReadRange(_ context.Context, off, n int64) ([]byte, error) {
	b := make([]byte, n)
	m, err := s.R.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	s.Stats.Requests.Add(1)
	s.Stats.BytesRead.Add(int64(m))
	return b[:m], nil
}

// Name implements Source.
func (s *ReaderAtSource) Name() string { return s.Label }

// SourceFor returns the Source of a location: an http(s) URL or a local path
// (file:// URLs are paths too). The returned close function releases it.
func SourceFor(loc string, client *http.Client) (Source, func() error, error) {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		return &HTTPSource{URL: loc, Client: client}, func() error { return nil }, nil
	}
	if strings.HasPrefix(loc, "file://") {
		u, err := url.Parse(loc)
		if err != nil {
			return nil, nil, err
		}
		loc = u.Path
	}
	fs, err := OpenFileSource(loc)
	if err != nil {
		return nil, nil, err
	}
	return fs, fs.Close, nil
}

// StatsOf returns the counters of the Sources of this package, nil for others.
func StatsOf(s Source) *Stats {
	switch t := s.(type) {
	case *HTTPSource:
		return &t.Stats
	case *FileSource:
		return &t.Stats
	case *ReaderAtSource:
		return &t.Stats
	}
	return nil
}
