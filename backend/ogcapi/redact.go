package ogcapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// sensitiveParam reports whether a query parameter name probably carries a secret
// (API keys, tokens, pre-signed URL signatures).
func sensitiveParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"key", "token", "secret", "password", "passwd", "sig", "auth", "credential", "session"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// redactURL renders u without user info and with the values of sensitive query
// parameters replaced, for errors and logs.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k := range q {
			if sensitiveParam(k) {
				q[k] = []string{"REDACTED"}
				changed = true
			}
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

// pathOf returns the path and query of a (redacted) URL for short error messages.
func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" && u.RawQuery == "" {
		return raw
	}
	return u.RequestURI()
}

// secretsAdded returns the header and query values that credentials added to req,
// compared with the state before Apply, together with the parts of common schemes
// (the token of "Bearer x", the decoded "user:pass" of "Basic …" and its password).
func secretsAdded(before http.Header, beforeQuery string, req *http.Request) (values, headerNames []string) {
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) >= 4 { // shorter strings would redact random text, and are no real secret
			values = append(values, v)
		}
	}
	for name, vs := range req.Header {
		old := strings.Join(before[name], "\x00")
		if strings.Join(vs, "\x00") == old {
			continue
		}
		headerNames = append(headerNames, name)
		for _, v := range vs {
			add(v)
			scheme, rest, ok := strings.Cut(v, " ")
			if !ok {
				continue
			}
			add(rest)
			if strings.EqualFold(scheme, "basic") {
				if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest)); err == nil {
					add(string(dec))
					if _, pass, ok := strings.Cut(string(dec), ":"); ok {
						add(pass)
					}
				}
			}
		}
	}
	if req.URL.RawQuery != beforeQuery {
		old, _ := url.ParseQuery(beforeQuery)
		for k, vs := range req.URL.Query() {
			if strings.Join(old[k], "\x00") == strings.Join(vs, "\x00") {
				continue
			}
			for _, v := range vs {
				add(v)
				add(url.QueryEscape(v))
			}
		}
	}
	return values, headerNames
}

// scrub replaces every secret in s.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	return s
}
