package netpolicy

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// bodyRecorder records the method, path and body of every request it receives.
type bodyRecorder struct {
	*httptest.Server
	mu  sync.Mutex
	got []string // "METHOD /path body"
}

func newBodyRecorder(t *testing.T, h func(w http.ResponseWriter, r *http.Request) bool) *bodyRecorder {
	b := &bodyRecorder{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.got = append(b.got, r.Method+" "+r.URL.Path+" "+string(body))
		b.mu.Unlock()
		if h == nil || !h(w, r) {
			_, _ = w.Write([]byte(`{"not":"the answer"}`))
		}
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *bodyRecorder) requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.got...)
}

// clients are the two ways geojobs applies the policy: its own clients' CheckRedirect,
// and GuardRedirects under a library's client that follows every redirect.
func clients() map[string]*http.Client {
	return map[string]*http.Client{
		"CheckRedirect":  Client(nil),
		"GuardRedirects": {Transport: GuardRedirects(nil)},
	}
}

// redirector answers every request to /submit with status, pointing to target.
func redirector(t *testing.T, status int, target string) *bodyRecorder {
	return newBodyRecorder(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/submit" {
			return false
		}
		w.Header().Set("Location", target)
		w.WriteHeader(status)
		return true
	})
}

func TestSubmissionNotFollowedToAnotherOrigin(t *testing.T) {
	for name, c := range clients() {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, "MKCOL"} {
			for _, status := range []int{301, 302, 303, 307, 308} {
				other := newBodyRecorder(t, nil)
				srv := redirector(t, status, other.URL+"/processes/echo")
				req, _ := http.NewRequest(method, srv.URL+"/submit", strings.NewReader(`{"inputs":{}}`))
				req.Header.Set("Content-Type", "application/json")
				res, err := c.Do(req)
				what := name + " " + method + " " + strconv.Itoa(status)
				if err == nil {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					t.Errorf("%s: followed to another origin, answer %d %q", what, res.StatusCode, b)
					continue
				}
				if !errors.Is(err, ErrRefused) {
					t.Errorf("%s: %v, want ErrRefused", what, err)
				}
				// The message says what answered what, and where it pointed.
				for _, want := range []string{method + " " + srv.URL + "/submit", strconv.Itoa(status) + " " + http.StatusText(status),
					"pointing to " + other.URL + "/processes/echo"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: %q does not say %q", what, err, want)
					}
				}
				if got := other.requests(); len(got) != 0 {
					t.Errorf("%s: the other origin got %q", what, got)
				}
			}
		}
	}
}

func TestSubmissionNotTurnedIntoGet(t *testing.T) {
	// On its own origin too: a 301/302/303 would make the POST a GET, and what the GET
	// finds (here a process description) is not the answer to the submission.
	for name, c := range clients() {
		for _, status := range []int{301, 302, 303} {
			srv := redirector(t, status, "/processes/echo")
			res, err := c.Post(srv.URL+"/submit", "application/json", strings.NewReader(`{"inputs":{}}`))
			if err == nil {
				res.Body.Close()
				t.Errorf("%s %d: followed as a GET", name, status)
				continue
			}
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "GET instead") {
				t.Errorf("%s %d: %v", name, status, err)
			}
			if got := srv.requests(); len(got) != 1 {
				t.Errorf("%s %d: requests %q, want the POST only", name, status, got)
			}
		}
	}
}

func TestSubmissionFollowedOnItsOrigin(t *testing.T) {
	// 307 and 308 keep method and body: on the same origin they are followed.
	for name, c := range clients() {
		for _, status := range []int{307, 308} {
			srv := redirector(t, status, "/elsewhere")
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/submit", strings.NewReader(`{"inputs":{"a":1}}`))
			req.Header.Set("X-Api-Key", "k")
			res, err := c.Do(req)
			if err != nil {
				t.Errorf("%s %d: %v", name, status, err)
				continue
			}
			res.Body.Close()
			got := srv.requests()
			want := []string{`POST /submit {"inputs":{"a":1}}`, `POST /elsewhere {"inputs":{"a":1}}`}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s %d: requests %q, want %q", name, status, got, want)
			}
		}
	}
}

func TestGetRedirectsFollowedEverywhere(t *testing.T) {
	// A GET may follow any redirect to another origin, without its credentials.
	for name, c := range clients() {
		for _, status := range []int{301, 302, 303, 307, 308} {
			other := newRecorder(t)
			srv := redirector(t, status, other.URL+"/asset.tif")
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/submit", nil)
			req.Header.Set("Authorization", "Bearer secret")
			req.Header.Set("X-Api-Key", "secret")
			res, err := c.Do(req)
			if err != nil {
				t.Errorf("%s %d: %v", name, status, err)
				continue
			}
			res.Body.Close()
			got := other.requests()
			if len(got) != 1 || got[0].Method != http.MethodGet {
				t.Errorf("%s %d: the other origin got %d requests", name, status, len(got))
				continue
			}
			if got[0].Header.Get("Authorization") != "" || got[0].Header.Get("X-Api-Key") != "" {
				t.Errorf("%s %d: credentials reached the other origin: %v", name, status, got[0].Header)
			}
		}
	}
}

func TestSubmissionToHTTPSAddressSaysSo(t *testing.T) {
	// The usual redirect in front of a server, http → https on the same host: a
	// submission does not follow it (another origin), and the refusal says what to do.
	for _, status := range []int{http.StatusMovedPermanently, http.StatusPermanentRedirect} {
		tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Errorf("%d: the https address got %s %s", status, r.Method, r.URL.Path)
		}))
		_, port, _ := strings.Cut(strings.TrimPrefix(tls.URL, "https://"), ":")
		srv := redirector(t, status, "https://127.0.0.1:"+port+"/submit")
		c := Client(tls.Client())
		res, err := c.Post(srv.URL+"/submit", "application/json", strings.NewReader(`{}`))
		if err == nil {
			res.Body.Close()
			t.Errorf("%d: followed", status)
		} else if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "give its https address") {
			t.Errorf("%d: %v", status, err)
		}
		tls.Close()
	}
}
