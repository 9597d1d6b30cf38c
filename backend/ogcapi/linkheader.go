package ogcapi

import (
	"strings"
)

// linkHeader is one link of an HTTP Link header (RFC 8288).
type linkHeader struct {
	Link
	params map[string]string
}

// relsNotOutputs are relations that describe the answer, not an output.
var relsNotOutputs = []string{"monitor", "status", "self", "alternate", "up", "next", "prev", "profile",
	"describedby", "service-desc", "service-doc", "related", "canonical", "results", "job", "exceptions"}

// outputID returns the output a link of a raw+reference answer stands for, or "" for
// links about the answer itself. Servers name the output in rel (pygeoapi, the 1.0
// examples), in an "id" parameter, in anchor ("#id") or in title.
func (l linkHeader) outputID() string {
	for _, r := range relsNotOutputs {
		if RelIs(l.Rel, r) || RelIs(l.Rel, "http://www.opengis.net/def/rel/ogc/1.0/"+r) {
			return ""
		}
	}
	if id := l.params["id"]; id != "" {
		return id
	}
	if l.Rel != "" && !strings.Contains(l.Rel, "/") && !strings.Contains(l.Rel, ":") {
		return l.Rel
	}
	if a := strings.TrimPrefix(l.params["anchor"], "#"); a != "" && !strings.Contains(a, "/") {
		return a
	}
	return l.Title
}

// parseLinkHeaders parses Link header values: `<uri>; rel="x"; type="y", <uri2>; …`.
// Malformed entries are skipped (the header comes from an untrusted server).
func parseLinkHeaders(values []string) []linkHeader {
	var out []linkHeader
	for _, v := range values {
		s := v
		for {
			s = strings.TrimLeft(s, " \t,")
			if s == "" || s[0] != '<' {
				break
			}
			end := strings.IndexByte(s, '>')
			if end < 0 {
				break
			}
			lh := linkHeader{Link: Link{Href: strings.TrimSpace(s[1:end])}, params: map[string]string{}}
			s = s[end+1:]
			for {
				s = strings.TrimLeft(s, " \t")
				if s == "" || s[0] != ';' {
					break
				}
				s = strings.TrimLeft(s[1:], " \t")
				i := strings.IndexAny(s, "=;,")
				if i < 0 {
					lh.params[strings.ToLower(strings.TrimSpace(s))] = ""
					s = ""
					break
				}
				name := strings.ToLower(strings.TrimSpace(s[:i]))
				if s[i] != '=' {
					lh.params[name] = ""
					s = s[i:]
					continue
				}
				s = strings.TrimLeft(s[i+1:], " \t")
				var val string
				if strings.HasPrefix(s, `"`) {
					var b strings.Builder
					j := 1
					for ; j < len(s) && s[j] != '"'; j++ {
						if s[j] == '\\' && j+1 < len(s) {
							j++
						}
						b.WriteByte(s[j])
					}
					val = b.String()
					if j < len(s) {
						j++
					}
					s = s[j:]
				} else {
					k := strings.IndexAny(s, ";,")
					if k < 0 {
						k = len(s)
					}
					val, s = strings.TrimSpace(s[:k]), s[k:]
				}
				if _, dup := lh.params[name]; !dup { // RFC 8288: the first occurrence counts
					lh.params[name] = val
				}
			}
			lh.Rel, lh.Type, lh.Title = lh.params["rel"], lh.params["type"], lh.params["title"]
			if lh.Href != "" {
				out = append(out, lh)
			}
		}
	}
	return out
}
