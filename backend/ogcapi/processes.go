package ogcapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxPages bounds how many pages Processes and AllJobs follow.
const maxPages = 1000

// ProcessPage returns one page of the process list. With pageURL empty it reads
// GET /processes (with ?limit= when limit > 0); otherwise it reads pageURL, a next
// or prev link of an earlier page, as is (paging links are opaque).
func (c *Client) ProcessPage(ctx context.Context, limit int, pageURL string) (*ProcessList, error) {
	u, err := c.pageURL(http.MethodGet, pageURL, "processes", limit)
	if err != nil {
		return nil, err
	}
	var pl ProcessList
	resp, err := c.getJSON(ctx, u, OK, &pl)
	if err != nil {
		return nil, err
	}
	absLinks(resp.url, pl.Links)
	for i := range pl.Processes {
		absLinks(resp.url, pl.Processes[i].Links)
	}
	return &pl, nil
}

// pageURL returns pageURL resolved against the endpoint, or the first page of path.
func (c *Client) pageURL(method, pageURL, path string, limit int) (*url.URL, error) {
	if pageURL == "" {
		u := c.endpointURL(path)
		if limit > 0 {
			u.RawQuery = "limit=" + strconv.Itoa(limit)
		}
		return u, nil
	}
	u, err := resolve(c.base, pageURL)
	if err != nil {
		return nil, &APIError{Method: method, URL: pageURL, Code: InvalidInput, Err: err}
	}
	return u, nil
}

// absLinks makes the hrefs of links absolute against the URL of the document.
func absLinks(base *url.URL, ls Links) {
	for i := range ls {
		if plainAbsolute(ls[i].Href) {
			continue // resolve would return it unchanged (a job list has thousands)
		}
		if u, err := resolve(base, ls[i].Href); err == nil {
			ls[i].Href = u.String()
		}
	}
}

// plainAbsolute reports whether href is an absolute http(s) URL that resolve returns
// unchanged: a plain host (and port), no character that would be escaped or
// unescaped, no dot segment.
func plainAbsolute(href string) bool {
	rest, ok := strings.CutPrefix(href, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(href, "https://")
	}
	if !ok || strings.Contains(rest, "/.") {
		return false
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	host, port, hasPort := strings.Cut(rest[:end], ":")
	if host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != "" ||
		hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	for i := end; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/:?=&+,;@", c) >= 0) {
			return false
		}
	}
	return true
}

// Processes returns every process, following next links until there are none. It stops
// at a link it has already followed (a looping server) and after maxPages pages. A next
// page that is gone (404) ends the list without error.
func (c *Client) Processes(ctx context.Context) ([]ProcessSummary, error) {
	var all []ProcessSummary
	seen := map[string]bool{}
	ids := map[string]bool{}
	next := ""
	for page := 0; page < maxPages; page++ {
		pl, err := c.ProcessPage(ctx, 0, next)
		if err != nil {
			if page > 0 && isNotFound(err) {
				break
			}
			return all, err
		}
		for _, p := range pl.Processes {
			if !ids[p.ID] {
				ids[p.ID] = true
				all = append(all, p)
			}
		}
		l, ok := pl.Links.Find("next", "")
		if !ok || seen[l.Href] {
			break
		}
		seen[l.Href] = true
		next = l.Href
	}
	return all, nil
}

func isNotFound(err error) bool {
	switch CodeOf(err) {
	case NotFound, NoSuchProcess, NoSuchJob:
		return true
	}
	return false
}

// Process returns a process description (GET /processes/{id}).
func (c *Client) Process(ctx context.Context, id string) (*Process, error) {
	if err := checkID("process", id); err != nil {
		return nil, &APIError{Method: http.MethodGet, URL: c.endpointURL("processes").String(), Code: InvalidInput, Err: err}
	}
	var p Process
	resp, err := c.getJSON(ctx, c.endpointURL("processes", id), NoSuchProcess, &p)
	if err != nil {
		return nil, err
	}
	if p.ID == "" {
		return nil, badResponse(request{method: http.MethodGet, url: resp.url}, resp, errors.New("process description without id"))
	}
	absLinks(resp.url, p.Links)
	return &p, nil
}

func checkID(what, id string) error {
	if strings.TrimSpace(id) == "" {
		return errors.New("empty " + what + " id")
	}
	if id == "." || id == ".." {
		return errors.New("invalid " + what + " id " + strconv.Quote(id))
	}
	return nil
}
