package netpolicy

import (
	"net"
	"net/url"
	"path"
	"strings"
)

// Origin is a URL's scheme, host and port, all normalised: lower case, the default
// port made explicit ("https://example.org:443"), IPv6 literals bracketed. It is ""
// for a URL without scheme or host.
func Origin(u *url.URL) string {
	if u == nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https", "wss":
			port = "443"
		case "http", "ws":
			port = "80"
		}
	}
	if port == "" {
		return scheme + "://" + hostLiteral(host)
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

func hostLiteral(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// SameOrigin reports whether a and b have the same scheme, host and port (default
// ports normalised). Two URLs without a host are never the same origin.
func SameOrigin(a, b *url.URL) bool {
	oa := Origin(a)
	return oa != "" && oa == Origin(b)
}

// CleanPath returns u's path as a server would resolve it: percent-escapes decoded
// (so "%2e%2e" is ".."), dot segments resolved, always starting with "/". ok is false
// when the path cannot be decoded, or when it holds an escaped slash or backslash
// (a server may treat those as separators, so no prefix can be trusted for it).
func CleanPath(u *url.URL) (p string, ok bool) {
	raw := u.EscapedPath()
	lower := strings.ToLower(raw)
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(raw, `\`) {
		return "", false
	}
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return "", false
	}
	if dec == "" {
		return "/", true
	}
	c := path.Clean("/" + dec)
	if strings.HasSuffix(dec, "/") && c != "/" {
		c += "/"
	}
	return c, true
}

// Under reports whether u is on prefix's origin and its cleaned path is prefix's
// cleaned path or below it at a segment boundary: "/data" covers "/data" and
// "/data/x", not "/database"; "/data/../admin" and "/data/%2e%2e/admin" are not under
// "/data/". A prefix with an empty path covers the whole origin.
func Under(u, prefix *url.URL) bool {
	if !SameOrigin(u, prefix) {
		return false
	}
	pp, ok := CleanPath(prefix)
	if !ok {
		return false
	}
	up, ok := CleanPath(u)
	if !ok {
		return false
	}
	return PathUnder(up, pp)
}

// PathUnder reports whether the cleaned path p is prefix or below it at a segment
// boundary. Both must already be cleaned (CleanPath).
func PathUnder(p, prefix string) bool {
	prefix = strings.TrimRight(prefix, "/")
	if prefix == "" {
		return true
	}
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	rest := p[len(prefix):]
	return rest == "" || rest[0] == '/'
}

// UnderString is Under for a URL string and a prefix string; unparsable ones are
// never under anything.
func UnderString(rawURL, prefix string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	p, err := url.Parse(prefix)
	if err != nil {
		return false
	}
	return Under(u, p)
}
