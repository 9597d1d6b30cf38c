package httpget_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/transfer/driver"
	"github.com/geojobs/geojobs/backend/transfer/drivertest"
	"github.com/geojobs/geojobs/backend/transfer/httpget"
)

type harness struct {
	srv  *httptest.Server
	mu   sync.Mutex
	objs map[string][]byte
	auth string
}

func newHarness(t *testing.T) *harness {
	h := &harness{objs: map[string][]byte{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.auth != "" && r.Header.Get("Authorization") != h.auth {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		h.mu.Lock()
		b, ok := h.objs[r.URL.Path]
		h.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%x"`, sha256.Sum256(b)))
		http.ServeContent(w, r, "", time.Unix(1700000000, 0), bytes.NewReader(b))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) Source() driver.Source {
	return httpget.New(httpget.Options{Auth: httpget.AuthorizerFunc(func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer s3cr3t")
		return nil
	})})
}

func (h *harness) Put(t *testing.T, name string, content []byte) *url.URL {
	h.mu.Lock()
	h.objs["/"+name] = content
	h.mu.Unlock()
	u, _ := url.Parse(h.srv.URL + "/" + name + "?X-Amz-Signature=topsecret")
	return u
}

func (h *harness) Missing(t *testing.T) *url.URL {
	u, _ := url.Parse(h.srv.URL + "/missing?sig=topsecret")
	return u
}

func TestConformance(t *testing.T) {
	h := newHarness(t)
	h.auth = "Bearer s3cr3t"
	drivertest.Run(t, h)
}

func TestErrorsHideSecrets(t *testing.T) {
	h := newHarness(t)
	h.auth = "Bearer other"
	src := h.Source()
	u := h.Put(t, "x", []byte("abc"))
	_, err := src.Stat(context.Background(), u)
	if driver.CodeOf(err) != driver.PermissionDenied {
		t.Fatalf("Stat with refused credentials: %v, want PermissionDenied", err)
	}
	if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error leaks a secret: %v", err)
	}
	h.srv.Close()
	_, err = src.Stat(context.Background(), u)
	if driver.CodeOf(err) != driver.Unavailable || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("Stat of a closed server: %v (code %v), want Unavailable without secrets", err, driver.CodeOf(err))
	}
}

func TestStatusCodes(t *testing.T) {
	for status, want := range map[int]driver.ErrorCode{
		404: driver.NotFound, 410: driver.NotFound, 401: driver.PermissionDenied, 412: driver.Changed,
		429: driver.Unavailable, 500: driver.Unavailable, 503: driver.Unavailable, 418: driver.Unknown,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(status)
		}))
		u, _ := url.Parse(srv.URL + "/f")
		_, err := httpget.New(httpget.Options{}).ReadRange(context.Background(), u, 0, -1, nil)
		var de *driver.Error
		if driver.CodeOf(err) != want {
			t.Errorf("status %d: %v, want code %v", status, err, want)
		} else if status == 503 && (!asError(err, &de) || de.RetryAfter != 7*time.Second || de.Status != 503) {
			t.Errorf("status 503: %+v, want Retry-After 7s and Status", de)
		}
		srv.Close()
	}
}

func asError(err error, de **driver.Error) bool {
	e, ok := err.(*driver.Error)
	*de = e
	return ok
}

func TestRangeIgnored(t *testing.T) {
	body := strings.Repeat("0123456789", 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(body)) // 200, whole body, whatever the Range
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/f")
	src := httpget.New(httpget.Options{})
	info, err := src.Stat(context.Background(), u)
	if err != nil || info.AcceptRanges || info.Size != int64(len(body)) {
		t.Fatalf("Stat = %+v, %v; want size %d without ranges", info, err, len(body))
	}
	if _, err := src.ReadRange(context.Background(), u, 10, 10, nil); driver.CodeOf(err) != driver.RangeUnsupported {
		t.Errorf("ReadRange(10, 10) on a server ignoring ranges: %v, want RangeUnsupported", err)
	}
}
