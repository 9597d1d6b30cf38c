package transfer_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// server is a real HTTP server for the tests: http.ServeContent with an ETag (ranges,
// preconditions), or, with noRange, a plain 200 stream. It counts what it serves and
// can misbehave on demand.
type server struct {
	*httptest.Server
	mu      sync.Mutex
	content []byte
	etag    string
	ranges  [][2]int64 // requested [start, end) of each GET with a body

	noRange  bool         // ignore Range, no Accept-Ranges
	chunked  bool         // no Content-Length (noRange only)
	corrupt  atomic.Bool  // flip a byte in what is served
	delay    atomic.Int64 // nanoseconds to sleep per 32 KiB written
	fail503  atomic.Int64 // answer the next n requests with 503
	resets   atomic.Int64 // abort the next n bodies after resetAt bytes
	resetAt  int64
	served   atomic.Int64 // body bytes written
	gets     atomic.Int64
	inFlight atomic.Int64
	idle     waitfor.Pulse // fired when a handler returns

	// holdAt, when > 0, holds every body once the server has served that many bytes, until
	// release is called or the request ends: a download stopped there is stopped part way
	// however fast or slow the machine is.
	holdAt atomic.Int64
	gateMu sync.Mutex
	gate   chan struct{} // closed by release
}

// hold makes the server stop serving bodies after n more bytes, until release.
func (s *server) hold(n int64) {
	s.gateMu.Lock()
	s.gate = make(chan struct{})
	s.gateMu.Unlock()
	s.holdAt.Store(s.served.Load() + n)
}

// release lets held bodies go on and stops holding.
func (s *server) release() {
	s.holdAt.Store(0)
	s.gateMu.Lock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.gateMu.Unlock()
}

// waitHeld blocks until the gate opens or the request ends; it reports whether the
// request ended.
func (s *server) waitHeld(r *http.Request) bool {
	s.gateMu.Lock()
	gate := s.gate
	s.gateMu.Unlock()
	if gate == nil {
		return false
	}
	select {
	case <-gate:
		return false
	case <-r.Context().Done():
		return true
	}
}

func newServer(t testing.TB, content []byte) *server {
	s := &server{}
	s.setContent(content)
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func sha256Multihash(b []byte) string {
	s := sha256.Sum256(b)
	return multihash.Encode(multihash.SHA2_256, s[:])
}

func (s *server) setContent(b []byte) {
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256(b))[:18] + `"`
	s.mu.Lock()
	s.content, s.etag = b, etag
	s.mu.Unlock()
}

func (s *server) requested() [][2]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][2]int64(nil), s.ranges...)
}

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	s.inFlight.Add(1)
	defer s.idle.Fire()
	defer s.inFlight.Add(-1)
	if s.fail503.Load() > 0 && s.fail503.Add(-1) >= 0 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	if strings.Contains(r.URL.Path, "missing") {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	content, etag := s.content, s.etag
	s.mu.Unlock()
	if r.Method == http.MethodGet {
		s.gets.Add(1)
		start, end := int64(0), int64(len(content))
		if rg, ok := strings.CutPrefix(r.Header.Get("Range"), "bytes="); ok && !s.noRange {
			a, b, _ := strings.Cut(rg, "-")
			start, _ = strconv.ParseInt(a, 10, 64)
			if b != "" {
				e, _ := strconv.ParseInt(b, 10, 64)
				end = e + 1
			}
		}
		s.mu.Lock()
		s.ranges = append(s.ranges, [2]int64{start, end})
		s.mu.Unlock()
	}
	if s.corrupt.Load() {
		content = bytes.Clone(content)
		content[len(content)/2] ^= 0xff
	}
	cw := &countingWriter{ResponseWriter: w, s: s, r: r}
	if s.resets.Load() > 0 && r.Method == http.MethodGet && s.resets.Add(-1) >= 0 {
		cw.resetAt = s.resetAt
	}
	if s.noRange {
		if !s.chunked {
			w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		}
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			for b := content; len(b) > 0; {
				n := min(len(b), 32<<10)
				cw.Write(b[:n])
				b = b[n:]
			}
		}
		return
	}
	w.Header().Set("ETag", etag)
	http.ServeContent(cw, r, "", time.Unix(1700000000, 0), bytes.NewReader(content))
}

type countingWriter struct {
	http.ResponseWriter
	s       *server
	r       *http.Request
	n       int64
	resetAt int64 // abort the connection after this many bytes, 0: never
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.resetAt > 0 && c.n+int64(len(p)) > c.resetAt {
		k, _ := c.ResponseWriter.Write(p[:c.resetAt-c.n])
		c.s.served.Add(int64(k))
		c.ResponseWriter.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the server closes the connection mid-body
	}
	if h := c.s.holdAt.Load(); h > 0 && c.s.served.Load() >= h && c.s.waitHeld(c.r) {
		return 0, c.r.Context().Err()
	}
	if d := c.s.delay.Load(); d > 0 {
		time.Sleep(time.Duration(d)) // the latency under test: a slow server
	}
	k, err := c.ResponseWriter.Write(p)
	c.n += int64(k)
	c.s.served.Add(int64(k))
	if c.s.chunked {
		c.ResponseWriter.(http.Flusher).Flush()
	}
	return k, err
}
