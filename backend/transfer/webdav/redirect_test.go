package webdav

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"golang.org/x/net/webdav"
)

// An upload the share answers with a redirect to another origin (same host, other
// port: net/http alone would send the basic credentials along) is refused: nothing
// reaches the other origin and the upload is not reported done.
func TestUploadRedirectedElsewhereRefused(t *testing.T) {
	var mu sync.Mutex
	var loot []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		loot = append(loot, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	h := &webdav.Handler{Prefix: "/dav", FileSystem: webdav.NewMemFS(), LockSystem: webdav.NewMemLS()}
	for _, status := range []int{http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut {
				http.Redirect(w, r, other.URL+"/loot", status)
				return
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(ts.Close)
		c, _ := New(testKey(ts), Options{})
		_, err := c.Upload(context.Background(), "exports/a.txt", strings.NewReader("hello"), 5)
		if status == http.StatusTemporaryRedirect {
			// A streamed body cannot be sent again: net/http hands the 307 back.
			if err == nil || !strings.Contains(err.Error(), "307") {
				t.Errorf("307: upload = %v", err)
			}
			continue
		}
		if !errors.Is(err, netpolicy.ErrRefused) || errs.CodeOf(err) != errs.PermissionDenied ||
			!strings.Contains(err.Error(), "pointing to "+other.URL+"/loot") {
			t.Errorf("%d: upload = %v, want a refusal that says where it pointed", status, err)
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("%d: the error shows the password", status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(loot) != 0 {
		t.Errorf("the other origin got %q", loot)
	}
}
