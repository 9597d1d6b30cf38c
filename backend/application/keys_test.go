package application

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/geojobs/geojobs/backend/netpolicy"
)

// An export posted to a service that redirects it (to another origin, or to a page
// a GET would read) is not reported sent, and nothing reaches the other origin.
func TestSendExportRedirectNotSent(t *testing.T) {
	var mu sync.Mutex
	var got []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
	}))
	t.Cleanup(other.Close)
	for _, status := range []int{http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect} {
		svc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/inbox", status)
		}))
		t.Cleanup(svc.Close)
		ans, err := (&KeyRemote{}).SendExport(t.Context(), svc.URL+"/exports", []byte(`{"sealed":"…"}`))
		if !errors.Is(err, netpolicy.ErrRefused) || !strings.Contains(err.Error(), "pointing to "+other.URL+"/inbox") {
			t.Errorf("%d: SendExport = %q, %v; want the redirect refused", status, ans, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 0 {
		t.Errorf("the other origin got %q", got)
	}
}
