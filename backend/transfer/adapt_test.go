package transfer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/transfer"
)

// One large file gets more connections than the first limit while its first requests
// are still reading their bodies: the limit grows as requests are answered. (It grew
// only as requests ended, one per piece, so a file had the first 16 connections for
// most of its download.)
func TestConnectionsGrowWhileBodiesStillCome(t *testing.T) {
	const conns = 8
	content := randomBytes(8 << 20)
	var mu sync.Mutex
	active := 0
	reached := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			mu.Lock()
			active++
			if active == conns {
				close(reached)
			}
			mu.Unlock()
			// Each body stops after its first byte until every connection is open:
			// with a limit that grows only when a request ends, none would ever end.
			w = &gatedWriter{ResponseWriter: w, gate: reached, done: r.Context().Done()}
		}
		w.Header().Set("ETag", `"v1"`)
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(content)))
	}))
	defer srv.Close()
	opts := transfer.Options{Connections: conns, StartPerHost: 2, MinSplitSize: 1 << 20}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := transfer.Download(ctx, transfer.Request{URL: srv.URL + "/big", Dest: t.TempDir(), Name: "big", Size: int64(len(content))}, opts)
		done <- err
	}()
	select {
	case <-reached:
	case err := <-done:
		t.Fatalf("download ended before %d connections were open: %v", conns, err)
	case <-time.After(2 * time.Minute): // only a guard against hanging: under load the 8 open in seconds
		t.Fatalf("%d connections never open at once (first limit 2)", conns)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// gatedWriter sends the headers and the first byte, then waits for gate.
type gatedWriter struct {
	http.ResponseWriter
	gate, done <-chan struct{}
	opened     bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if g.opened || len(p) == 0 {
		return g.ResponseWriter.Write(p)
	}
	g.opened = true
	n, err := g.ResponseWriter.Write(p[:1])
	if err != nil {
		return n, err
	}
	g.ResponseWriter.(http.Flusher).Flush()
	select {
	case <-g.gate:
	case <-g.done:
		return n, http.ErrAbortHandler
	}
	m, err := g.ResponseWriter.Write(p[1:])
	return n + m, err
}
