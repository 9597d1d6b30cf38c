package oidc_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
)

func proxyTo(target *url.URL) http.Handler { return httputil.NewSingleHostReverseProxy(target) }

func httptestServer(t *testing.T, h http.Handler) *httptest.Server {
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs
}

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
