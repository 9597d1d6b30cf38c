package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// getJSON GETs a JSON resource and decodes it into v.
func (c *Client) getJSON(ctx context.Context, u *url.URL, notFound Code, v any) (*response, error) {
	r := request{method: http.MethodGet, url: u, notFound: notFound, jsonDoc: true}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := decodeJSON(resp.body, v); err != nil {
		if !isJSONAnswer(resp) && len(bytes.TrimSpace(resp.body)) > 0 {
			err = notJSON(resp)
		}
		return resp, badResponse(r, resp, err)
	}
	return resp, nil
}

// notJSON says what came instead of a JSON document. An HTML page is most often a
// sign-in page or a proxy's error page answered with 200, not the API at all.
func notJSON(resp *response) error {
	mt := mediaType(resp.header)
	b := bytes.TrimSpace(resp.body)
	if mt == "text/html" || mt == "application/xhtml+xml" || len(b) > 0 && b[0] == '<' && mt != "application/xml" && mt != "text/xml" {
		return errors.New("the server sent a web page where a JSON document was expected: a sign-in page or a proxy's " +
			"error page? Check the endpoint's URL and its credentials")
	}
	if mt == "" {
		mt = "a document that is not JSON"
	}
	return fmt.Errorf("the server sent %s where a JSON document was expected", mt)
}

func decodeJSON(body []byte, v any) error {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\ufeff")))
	if len(b) == 0 {
		return errors.New("empty body where a JSON document was expected")
	}
	if string(b) == "null" {
		return errors.New("null where a JSON document was expected")
	}
	return json.Unmarshal(b, v)
}

// Landing returns the landing page (GET /).
func (c *Client) Landing(ctx context.Context) (*LandingPage, error) {
	var lp LandingPage
	if _, err := c.getJSON(ctx, c.endpointURL(), OK, &lp); err != nil {
		return nil, err
	}
	return &lp, nil
}

// Conformance returns the conformance declaration (GET /conformance).
func (c *Client) Conformance(ctx context.Context) (*ConfClasses, error) {
	return c.conformanceAt(ctx, c.endpointURL("conformance"))
}

func (c *Client) conformanceAt(ctx context.Context, u *url.URL) (*ConfClasses, error) {
	var cc ConfClasses
	if _, err := c.getJSON(ctx, u, OK, &cc); err != nil {
		return nil, err
	}
	return &cc, nil
}

// Capabilities summarises what an endpoint declares, for gating features in the UI.
type Capabilities struct {
	Sync, Async bool // the core class (whether a process allows a mode is in its jobControlOptions)
	Dismiss     bool // DELETE /jobs/{id}
	JobList     bool // GET /jobs
	Callback    bool // subscriber in execute requests
	Deploy      bool // Part 2 deploy, replace, undeploy
	CWL         bool // Part 2 CWL packages
	OGCAppPkg   bool // Part 2 OGC application packages
	// Where the resources are, from the landing page links, else the fixed paths.
	ConformanceURL, ProcessesURL, JobsURL string
	Title                                 string
	Conformance                           ConfClasses
}

// Capabilities reads the landing page and the conformance declaration. Links missing
// from the landing page fall back to the fixed paths /conformance, /processes and /jobs;
// links to another origin are not followed (misconfigured public URLs are common).
// A landing page that cannot be read is not fatal when /conformance can be.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	var caps Capabilities
	var links Links
	lp, lerr := c.Landing(ctx)
	if lerr != nil {
		if CodeOf(lerr) == Canceled || CodeOf(lerr) == Unauthorized {
			return caps, lerr
		}
	} else {
		links, caps.Title = lp.Links, lp.Title
	}
	pick := func(rel, path string) *url.URL {
		if l, ok := links.Find(rel, acceptJSON); ok {
			if u, err := resolve(c.base, l.Href); err == nil && c.sameOrigin(u) {
				return u
			}
		}
		return c.endpointURL(path)
	}
	cu := pick(RelConformance, "conformance")
	caps.ConformanceURL = cu.String()
	caps.ProcessesURL = pick(RelProcesses, "processes").String()
	caps.JobsURL = pick(RelJobList, "jobs").String()
	cc, err := c.conformanceAt(ctx, cu)
	if err != nil {
		if lerr != nil {
			return caps, lerr
		}
		return caps, err
	}
	caps.Conformance = *cc
	caps.Sync = cc.Has(ConfCore)
	caps.Async = caps.Sync
	caps.Dismiss = cc.Has(ConfDismiss)
	caps.JobList = cc.Has(ConfJobList)
	caps.Callback = cc.Has(ConfCallback)
	caps.Deploy = cc.Has(ConfDRU)
	caps.CWL = cc.Has(ConfCWL)
	caps.OGCAppPkg = cc.Has(ConfOGCAppPkg)
	return caps, nil
}
