package localep

import (
	"net/http"
	"net/url"
	"strings"
)

// baseURL is the absolute URL of the endpoint root for this request, without a
// trailing slash: the scheme (https when the connection is TLS), the Host header and
// Options.BasePath. X-Forwarded-* headers are not read: they can be set by any client,
// and the app that mounts the endpoint knows its prefix (BasePath) already.
func (s *Server) baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + s.basePath
}

// cleanBasePath normalizes Options.BasePath to "" or "/a/b" (leading slash, no trailing one).
func cleanBasePath(p string) string {
	p = strings.Trim(strings.TrimSpace(p), "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// pageURL is the URL of the current path with the query q (for self/next/prev links).
func (s *Server) pageURL(r *http.Request, q url.Values) string {
	u := s.baseURL(r) + r.URL.Path
	if enc := q.Encode(); enc != "" {
		u += "?" + enc
	}
	return u
}
