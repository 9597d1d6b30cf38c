package ogcapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/runner"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/spf13/afero"
)

// replay is an httptest server that answers with recorded (or source-derived)
// payloads of one server implementation, rewriting the base URL the payloads were
// captured under to its own, and recording every request it gets.
type replay struct {
	t       *testing.T
	srv     *httptest.Server
	dir     string // testdata/<dir>
	capture string // the base URL in the payloads
	mu      sync.Mutex
	reqs    []replayReq
}

type replayReq struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

func newReplay(t *testing.T, dir, capture string, h func(w http.ResponseWriter, r *http.Request)) *replay {
	t.Helper()
	rp := &replay{t: t, dir: dir, capture: capture}
	rp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rp.mu.Lock()
		rp.reqs = append(rp.reqs, replayReq{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})
		rp.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(rp.srv.Close)
	return rp
}

// fixture returns testdata/<dir>/name with the captured base URL rewritten.
func (rp *replay) fixture(name string) []byte {
	rp.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", rp.dir, name))
	if err != nil {
		rp.t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte(rp.capture), []byte(rp.srv.URL))
}

func (rp *replay) requests() []replayReq {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return append([]replayReq(nil), rp.reqs...)
}

// last returns the last request with the method whose path ends in suffix.
func (rp *replay) last(method, suffix string) replayReq {
	rp.t.Helper()
	rs := rp.requests()
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Method == method && strings.HasSuffix(rs[i].Path, suffix) {
			return rs[i]
		}
	}
	rp.t.Fatalf("no %s …%s request", method, suffix)
	return replayReq{}
}

// serveHTTPFile answers with a recorded HTTP/1.1 message (status line, headers, a
// blank line, the body) exactly: its status, its headers (Host and Content-Length
// excepted: net/http owns them) and its body.
func (rp *replay) serveHTTPFile(w http.ResponseWriter, name string) {
	rp.t.Helper()
	raw := rp.fixture(name)
	br := bufio.NewReader(bytes.NewReader(raw))
	line, err := br.ReadString('\n')
	if err != nil {
		rp.t.Fatalf("%s: %v", name, err)
	}
	parts := strings.SplitN(strings.TrimSpace(line), " ", 3)
	if len(parts) < 2 {
		rp.t.Fatalf("%s: status line %q", name, line)
	}
	code, err := strconv.Atoi(parts[1])
	if err != nil {
		rp.t.Fatalf("%s: status line %q", name, line)
	}
	hdr, err := textproto.NewReader(br).ReadMIMEHeader()
	if err != nil && !errors.Is(err, io.EOF) {
		rp.t.Fatalf("%s: headers: %v", name, err)
	}
	body, _ := io.ReadAll(br)
	for k, vs := range hdr {
		if k == "Host" || k == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(code)
	if code != http.StatusNoContent {
		w.Write(body)
	}
}

// client returns a client for the replay's endpoint (path: its base path).
func (rp *replay) client(path string) *ogcapi.Client {
	rp.t.Helper()
	c, err := ogcapi.New(rp.srv.URL+path, ogcapi.WithRetry(0), ogcapi.WithTimeout(waitfor.Guard))
	if err != nil {
		rp.t.Fatal(err)
	}
	return c
}

// runRequest parses an execute request the way `geojobs run` reads its file.
func runRequest(t *testing.T, doc []byte) *runner.Request {
	t.Helper()
	req, err := runner.ParseRequest(doc)
	if err != nil {
		t.Fatalf("ParseRequest: %v", err)
	}
	return req
}

// runOptions are the options of `geojobs run` for a fast test: quick polling, a
// memory file system, a fixed clock.
func runOptions(endpoint, pid string, req *runner.Request, fs afero.Fs) runner.Options {
	return runner.Options{
		Endpoint: endpoint, ProcessID: pid, Request: req,
		Output: "/out/feature-collection.json", Fs: fs,
		PollMin: 2 * time.Millisecond, PollMax: 10 * time.Millisecond,
		Timeout: waitfor.Guard,
		Now:     func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) },
	}
}

// readItemCollection reads the file a run wrote, validates it against the STAC
// schemas and decodes it.
func readItemCollection(t *testing.T, fs afero.Fs, path string) *stac.ItemCollection {
	t.Helper()
	b, err := afero.ReadFile(fs, path)
	if err != nil {
		t.Fatalf("output file: %v", err)
	}
	if err := stac.Validate(b); err != nil {
		t.Fatalf("output does not validate: %v\n%s", err, b)
	}
	var ic stac.ItemCollection
	if err := json.Unmarshal(b, &ic); err != nil {
		t.Fatal(err)
	}
	return &ic
}

// wantAPIError checks err is an *ogcapi.APIError with the code and status, whose
// message carries each of parts.
func wantAPIError(t *testing.T, err error, code ogcapi.Code, status int, parts ...string) *ogcapi.APIError {
	t.Helper()
	var ae *ogcapi.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want *ogcapi.APIError", err, err)
	}
	if ae.Code != code || ae.Status != status {
		t.Errorf("code %v status %d, want %v %d (%v)", ae.Code, ae.Status, code, status, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
	return ae
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitfor.Guard)
	t.Cleanup(cancel)
	return ctx
}
