// Package joblog reads a job's logs from the links its server gives (ZOO-Project's
// tool logs, rel "related" type text/plain; the built-in endpoint's "Job log"), on the
// application's side: the browser never fetches from a remote server. It does not
// render anything; what it returns is untrusted text for the page to escape.
package joblog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Limits of what is read and kept.
const (
	// MaxBytes is the most of one log that is shown: its tail.
	MaxBytes = 256 << 10
	// maxLogs is the most log links read for one job.
	maxLogs = 4
	// linksTTL is how long the links of a job's status are remembered.
	linksTTL = 2 * time.Minute
	// maxCached bounds the remembered link sets.
	maxCached = 256
)

// ErrNoLog means the server gives no log link for the job.
var ErrNoLog = errors.New("joblog: the server gives no log for this job")

// Remote is what the source needs of an endpoint's client (*ogcapi.Client is one).
type Remote interface {
	Status(ctx context.Context, jobIDOrURL string) (*ogcapi.StatusInfo, error)
}

// Source reads logs. ClientFor and HTTP are required.
type Source struct {
	// ClientFor returns the client of an endpoint, to read a job's status links.
	ClientFor func(endpointID string) (Remote, error)
	// HTTP fetches the logs (its timeout bounds a fetch).
	HTTP *http.Client
	// Credentials returns what to send to an endpoint's own origin (nil for none). They
	// are never sent to another origin.
	Credentials func(endpointID string) ogcapi.Credentials

	mu    sync.Mutex
	links map[string]cachedLinks
}

type cachedLinks struct {
	at    time.Time
	links ogcapi.Links
}

// Log is what the server says of a job, one entry per log link.
type Log struct {
	Parts []Part
}

// Part is one log.
type Part struct {
	Title     string
	URL       string
	Text      string // the tail of the log, at most MaxBytes, valid UTF-8
	Truncated bool   // the log is longer: Text is its end
	Err       string // why it could not be read, for people
}

// IsLog reports whether a link points to a log.
func IsLog(l ogcapi.Link) bool {
	typ := strings.ToLower(strings.TrimSpace(strings.SplitN(l.Type, ";", 2)[0]))
	switch l.Rel {
	case "log", "logs":
		return true
	case "related", "alternate":
		return typ == "text/plain"
	}
	return false
}

// Log reads the logs of job j: the log links of its stored results or failure, and
// of its current status on the server (remembered for a while).
func (s *Source) Log(ctx context.Context, j store.Job) (Log, error) {
	links := storedLinks(j.Results)
	if ref := firstNonEmpty(j.URL, j.RemoteID); ref != "" && j.Lost.IsZero() {
		ls, err := s.statusLinks(ctx, j, ref)
		if err != nil && len(links) == 0 {
			return Log{}, err
		}
		links = append(links, ls...)
	}
	var out Log
	seen := map[string]bool{}
	for _, l := range links {
		if !IsLog(l) || seen[l.Href] || len(out.Parts) == maxLogs {
			continue
		}
		seen[l.Href] = true
		out.Parts = append(out.Parts, s.fetch(ctx, j, l))
	}
	if len(out.Parts) == 0 {
		return out, ErrNoLog
	}
	return out, nil
}

// storedLinks returns the links of a stored results or failure document.
func storedLinks(doc json.RawMessage) ogcapi.Links {
	var d struct {
		Links ogcapi.Links `json:"links"`
	}
	if len(doc) == 0 || json.Unmarshal(doc, &d) != nil {
		return nil
	}
	return d.Links
}

func (s *Source) statusLinks(ctx context.Context, j store.Job, ref string) (ogcapi.Links, error) {
	s.mu.Lock()
	c, ok := s.links[j.ID]
	s.mu.Unlock()
	// A running job's links may appear later (the built-in endpoint's log comes with
	// its first line), so they are read again while it runs.
	if ok && (j.Terminal() || time.Since(c.at) < 5*time.Second) && time.Since(c.at) < linksTTL {
		return c.links, nil
	}
	remote, err := s.ClientFor(j.EndpointID)
	if err != nil {
		return nil, fmt.Errorf("joblog: endpoint %s: %w", j.EndpointID, err)
	}
	st, err := remote.Status(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("joblog: job status: %w", err)
	}
	s.mu.Lock()
	if s.links == nil {
		s.links = map[string]cachedLinks{}
	}
	if len(s.links) >= maxCached {
		for k, v := range s.links {
			if time.Since(v.at) > linksTTL || len(s.links) >= maxCached {
				delete(s.links, k)
			}
		}
	}
	s.links[j.ID] = cachedLinks{at: time.Now(), links: st.Links}
	s.mu.Unlock()
	return st.Links, nil
}

// fetch reads one log. A link must stay on the host of the job (or of its endpoint):
// a server does not get to make geojobs fetch from elsewhere (another host, a local
// service), and credentials go only to the endpoint's own origin.
func (s *Source) fetch(ctx context.Context, j store.Job, l ogcapi.Link) Part {
	p := Part{Title: firstNonEmpty(l.Title, "Log"), URL: l.Href}
	base, _ := url.Parse(j.URL)
	u, err := url.Parse(strings.TrimSpace(l.Href))
	if err == nil && base != nil {
		u = base.ResolveReference(u)
	}
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil:
		p.Err = "The log link is not an http(s) URL."
		return p
	case base == nil || base.Host == "" || !strings.EqualFold(u.Hostname(), base.Hostname()):
		p.Err = "The log is on another host than the job; geojobs does not fetch it."
		return p
	}
	p.URL = u.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		p.Err = "The log link is not usable."
		return p
	}
	req.Header.Set("Accept", "text/plain, */*;q=0.1")
	if s.Credentials != nil && strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host) {
		if cr := s.Credentials(j.EndpointID); cr != nil {
			if err := cr.Apply(req); err != nil {
				p.Err = "The endpoint's credentials could not be used."
				return p
			}
		}
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		p.Err = "The log could not be read: the server did not answer."
		return p
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.Err = fmt.Sprintf("The server answered %d to the log request.", resp.StatusCode)
		return p
	}
	p.Text, p.Truncated, err = tail(resp.Body, MaxBytes)
	if err != nil {
		p.Err = "The log could not be read completely."
	}
	return p
}

// tail returns the last max bytes of r, as valid UTF-8, and whether it cut.
func tail(r io.Reader, max int) (string, bool, error) {
	buf := make([]byte, 0, 32<<10)
	chunk := make([]byte, 32<<10)
	cut := false
	var rerr error
	for {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if len(buf) > 2*max {
			buf = append(buf[:0], buf[len(buf)-max:]...)
			cut = true
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = err
			break
		}
	}
	if len(buf) > max {
		buf, cut = buf[len(buf)-max:], true
	}
	s := strings.ToValidUTF8(string(buf), "\uFFFD")
	if cut {
		// start at a line boundary when there is one near
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < 1024 {
			s = s[i+1:]
		}
	}
	return s, cut, rerr
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
