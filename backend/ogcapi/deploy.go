package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
)

// Package is an application package for Part 2 deploy and replace: the body and the
// Content-Type that says what it is.
type Package struct {
	Body        []byte
	ContentType string
}

// CWLYAML is a CWL document in YAML (application/cwl+yaml, what ZOO-Project-DRU expects).
func CWLYAML(body []byte) Package { return Package{Body: body, ContentType: MediaCWLYAML} }

// CWLJSON is a CWL document in JSON (application/cwl+json).
func CWLJSON(body []byte) Package { return Package{Body: body, ContentType: MediaCWLJSON} }

// AppPkg is an OGC application package document (application/ogcapppkg+json).
func AppPkg(body []byte) Package { return Package{Body: body, ContentType: MediaOGCAppPkg} }

// AppPkgRef is an OGC application package whose execution unit is the CWL at href:
// {"executionUnit": {"href": href, "type": "application/cwl"}}.
func AppPkgRef(href string) Package {
	b, _ := json.Marshal(map[string]any{"executionUnit": map[string]string{"href": href, "type": MediaCWL}})
	return Package{Body: b, ContentType: MediaOGCAppPkg}
}

// DeployOptions are the options of Deploy and Replace.
type DeployOptions struct {
	// W picks the workflow of a multi-workflow CWL (query parameter w); empty: the first.
	W string
}

func (p Package) check() error {
	if len(bytes.TrimSpace(p.Body)) == 0 {
		return errors.New("empty package")
	}
	if p.ContentType == "" {
		return errors.New("package without content type")
	}
	return nil
}

func withW(u *url.URL, w string) *url.URL {
	if w != "" {
		u.RawQuery = url.Values{"w": {w}}.Encode()
	}
	return u
}

// Deploy adds a process (POST /processes, Part 2). The server picks the process id from
// the package. 201 gives the new process summary (its id from the body, else from
// Location); 202 (deployment queued) gives what the server said, at least the id when
// Location names it. Errors: Conflict (409 duplicated-process, APIError.Location names
// the existing process), Immutable/Forbidden (403), UnsupportedMedia (415), InvalidInput
// (400, workflow-not-found), Unauthorized (401).
func (c *Client) Deploy(ctx context.Context, pkg Package, opt DeployOptions) (*ProcessSummary, error) {
	u := withW(c.endpointURL("processes"), opt.W)
	if err := pkg.check(); err != nil {
		return nil, &APIError{Method: http.MethodPost, URL: redactURL(u), Code: InvalidInput, Err: err}
	}
	r := request{method: http.MethodPost, url: u, body: pkg.Body, contentType: pkg.ContentType}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	var ps ProcessSummary
	if looksLikeJSON(resp.body) {
		if err := json.Unmarshal(bytes.TrimSpace(resp.body), &ps); err != nil && resp.status == http.StatusCreated {
			return nil, badResponse(r, resp, err)
		}
	}
	if ps.ID == "" {
		if loc := resp.header.Get("Location"); loc != "" {
			if lu, err := resolve(resp.url, loc); err == nil {
				ps.ID = lastSegment(lu)
			}
		}
	}
	if ps.ID == "" && resp.status == http.StatusCreated {
		return nil, badResponse(r, resp, errors.New("deploy answer names no process (no id, no Location)"))
	}
	absLinks(resp.url, ps.Links)
	return &ps, nil
}

// Replace replaces a deployed process (PUT /processes/{id}); 200, 202 and 204 are success.
func (c *Client) Replace(ctx context.Context, id string, pkg Package, opt DeployOptions) error {
	u := withW(c.endpointURL("processes", id), opt.W)
	if err := checkID("process", id); err != nil {
		return &APIError{Method: http.MethodPut, URL: redactURL(u), Code: InvalidInput, Err: err}
	}
	if err := pkg.check(); err != nil {
		return &APIError{Method: http.MethodPut, URL: redactURL(u), Code: InvalidInput, Err: err}
	}
	_, err := c.send(ctx, request{method: http.MethodPut, url: u, body: pkg.Body, contentType: pkg.ContentType, notFound: NoSuchProcess})
	return err
}

// Undeploy removes a deployed process (DELETE /processes/{id}); 204 (any 2xx) is success.
func (c *Client) Undeploy(ctx context.Context, id string) error {
	u := c.endpointURL("processes", id)
	if err := checkID("process", id); err != nil {
		return &APIError{Method: http.MethodDelete, URL: redactURL(u), Code: InvalidInput, Err: err}
	}
	_, err := c.send(ctx, request{method: http.MethodDelete, url: u, notFound: NoSuchProcess})
	return err
}

// Package returns the package a process was deployed with (GET /processes/{id}/package).
func (c *Client) Package(ctx context.Context, id string) (*Package, error) {
	u := c.endpointURL("processes", id, "package")
	if err := checkID("process", id); err != nil {
		return nil, &APIError{Method: http.MethodGet, URL: redactURL(u), Code: InvalidInput, Err: err}
	}
	r := request{method: http.MethodGet, url: u, notFound: NoSuchProcess,
		accept: MediaOGCAppPkg + ", " + MediaCWLYAML + ", " + MediaCWLJSON + ", " + MediaCWL + ", application/json;q=0.9, */*;q=0.5"}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(resp.body)) == 0 {
		return nil, badResponse(r, resp, errors.New("empty package"))
	}
	return &Package{Body: resp.body, ContentType: resp.header.Get("Content-Type")}, nil
}
