package ogcapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"http://host/acme/ogc-api", "http://host/acme/ogc-api/", true},
		{"https://HOST:8443/acme/ogc-api/", "https://host:8443/acme/ogc-api/", true},
		{" http://host ", "http://host/", true},
		{"ftp://host/x", "", false},
		{"host/x", "", false},
		{"http://user:secret@host/x", "", false},
		{"http://host/x?f=json", "", false},
	} {
		c, err := New(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q) err = %v", tc.in, err)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the password: %v", err)
			}
			continue
		}
		if c.Endpoint() != tc.want {
			t.Errorf("New(%q).Endpoint() = %q, want %q", tc.in, c.Endpoint(), tc.want)
		}
	}
	c, _ := New("http://host/acme/ogc-api")
	if got := c.endpointURL("processes", "a b/c", "execution").String(); got != "http://host/acme/ogc-api/processes/a%20b%2Fc/execution" {
		t.Errorf("escaped URL = %s", got)
	}
	if got := c.endpointURL("jobs", "ns:job-1").String(); got != "http://host/acme/ogc-api/jobs/ns:job-1" {
		t.Errorf("id with colon = %s", got)
	}
}

// flaky answers the first fails requests with status (and Retry-After), then 200.
type flaky struct {
	fails      int
	status     int
	retryAfter string
	calls      atomic.Int32
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(f.calls.Add(1))
	if n <= f.fails {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		if f.status == 0 { // a transport failure: drop the connection
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		http.Error(w, "busy", f.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"conformsTo":["http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"]}`)
}

func TestRetries(t *testing.T) {
	t.Run("503 with Retry-After", func(t *testing.T) {
		f := &flaky{fails: 2, status: 503, retryAfter: "7"}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c, s := newTestClient(t, srv.URL)
		if _, err := c.Conformance(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f.calls.Load() != 3 {
			t.Errorf("calls = %d, want 3", f.calls.Load())
		}
		if w := s.all(); len(w) != 2 || w[0] != 7*time.Second || w[1] != 7*time.Second {
			t.Errorf("waits = %v, want [7s 7s]", w)
		}
	})
	t.Run("the error carries Retry-After for schedulers", func(t *testing.T) {
		f := &flaky{fails: 100, status: 503, retryAfter: "9"}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c, _ := newTestClient(t, srv.URL, WithRetry(0))
		_, err := c.Conformance(context.Background())
		var ae *APIError
		if !errors.As(err, &ae) || ae.RetryAfter() != 9*time.Second {
			t.Fatalf("err = %v, RetryAfter = %v", err, ae.RetryAfter())
		}
	})
	t.Run("429, 502, 504 back off exponentially", func(t *testing.T) {
		for _, st := range []int{429, 502, 504} {
			f := &flaky{fails: 3, status: st}
			srv := httptest.NewServer(f)
			c, s := newTestClient(t, srv.URL)
			if _, err := c.Conformance(context.Background()); err != nil {
				t.Fatalf("%d: %v", st, err)
			}
			w := s.all()
			// backend/retry: the n-th wait is drawn in [base·2^(n-1)/2, base·2^(n-1)].
			if len(w) != 3 || !(w[0] <= w[1] && w[1] <= w[2]) || w[0] < 250*time.Millisecond || w[0] > 500*time.Millisecond ||
				w[2] < time.Second || w[2] > 2*time.Second {
				t.Errorf("%d: waits = %v", st, w)
			}
			srv.Close()
		}
	})
	t.Run("gives up after max", func(t *testing.T) {
		f := &flaky{fails: 100, status: 503}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c, _ := newTestClient(t, srv.URL, WithRetry(2))
		_, err := c.Conformance(context.Background())
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 503 || ae.Code != Unavailable || IsPermanent(err) {
			t.Fatalf("err = %v", err)
		}
		if f.calls.Load() != 3 {
			t.Errorf("calls = %d, want 3", f.calls.Load())
		}
	})
	t.Run("transport failures", func(t *testing.T) {
		f := &flaky{fails: 2}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c, _ := newTestClient(t, srv.URL)
		if _, err := c.Conformance(context.Background()); err != nil {
			t.Fatal(err)
		}
		if f.calls.Load() != 3 {
			t.Errorf("calls = %d, want 3", f.calls.Load())
		}
	})
	t.Run("POST, PUT, DELETE are not retried", func(t *testing.T) {
		f := &flaky{fails: 100, status: 503, retryAfter: "1"}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c, s := newTestClient(t, srv.URL)
		ctx := context.Background()
		_, err := c.Execute(ctx, "p", &Execute{}, ExecOptions{Mode: Sync})
		if CodeOf(err) != Unavailable {
			t.Errorf("execute: %v", err)
		}
		if _, err := c.Dismiss(ctx, "j"); CodeOf(err) != Unavailable {
			t.Errorf("dismiss: %v", err)
		}
		if err := c.Replace(ctx, "p", CWLYAML([]byte("cwlVersion: v1.2")), DeployOptions{}); CodeOf(err) != Unavailable {
			t.Errorf("replace: %v", err)
		}
		if f.calls.Load() != 3 || len(s.all()) != 0 {
			t.Errorf("calls = %d, waits %v; want 3 calls, no waits", f.calls.Load(), s.all())
		}
	})
	t.Run("4xx is not retried", func(t *testing.T) {
		f := &flaky{fails: 100, status: 404}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c, _ := newTestClient(t, srv.URL)
		if _, err := c.Status(context.Background(), "j"); CodeOf(err) != NoSuchJob {
			t.Errorf("err = %v", err)
		}
		if f.calls.Load() != 1 {
			t.Errorf("calls = %d", f.calls.Load())
		}
	})
	t.Run("deadline shorter than the wait", func(t *testing.T) {
		f := &flaky{fails: 100, status: 503, retryAfter: "30"}
		srv := httptest.NewServer(f)
		defer srv.Close()
		c, s := newTestClient(t, srv.URL)
		// A deadline before the server's Retry-After (30 s): the client gives up at once.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := c.Conformance(ctx); CodeOf(err) != Unavailable {
			t.Errorf("err = %v", err)
		}
		if f.calls.Load() != 1 || len(s.all()) != 0 {
			t.Errorf("calls = %d, waits = %v", f.calls.Load(), s.all())
		}
	})
}

// The client's GET retries follow backend/retry's policy; Retry-After is capped.
func TestRetryPolicy(t *testing.T) {
	c, _ := New("http://h")
	if d := c.backoff.Delay(1, 5*time.Hour); d != time.Minute {
		t.Errorf("Retry-After is capped: %v", d)
	}
	if d := c.backoff.Delay(30, 0); d < 5*time.Second || d > 10*time.Second {
		t.Errorf("backoff is capped: %v", d)
	}
}

func TestMalformedAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		call           func(*Client) error
	}{
		{"truncated landing", "application/json", `{"links": [`, func(c *Client) error { _, err := c.Landing(context.Background()); return err }},
		{"array for an object", "application/json", `[1,2]`, func(c *Client) error { _, err := c.Conformance(context.Background()); return err }},
		{"null", "application/json", `null`, func(c *Client) error { _, err := c.Process(context.Background(), "p"); return err }},
		{"status without status", "application/json", `{"jobID":"j"}`, func(c *Client) error { _, err := c.Status(context.Background(), "j"); return err }},
		{"process without id", "application/json", `{"title":"x"}`, func(c *Client) error { _, err := c.Process(context.Background(), "p"); return err }},
		{"HTML even with f=json", "text/html", `<html>hello</html>`, func(c *Client) error { _, err := c.Landing(context.Background()); return err }},
		{"multipart without boundary", "multipart/related", `x`, func(c *Client) error { _, err := c.Results(context.Background(), "j"); return err }},
		{"wrong maxOccurs", "application/json", `{"id":"p","version":"1","inputs":{"a":{"schema":{},"maxOccurs":"lots"}}}`, func(c *Client) error { _, err := c.Process(context.Background(), "p"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ct)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv.URL)
			err := tc.call(c)
			if CodeOf(err) != BadResponse || !IsPermanent(err) {
				t.Fatalf("err = %v (code %v), want BadResponse", err, CodeOf(err))
			}
		})
	}
}

// A server that sends HTML to a JSON resource is asked again with f=json.
func TestHTMLAnswerRetriedWithFJSON(t *testing.T) {
	var queries []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		if r.URL.Query().Get("f") != "json" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>Processes</title>")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"processes":[{"id":"a","version":"1"}],"links":[]}`)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	pl, err := c.ProcessPage(context.Background(), 5, "")
	if err != nil || len(pl.Processes) != 1 {
		t.Fatalf("page = %+v, %v", pl, err)
	}
	if len(queries) != 2 || queries[0] != "limit=5" || queries[1] != "f=json&limit=5" {
		t.Errorf("queries = %q", queries)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	c, s := newTestClient(t, srv.URL, WithTimeout(50*time.Millisecond), WithRetry(1))
	_, err := c.Landing(context.Background())
	if CodeOf(err) != Timeout || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v (code %v)", err, CodeOf(err))
	}
	if len(s.all()) != 1 {
		t.Errorf("a timed-out GET is retried once here: waits %v", s.all())
	}

	c, _ = newTestClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err = c.Status(ctx, "j")
	if CodeOf(err) != Canceled || !errors.Is(err, context.Canceled) || !IsPermanent(err) {
		t.Fatalf("cancel: %v (code %v)", err, CodeOf(err))
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.Execute(ctx, "p", &Execute{}, ExecOptions{Mode: Sync}); CodeOf(err) != Canceled {
		t.Errorf("canceled before the call: %v", err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.Jobs(ctx, JobFilter{}); CodeOf(err) != Timeout {
		t.Errorf("caller deadline: %v", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, s := newTestClient(t, url, WithRetry(2))
	_, err := c.Landing(context.Background())
	if CodeOf(err) != Unavailable || IsPermanent(err) {
		t.Fatalf("err = %v (code %v)", err, CodeOf(err))
	}
	if len(s.all()) != 2 {
		t.Errorf("waits = %v", s.all())
	}
	if !strings.HasPrefix(err.Error(), "GET /: unavailable: ") {
		t.Errorf("error text = %q", err.Error())
	}
}

func TestCredentials(t *testing.T) {
	const token = "s3cr3t-t0ken-value"
	z := newZOO(t)
	z.wantAuth = "Bearer " + token
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, _ := newTestClient(t, z.base, WithCredentials(Bearer(token)), WithLogger(logger))
	ctx := context.Background()
	if _, err := c.Capabilities(ctx); err != nil {
		t.Fatal(err)
	}
	r := z.last("GET", "/conformance")
	if r.Header.Get("Authorization") != "Bearer "+token || r.Header.Get("User-Agent") != UserAgent {
		t.Errorf("headers = %v", r.Header)
	}

	// Wrong credentials: the server echoes them; the error must not.
	for _, cr := range []Credentials{Bearer("wrong-" + token), apiKeyHeader("X-Api-Key", "k3y-"+token)} {
		c2, _ := newTestClient(t, z.base, WithCredentials(cr), WithLogger(logger))
		_, err := c2.Landing(ctx)
		if CodeOf(err) != Unauthorized || !IsPermanent(err) {
			t.Fatalf("err = %v", err)
		}
		var ae *APIError
		errors.As(err, &ae)
		for _, leak := range []string{token, "pa55word", "YWxpY2U6cGE1NXdvcmQtYWxpY2U"} {
			if strings.Contains(err.Error(), leak) || strings.Contains(ae.Body, leak) || strings.Contains(fmt.Sprintf("%+v", ae), leak) {
				t.Errorf("secret in error: %q / body %q", err.Error(), ae.Body)
			}
		}
		if !strings.Contains(ae.Body, "REDACTED") {
			t.Errorf("body = %q, want the echoed secret redacted", ae.Body)
		}
	}
	if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "pa55word") {
		t.Errorf("secret in logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "status=200") {
		t.Errorf("requests not logged:\n%s", logs.String())
	}

	// Credentials that fail to apply.
	c3, _ := newTestClient(t, z.base, WithCredentials(CredentialsFunc(func(*http.Request) error { return errors.New("token expired") })))
	if _, err := c3.Landing(ctx); CodeOf(err) != Unauthorized || !strings.Contains(err.Error(), "token expired") {
		t.Errorf("apply error: %v", err)
	}
	if _, err := newTestClientErr(z.base, Bearer("")); CodeOf(err) != Unauthorized {
		t.Errorf("empty token: %v", err)
	}
}

func newTestClientErr(ep string, cr Credentials) (*LandingPage, error) {
	c, err := New(ep, WithCredentials(cr))
	if err != nil {
		return nil, err
	}
	return c.Landing(context.Background())
}

// Credentials go only to the endpoint's origin: not to job URLs elsewhere, and not
// across redirects that leave it (custom API key headers included).
func TestCredentialsStayOnOrigin(t *testing.T) {
	var got sync.Map
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.Path, r.Header.Get("X-Api-Key")+"|"+r.Header.Get("Authorization"))
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"jobID":"j","status":"running"}`)
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.Path, r.Header.Get("X-Api-Key")+"|"+r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+"/redirected", http.StatusFound)
	}))
	defer home.Close()
	for _, cr := range []Credentials{apiKeyHeader("X-Api-Key", "key-123456"), Bearer("tok-123456")} {
		c, _ := newTestClient(t, home.URL, WithCredentials(cr))
		ctx := context.Background()
		if _, err := c.Status(ctx, "j"); err != nil { // home redirects to other
			t.Fatal(err)
		}
		if v, _ := got.Load("/jobs/j"); v == "|" {
			t.Errorf("no credentials sent to the endpoint")
		}
		if v, _ := got.Load("/redirected"); v != "|" {
			t.Errorf("credentials followed a redirect off the origin: %q", v)
		}
		if _, err := c.Status(ctx, other.URL+"/jobs/x"); err != nil {
			t.Fatal(err)
		}
		if v, _ := got.Load("/jobs/x"); v != "|" {
			t.Errorf("credentials sent to a foreign job URL: %q", v)
		}
	}
}

func TestClassify(t *testing.T) {
	zooType := "http://www.opengis.net/def/rel/ogc/1.0/exception/no-such-job"
	for _, tc := range []struct {
		status   int
		exc      Exception
		notFound Code
		want     Code
	}{
		{404, Exception{Type: zooType, Title: "NoSuchJob"}, OK, NoSuchJob},
		{404, Exception{Title: "NoSuchJob"}, OK, NoSuchJob},
		{404, Exception{Type: ExcNoSuchJob}, OK, NoSuchJob},
		{404, Exception{Type: "no-such-job"}, OK, NoSuchJob},
		{404, Exception{Type: ExcResultNotReady}, NoSuchJob, ResultNotReady},
		{404, Exception{Type: "https://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/result-not-ready"}, OK, ResultNotReady},
		{404, Exception{}, NoSuchJob, NoSuchJob},
		{404, Exception{}, OK, NotFound},
		{404, Exception{Type: ExcNoSuchProcess}, OK, NoSuchProcess},
		{400, Exception{Type: ExcInvalidParameter}, OK, InvalidInput},
		{400, Exception{Type: ExcWorkflowNotFound}, OK, InvalidInput},
		{409, Exception{Type: ExcDuplicatedProc}, OK, Conflict},
		{403, Exception{Type: ExcImmutableProc}, OK, Immutable},
		{403, Exception{}, OK, Forbidden},
		{401, Exception{}, OK, Unauthorized},
		{415, Exception{}, OK, UnsupportedMedia},
		{400, Exception{Type: ExcUnsupportedMedia}, OK, UnsupportedMedia},
		{429, Exception{}, OK, Unavailable},
		{503, Exception{}, OK, Unavailable},
		{504, Exception{}, OK, Timeout},
		{500, Exception{Type: "NoApplicableCode", Detail: "file not found"}, OK, Internal},
		{501, Exception{}, OK, Internal},
		{418, Exception{}, OK, Unknown},
	} {
		if got := classify(tc.status, tc.exc, tc.notFound); got != tc.want {
			t.Errorf("classify(%d, %+v, %v) = %v, want %v", tc.status, tc.exc, tc.notFound, got, tc.want)
		}
	}
	if CodeOf(nil) != OK || IsPermanent(nil) || CodeOf(errors.New("x")) != Unknown {
		t.Error("nil / plain errors")
	}
	if CodeOf(fmt.Errorf("wrapped: %w", &APIError{Code: Conflict})) != Conflict {
		t.Error("wrapped APIError")
	}
}

// ZOO's deploy error: type and title are the WPS code, status unknown (500 here).
func TestZOODeployErrorBody(t *testing.T) {
	body := readFixture(t, "deploy-error.ogcapppkg.file-not-found.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(500)
		w.Write(body)
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL+"/acme/ogc-api")
	_, err := c.Deploy(context.Background(), AppPkgRef("https://example.com/missing.cwl"), DeployOptions{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Code != Internal || ae.Exception.Detail != "file not found" || ae.Exception.Title != "NoApplicableCode" {
		t.Fatalf("err = %#v", err)
	}
	if want := "POST /acme/ogc-api/processes: 500 server error: file not found"; err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
}

func TestRedactURL(t *testing.T) {
	c, _ := New("http://h/")
	u := c.endpointURL("jobs")
	u.RawQuery = "api_key=abc&limit=5&X-Amz-Signature=zzz&token=t"
	u.User = nil
	got := redactURL(u)
	if strings.Contains(got, "abc") || strings.Contains(got, "zzz") || strings.Contains(got, "=t&") || !strings.Contains(got, "limit=5") {
		t.Errorf("redactURL = %s", got)
	}
}

// apiKeyHeader sends a key in a header of its own, as some servers want (a kind of
// credential the client carries; the keystore's keys use Bearer).
func apiKeyHeader(name, value string) Credentials {
	return headerCreds{name: http.CanonicalHeaderKey(name), value: value}
}
