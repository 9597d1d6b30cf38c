package netpolicy

import (
	"net/url"
	"testing"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"https://Example.org/a", "https://example.org:443/b", true},
		{"HTTP://example.org:80/", "http://example.org", true},
		{"https://example.org", "http://example.org", false},
		{"http://example.org:8080", "http://example.org", false},
		{"http://127.0.0.1:1/", "http://127.0.0.1:2/", false},
		{"http://[::1]:80/", "http://[::1]/", true},
		{"http://example.org./x", "http://example.org/y", true},
		{"/relative", "/relative", false},
	}
	for _, c := range cases {
		if got := SameOrigin(mustURL(t, c.a), mustURL(t, c.b)); got != c.want {
			t.Errorf("SameOrigin(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestUnder(t *testing.T) {
	cases := []struct {
		u, prefix string
		want      bool
	}{
		{"https://h/data/x.tif", "https://h/data/", true},
		{"https://h/data", "https://h/data/", true},
		{"https://h/database", "https://h/data", false},
		{"https://h/data/../admin", "https://h/data/", false},
		{"https://h/data/%2e%2e/admin", "https://h/data/", false},
		{"https://h/data/%2E%2E/admin", "https://h/data/", false},
		{"https://h/data/..%2fadmin", "https://h/data/", false},
		{"https://h/data/./x", "https://h/data/", true},
		{"https://h:443/data/x", "https://h/data", true},
		{"http://h/data/x", "https://h/data", false},
		{"http://127.0.0.1:9/local/ogcapi/../../endpoints", "http://127.0.0.1:9/local/ogcapi/", false},
		{"http://127.0.0.1:9/local/ogcapi/jobs/1", "http://127.0.0.1:9/local/ogcapi/", true},
		{"https://h/anything", "https://h", true},
	}
	for _, c := range cases {
		if got := Under(mustURL(t, c.u), mustURL(t, c.prefix)); got != c.want {
			t.Errorf("Under(%q, %q) = %v, want %v", c.u, c.prefix, got, c.want)
		}
	}
}
