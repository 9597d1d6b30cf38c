package localep

import (
	"net/http"
	"net/url"
	"strconv"
)

const (
	defaultLimit = 10
	maxLimit     = 1000
)

// paging reads limit (default 10, at most 1000: larger values are lowered) and offset.
// The offset travels only in the next/prev links the server writes; clients follow
// them as opaque URLs.
func paging(r *http.Request) (offset, limit int, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, invalidParameter("limit must be an integer of at least 1, got %q", v)
		}
		limit = min(n, maxLimit)
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, invalidParameter("offset must be a non-negative integer, got %q", v)
		}
		offset = n
	}
	return offset, limit, nil
}

// pageLinks returns the self link and, where there are more items, next and prev
// links for a page of total items.
func (s *Server) pageLinks(r *http.Request, offset, limit, total int) []linkSpec {
	q := r.URL.Query()
	at := func(off int) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("limit", strconv.Itoa(limit))
		if off > 0 {
			q2.Set("offset", strconv.Itoa(off))
		} else {
			q2.Del("offset")
		}
		return s.pageURL(r, q2)
	}
	links := []linkSpec{{rel: "self", href: s.pageURL(r, q)}}
	if offset+limit < total {
		links = append(links, linkSpec{rel: "next", href: at(offset + limit)})
	}
	if offset > 0 {
		links = append(links, linkSpec{rel: "prev", href: at(max(0, offset-limit))})
	}
	return links
}

type linkSpec struct{ rel, href string }

// window returns the bounds of the page [offset, offset+limit) within n items.
func window(offset, limit, n int) (int, int) {
	lo := min(offset, n)
	return lo, min(lo+limit, n)
}
