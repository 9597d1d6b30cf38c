package oidctest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// BigFile is a large generated file served over HTTP with byte ranges, at a
// bounded rate (a link of that speed), so that downloading it takes a known
// time without the test storing it.
type BigFile struct {
	Size int64
	// BytesPerSecond bounds the rate over all requests together; 0: unbounded.
	BytesPerSecond int64
	// CutAfter, when set, breaks every response after that many bytes, as a
	// proxy that ends long requests does: the downloader must ask again for the
	// rest (with a token valid then).
	CutAfter int64

	block    []byte
	mu       sync.Mutex
	start    time.Time
	sent     int64
	requests []time.Time
}

// NewBigFile returns a file of size bytes made of a repeated pseudo-random block.
func NewBigFile(size, bytesPerSecond int64) *BigFile {
	block := make([]byte, 1<<20+7) // not a power of two: pieces differ
	r := rand.New(rand.NewPCG(1, 2))
	for i := range block {
		block[i] = byte(r.UintN(256))
	}
	return &BigFile{Size: size, BytesPerSecond: bytesPerSecond, block: block}
}

// SHA256 returns the file's SHA-256 in hex.
func (f *BigFile) SHA256() string {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, f.Size)); err != nil {
		panic(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReadAt fills p with the file's bytes at off.
func (f *BigFile) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.Size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < f.Size {
		i := off % int64(len(f.block))
		c := copy(p[n:], f.block[i:])
		if rest := f.Size - off; int64(c) > rest {
			c = int(rest)
		}
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// pace holds a writer back to the rate.
func (f *BigFile) pace(n int) {
	if f.BytesPerSecond <= 0 {
		return
	}
	f.mu.Lock()
	if f.start.IsZero() {
		f.start = time.Now()
	}
	f.sent += int64(n)
	due := f.start.Add(time.Duration(float64(f.sent) / float64(f.BytesPerSecond) * float64(time.Second)))
	f.mu.Unlock()
	if d := time.Until(due); d > 0 {
		time.Sleep(d) // the simulated link's speed, not a test waiting
	}
}

// Requests returns when each request for the file came.
func (f *BigFile) Requests() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.requests...)
}

// ServeHTTP serves the file with byte ranges (http.ServeContent).
func (f *BigFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, time.Now())
	f.mu.Unlock()
	w.Header().Set("ETag", `"bigfile-1"`)
	http.ServeContent(&pacedWriter{ResponseWriter: w, f: f}, r, "", time.Unix(1700000000, 0), &seeker{f: f})
}

type pacedWriter struct {
	http.ResponseWriter
	f       *BigFile
	written int64
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	const chunk = 256 << 10
	written := 0
	for len(b) > 0 {
		if p.f.CutAfter > 0 && p.written >= p.f.CutAfter {
			panic(http.ErrAbortHandler) // the connection breaks mid-body
		}
		n := min(len(b), chunk)
		p.f.pace(n)
		m, err := p.ResponseWriter.Write(b[:n])
		written += m
		p.written += int64(m)
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}

type seeker struct {
	f   *BigFile
	off int64
}

func (s *seeker) Read(p []byte) (int, error) {
	n, err := s.f.ReadAt(p, s.off)
	s.off += int64(n)
	return n, err
}

func (s *seeker) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += s.off
	case io.SeekEnd:
		off += s.f.Size
	}
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	s.off = off
	return off, nil
}
