// Package joblog reads a job's logs from the links its server gives (ZOO-Project's
// tool logs, rel "related" type text/plain; the built-in endpoint's "Job log"), on the
// application's side: the browser never fetches from a remote server. It does not
// render anything; what it returns is untrusted text for the page to escape.
package joblog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/netpolicy"
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
	// GetText must send the endpoint's credentials only to the endpoint's own origin
	// (ogcapi.Client.GetText).
	GetText(ctx context.Context, href string, max int) (ogcapi.Text, error)
	// Endpoint is the endpoint's URL.
	Endpoint() string
}

// Source reads logs through the endpoints' clients, with their credentials, which
// the clients send to the endpoint's own origin only. ClientFor is required.
type Source struct {
	// ClientFor returns the client of an endpoint.
	ClientFor func(ctx context.Context, endpointID string) (Remote, error)

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
	remote, err := s.ClientFor(ctx, j.EndpointID)
	if err != nil {
		return Log{}, fmt.Errorf("joblog: endpoint %s: %w", j.EndpointID, err)
	}
	links := storedLinks(j.Results)
	if ref := cmp.Or(j.URL, j.RemoteID); ref != "" && j.Lost.IsZero() {
		ls, err := s.statusLinks(ctx, remote, j, ref)
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
		out.Parts = append(out.Parts, fetch(ctx, remote, j, l))
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

func (s *Source) statusLinks(ctx context.Context, remote Remote, j store.Job, ref string) (ogcapi.Links, error) {
	s.mu.Lock()
	c, ok := s.links[j.ID]
	s.mu.Unlock()
	// A running job's links may appear later (the built-in endpoint's log comes with
	// its first line), so they are read again while it runs.
	if ok && (j.Terminal() || time.Since(c.at) < 5*time.Second) && time.Since(c.at) < linksTTL {
		return c.links, nil
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

// fetch reads one log. A link must stay on the origin (scheme, host, port) of the job or
// of its endpoint: a server does not get to make geojobs fetch from elsewhere (another
// host, another port of its host, a local service). The endpoint's client sends its credentials to the endpoint's own origin
// only, not to a job URL or a log on another port or scheme.
func fetch(ctx context.Context, remote Remote, j store.Job, l ogcapi.Link) Part {
	p := Part{Title: cmp.Or(l.Title, "Log"), URL: l.Href}
	ep, _ := url.Parse(remote.Endpoint())
	base := ep
	if jb, err := url.Parse(j.URL); err == nil && jb.Host != "" {
		base = jb
	}
	u, err := url.Parse(strings.TrimSpace(l.Href))
	if err == nil && base != nil {
		u = base.ResolveReference(u)
	}
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil:
		p.Err = "The log link is not an http(s) URL."
		return p
	case !sameHost(u, base) && !sameHost(u, ep):
		p.Err = "The log is on another server (scheme, host or port) than the job; geojobs does not fetch it."
		return p
	}
	p.URL = u.String()
	t, err := remote.GetText(ctx, p.URL, MaxBytes)
	if err != nil {
		p.Err = describe(err)
		return p
	}
	p.Text, p.Truncated = t.Text, t.Truncated
	return p
}

// sameHost reports whether u is on v's origin: scheme, host and port (netpolicy).
func sameHost(u, v *url.URL) bool { return v != nil && netpolicy.SameOrigin(u, v) }

// describe says for people why a log could not be read (never the server's words).
func describe(err error) string {
	var ae *ogcapi.APIError
	switch {
	case errors.As(err, &ae) && ae.Status != 0:
		return fmt.Sprintf("The server answered %d to the log request.", ae.Status)
	case ogcapi.CodeOf(err) == ogcapi.Unauthorized:
		return "The endpoint's credentials could not be used."
	case ogcapi.CodeOf(err) == ogcapi.InvalidInput:
		return "The log link is not usable."
	case ogcapi.CodeOf(err) == ogcapi.Canceled:
		return "Reading the log was canceled."
	}
	return "The log could not be read: the server did not answer."
}
