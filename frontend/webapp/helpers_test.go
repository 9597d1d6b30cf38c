package webapp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/frontend/pages/jobspage"
)

// built is the application and its web front, made as the CLI makes them.
type built struct {
	*application.App
	ui      *UI
	Handler http.Handler
	live    *jobspage.Live
}

// build makes the application and its web front (web: the front's options,
// e.g. the desktop's OpenURL; the logger defaults to the application's).
func build(opts application.Options, web ...Options) (*built, error) {
	a, err := application.New(opts)
	if err != nil {
		return nil, err
	}
	var wo Options
	if len(web) > 0 {
		wo = web[0]
	}
	if wo.Logger == nil {
		wo.Logger = opts.Logger
	}
	ui, err := New(a, wo)
	if err != nil {
		_ = a.Close(context.Background())
		return nil, err
	}
	return &built{App: a, ui: ui, Handler: ui.Handler, live: ui.live}, nil
}

// Run runs the application and its web front until ctx ends.
func (b *built) Run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- b.ui.Run(ctx) }()
	err := b.App.Run(ctx)
	return errors.Join(err, <-done)
}

// stack is the real application behind the real Guard on a loopback port.
type stack struct {
	t     *testing.T
	srv   *server.Server
	app   *built
	base  string // "http://127.0.0.1:PORT"
	token string
	hc    *http.Client
}

func start(t *testing.T) *stack {
	t.Helper()
	return startWith(t, application.Options{DataDir: t.TempDir(), LocalFs: afero.NewMemMapFs(), Logger: slog.New(slog.DiscardHandler)})
}

// startWith serves the application built from opts, with its BaseURL and Token set
// to a fresh loopback server's, until the test ends.
func startWith(t *testing.T, opts application.Options, web ...Options) *stack {
	t.Helper()
	srv, err := server.Listen("127.0.0.1:0", "", opts.Logger)
	if err != nil {
		t.Fatal(err)
	}
	opts.BaseURL, opts.Token = srv.BaseURL(), srv.Guard.Token
	app, err := build(opts, web...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served, ran := make(chan struct{}), make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(ctx, app.Handler) }()
	go func() { defer close(ran); _ = app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-served
		<-ran
		_ = app.Close(context.Background())
	})
	return &stack{t: t, srv: srv, app: app, base: strings.TrimSuffix(srv.BaseURL(), "/"), token: srv.Guard.Token,
		hc: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}}
}

// response is a read answer.
type response struct {
	status int
	header http.Header
	body   string
	doc    *goquery.Document
}

// do sends an authenticated request (the token as a bearer header, as geojobs' own
// clients do); tweak may change it before it is sent.
func (s *stack) do(method, path string, body io.Reader, contentType string, tweak ...func(*http.Request)) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, f := range tweak {
		f(req)
	}
	res, err := s.hc.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	doc, _ := goquery.NewDocumentFromReader(bytes.NewReader(b))
	return response{status: res.StatusCode, header: res.Header, body: string(b), doc: doc}
}

func (s *stack) get(path string, tweak ...func(*http.Request)) response {
	s.t.Helper()
	return s.do(http.MethodGet, path, nil, "", tweak...)
}

func (s *stack) postForm(path string, v url.Values, tweak ...func(*http.Request)) response {
	s.t.Helper()
	return s.do(http.MethodPost, path, strings.NewReader(v.Encode()), "application/x-www-form-urlencoded", tweak...)
}

// postMultipart posts fields and files (by control name) as multipart/form-data.
func (s *stack) postMultipart(path string, v url.Values, files map[string][]byte, tweak ...func(*http.Request)) response {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range v {
		for _, x := range vs {
			_ = mw.WriteField(k, x)
		}
	}
	for name, b := range files {
		fw, _ := mw.CreateFormFile(name, name+".bin")
		_, _ = fw.Write(b)
	}
	mw.Close()
	return s.do(http.MethodPost, path, &buf, mw.FormDataContentType(), tweak...)
}

func htmx(target string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("HX-Request", "true")
		if target != "" {
			r.Header.Set("HX-Target", target)
		}
	}
}

func (r response) find(sel string) *goquery.Selection { return r.doc.Find(sel) }

func expect(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		body := r.body
		if len(body) > 2000 {
			body = body[:2000]
		}
		t.Fatalf("status %d, want %d\n%s", r.status, status, body)
	}
}
