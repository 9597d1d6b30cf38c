package application

import (
	"net/http"
	"net/url"
	"time"

	"github.com/geojobs/geojobs/backend/netpolicy"
)

// selfClient is the built-in endpoint's client for URLs it is handed (STAC items of
// its own /stac/ API found with "Find items"): requests to the app itself carry the
// run's token, which the Guard wants; requests elsewhere carry nothing.
func selfClient(baseURL, token string) *http.Client {
	base, _ := url.Parse(baseURL)
	return netpolicy.Client(&http.Client{Timeout: 30 * time.Second, Transport: selfAuth{base: base, token: token, next: http.DefaultTransport}})
}

type selfAuth struct {
	base  *url.URL
	token string
	next  http.RoundTripper
}

func (s selfAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	if netpolicy.SameOrigin(r.URL, s.base) && r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+s.token)
	}
	return s.next.RoundTrip(r)
}
