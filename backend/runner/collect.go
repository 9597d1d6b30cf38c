package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
)

// maxSTACDocs bounds a crawl of a catalog the job returned.
const maxSTACDocs = stac.DefaultLimit

// results reads a finished job's results.
func (r *run) results(ctx context.Context, proc *ogcapi.Process) (*ogcapi.Results, error) {
	res, err := r.client.ResultsWith(ctx, r.dismissTarget(), r.hint(proc))
	if err != nil {
		return nil, errorf(serverStatus(err), err, "results of job %s", clean(r.jobID, 120))
	}
	return res, nil
}

func (r *run) hint(proc *ogcapi.Process) ogcapi.ResultsHint {
	h := ogcapi.ResultsHint{Response: r.o.Request.Execute.Response}
	for id := range r.o.Request.Execute.Outputs {
		h.OutputIDs = append(h.OutputIDs, id)
	}
	if len(h.OutputIDs) == 0 && proc != nil {
		for id := range proc.Outputs {
			h.OutputIDs = append(h.OutputIDs, id)
		}
	}
	slices.Sort(h.OutputIDs)
	return h
}

// collect turns the results into the ItemCollection to write: the STAC the process
// returned (inline, or by reference to a document that is crawled), else one Item for
// the job. isSTAC says which.
func (r *run) collect(ctx context.Context, proc *ogcapi.Process, st *ogcapi.StatusInfo, res *ogcapi.Results) (ic *stac.ItemCollection, isSTAC bool, err error) {
	fetch := stac.HTTPFetcher{Client: r.fetchClient()}
	base := r.resultsBase()
	var items []*stac.Item
	var found bool
	for _, out := range res.Outputs {
		got, ok, err := r.stacOf(ctx, out, base, fetch)
		if err != nil {
			return nil, false, err
		}
		if ok {
			found = true
			items = append(items, got...)
		}
	}
	if found {
		return &stac.ItemCollection{Type: "FeatureCollection", Features: items}, true, nil
	}
	it, err := r.jobItem(proc, st, res)
	if err != nil {
		return nil, false, err
	}
	return &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}}, false, nil
}

// stacOf reads one output as STAC: an inline STAC document, or a link (or links) to
// one. ok is false when the output is not STAC.
func (r *run) stacOf(ctx context.Context, out ogcapi.OutputResult, base *url.URL, fetch stac.Fetcher) (items []*stac.Item, ok bool, err error) {
	v := out.Value
	if doc, isJSON := v.JSON(); isJSON && v.Kind != ogcapi.KindArray {
		if _, err := stac.DetectKind(doc); err != nil {
			return nil, false, nil
		}
		ic, err := stac.Resolve(ctx, doc, base, fetch, maxSTACDocs)
		if err != nil {
			return nil, false, errorf(stacStatus(err), err, "output %s: the STAC document the job returned", clean(out.ID, 80))
		}
		return ic.Features, true, nil
	}
	links := v.Hrefs()
	if len(links) == 0 {
		return nil, false, nil
	}
	for _, l := range links {
		if !maybeSTAC(l, out.ID) {
			return nil, false, nil
		}
	}
	for _, l := range links {
		u, err := url.Parse(l.Href)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			// s3://, file: and the like are assets, not documents geojobs reads.
			return nil, false, nil
		}
		doc, err := fetch.Fetch(ctx, u)
		if err != nil {
			if explicitSTAC(l, out.ID) {
				return nil, false, errorf(stacStatus(err), err, "output %s: the STAC document the job links to", clean(out.ID, 80))
			}
			r.log.Warn("could not read a JSON output to check for STAC; keeping it as an asset", "output", out.ID, "err", err)
			return nil, false, nil
		}
		if _, err := stac.DetectKind(doc); err != nil {
			return nil, false, nil
		}
		ic, err := stac.Resolve(ctx, doc, u, fetch, maxSTACDocs)
		if err != nil {
			return nil, false, errorf(stacStatus(err), err, "output %s: the STAC document the job links to", clean(out.ID, 80))
		}
		items = append(items, ic.Features...)
	}
	return items, true, nil
}

// maybeSTAC: a link worth fetching to see whether it is STAC (JSON by its type, or
// untyped with a .json name or a STAC-sounding output id).
func maybeSTAC(l ogcapi.Link, outputID string) bool {
	mt, _, _ := mime.ParseMediaType(l.Type)
	switch {
	case mt == "application/json", mt == "application/geo+json", strings.HasSuffix(mt, "+json"):
		return true
	case mt != "":
		return false
	}
	u, err := url.Parse(l.Href)
	return err == nil && (strings.HasSuffix(strings.ToLower(u.Path), ".json") || explicitSTAC(l, outputID))
}

// explicitSTAC: the output says it is STAC, so failing to read it is an error.
func explicitSTAC(l ogcapi.Link, outputID string) bool {
	_, params, _ := mime.ParseMediaType(l.Type)
	return strings.Contains(strings.ToLower(outputID), "stac") || strings.Contains(strings.ToLower(params["profile"]), "stac") ||
		l.Rel == "stac" || strings.Contains(strings.ToLower(l.Href), "catalog.json") || strings.Contains(strings.ToLower(l.Href), "collection.json")
}

func stacStatus(err error) int {
	switch {
	case errors.Is(err, stac.ErrUnavailable), errors.Is(err, stac.ErrNotFound), errors.Is(err, stac.ErrPermissionDenied):
		return ExitServer
	}
	return ExitOutput
}

// resultsBase is the URL relative hrefs of inline STAC are resolved against: the
// job's results, or the endpoint for a sync run without a job.
func (r *run) resultsBase() *url.URL {
	s := r.client.Endpoint()
	if r.jobURL != "" {
		s = strings.TrimRight(r.jobURL, "/") + "/results"
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	return u
}

// fetchClient reads STAC documents: the endpoint's credentials go only to the
// endpoint's own origin, so a catalog on S3 or another host never sees them.
func (r *run) fetchClient() *http.Client {
	c := *r.o.HTTPClient
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Minute
	}
	if r.creds != nil {
		origin, _ := url.Parse(r.client.Endpoint())
		c.Transport = &originCredentials{base: base, origin: origin, creds: r.creds}
	}
	return &c
}

type originCredentials struct {
	base   http.RoundTripper
	origin *url.URL
	creds  ogcapi.Credentials
}

// RoundTrip adds the credentials to a copy of requests for the origin. The http.Client
// builds redirects from the original request, so they never carry them.
func (t *originCredentials) RoundTrip(req *http.Request) (*http.Response, error) {
	if sameOrigin(req.URL, t.origin) {
		req = req.Clone(req.Context())
		if err := t.creds.Apply(req); err != nil {
			return nil, fmt.Errorf("credentials: %w", err)
		}
	}
	return t.base.RoundTrip(req)
}

func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// jobItem wraps non-STAC outputs in one Item (stac.JobItem): references become
// assets, small literals properties, other inline values files next to the output.
func (r *run) jobItem(proc *ogcapi.Process, st *ogcapi.StatusInfo, res *ogcapi.Results) (*stac.Item, error) {
	job := stac.Job{
		ID: r.jobID, ProcessID: r.pid, Endpoint: r.client.Endpoint(), JobURL: r.jobURL,
	}
	if st.Created != nil {
		job.Created = *st.Created
	}
	if st.Started != nil {
		job.Started = *st.Started
	}
	switch {
	case st.Finished != nil:
		job.Finished = *st.Finished
	case st.Updated != nil:
		job.Finished = *st.Updated
	default:
		job.Finished = r.o.Now()
	}
	for i, out := range res.Outputs {
		id := out.ID
		if id == "" {
			id = fmt.Sprintf("output-%d", i+1)
		}
		var desc ogcapi.OutputDescription
		if proc != nil {
			desc = proc.Outputs[out.ID]
		}
		outs, err := jobOutputs(id, out.Value, desc)
		if err != nil {
			return nil, errorf(ExitOutput, err, "output %s", clean(id, 80))
		}
		job.Outputs = append(job.Outputs, outs...)
	}
	it, err := stac.JobItem(job, r.o.Fs, outputDir(r.o.Output))
	if err != nil {
		return nil, errorf(ExitOutput, err, "job item")
	}
	return it, nil
}

// maxTextLiteral is the largest raw text/* answer recorded as a property rather than a file.
const maxTextLiteral = 4 << 10

// jobOutputs converts one output value; arrays give one entry per item (id-1, id-2, …).
func jobOutputs(id string, v ogcapi.OutputValue, desc ogcapi.OutputDescription) ([]stac.Output, error) {
	switch v.Kind {
	case ogcapi.KindLink:
		mt := v.Link.Type
		if mt == "" {
			mt = v.MediaType
		}
		return []stac.Output{{ID: id, Href: v.Link.Href, MediaType: mt, Title: v.Link.Title}}, nil
	case ogcapi.KindJSON:
		if strings.EqualFold(v.Encoding, "base64") || isBinarySchema(desc) {
			b, err := v.DataAs(desc)
			if err == nil {
				return []stac.Output{{ID: id, Bytes: b, MediaType: v.MediaType}}, nil
			}
		}
		return []stac.Output{{ID: id, Inline: v.Value, MediaType: v.MediaType}}, nil
	case ogcapi.KindBytes:
		mt, _, _ := mime.ParseMediaType(v.MediaType)
		switch {
		case (mt == "application/json" || strings.HasSuffix(mt, "+json")) && json.Valid(v.Bytes):
			return []stac.Output{{ID: id, Inline: json.RawMessage(v.Bytes), MediaType: v.MediaType}}, nil
		case mt == "text/plain" && len(v.Bytes) <= maxTextLiteral && utf8.Valid(v.Bytes):
			s, _ := json.Marshal(string(v.Bytes))
			return []stac.Output{{ID: id, Inline: s, MediaType: "text/plain"}}, nil
		}
		return []stac.Output{{ID: id, Bytes: v.Bytes, MediaType: v.MediaType}}, nil
	case ogcapi.KindArray:
		var outs []stac.Output
		for i, it := range v.Items {
			sub, err := jobOutputs(fmt.Sprintf("%s-%d", id, i+1), it, desc)
			if err != nil {
				return nil, err
			}
			outs = append(outs, sub...)
		}
		return outs, nil
	}
	return nil, errors.New("the server sent no value")
}

// isBinarySchema: the description says the output is base64 or binary data.
func isBinarySchema(desc ogcapi.OutputDescription) bool {
	var s struct {
		ContentEncoding string `json:"contentEncoding"`
		Format          string `json:"format"`
	}
	if len(desc.Schema) == 0 || json.Unmarshal(desc.Schema, &s) != nil {
		return false
	}
	return s.ContentEncoding == "base64" || s.ContentEncoding == "binary" || s.Format == "byte" || s.Format == "binary"
}

func outputDir(output string) string {
	if output == "-" {
		return "."
	}
	return filepath.Dir(output)
}
