// Package results turns the results of any OGC API – Processes job into one STAC
// ItemCollection: the STAC the process returned inline, STAC it links to (a Catalog or
// Collection crawled by reference), or else one Item made from the job's outputs. It is
// the single code path behind `geojobs run`, the results page and the jobs engine, so
// a job shows the same items wherever it is looked at.
//
// It does not download assets (backend/transfer does) and does not render anything.
package results

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/safetext"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/spf13/afero"
)

// MaxSTACDocs bounds the crawl of a catalog a job returned.
const MaxSTACDocs = stac.DefaultLimit

// JobInfo describes the job whose results are collected.
type JobInfo struct {
	ID        string // the server's job id, or a made-up one for a sync run; the job Item's id
	ProcessID string
	Endpoint  string // the server's landing page URL
	JobURL    string // the job's status URL, when there is one
	Created   time.Time
	Started   time.Time
	Finished  time.Time // required for the job Item
	// Process is the process description, when known: it gives the outputs' order,
	// titles and types, and tells which outputs carry base64 or binary data.
	Process *ogcapi.Process
	// Requested are the outputs the execute request asked for; nil means all of them.
	// A described output that was not asked for is not listed as missing.
	Requested []string
}

// Options configure FromResults.
type Options struct {
	// Fetcher reads STAC documents the results link to. It must apply credentials only
	// to the origins they belong to. Nil: STAC by reference is not followed (its links
	// become assets of the job Item).
	Fetcher stac.Fetcher
	// Base is the URL relative hrefs of inline STAC are resolved against (the job's
	// results URL); may be nil.
	Base *url.URL
	// Fs and Dir receive inline outputs that are neither STAC nor small literals (see
	// stac.JobItem); Dir is where the ItemCollection is saved. Nil Fs: an in-memory one,
	// so such outputs are dropped after the call (the job Item still lists them).
	Fs  afero.Fs
	Dir string
	// Limit bounds the documents of one crawl; default MaxSTACDocs.
	Limit  int
	Logger *slog.Logger
	// Private reports the Settings switch that lets a server's results lead to
	// loopback and private-network addresses (netpolicy.Scope.Private); nil: they may
	// not, unless the endpoint is there too.
	Private func(ctx context.Context) bool
}

// Collection is the outcome of FromResults.
type Collection struct {
	*stac.ItemCollection
	// STAC is true when the process returned STAC; false when the collection holds one
	// Item made from the job's outputs.
	STAC bool
}

// Error is an output that could not be turned into STAC. Its cause keeps the stac
// package's class (stac.ErrUnavailable, stac.ErrNotFound, …), to be tested with errors.Is.
type Error struct {
	Output string // output id
	What   string // what was being read
	Err    error
}

func (e *Error) Error() string {
	s := "output " + clean(e.Output, 80)
	if e.What != "" {
		s += ": " + e.What
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// FromResults turns a finished job's results into one ItemCollection. Every output that
// is STAC (inline, or links to JSON documents that are STAC) contributes its items; when
// none is, the collection holds one job Item (stac.JobItem): references become assets,
// small literals properties, other inline values files in o.Dir. The result validates
// with stac.Validate when the server's STAC does.
func FromResults(ctx context.Context, res *ogcapi.Results, job JobInfo, o Options) (*Collection, error) {
	if res == nil {
		res = &ogcapi.Results{}
	}
	if o.Limit <= 0 {
		o.Limit = MaxSTACDocs
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if netpolicy.ScopeOf(ctx) == nil {
		// The STAC documents the results link to were named by the endpoint: the
		// Fetcher's requests (through a guarded client: OriginClient, AuthClient) reach
		// local and private addresses only when it is on one.
		ctx = netpolicy.WithScope(ctx, netpolicy.Scope{Endpoint: job.Endpoint, Private: o.Private})
	}
	outs := named(res.Outputs, job)
	var items []*stac.Item
	list := make([]Output, len(outs))
	found := false
	for i, out := range outs {
		got, ok, err := stacOf(ctx, out, o)
		if err != nil {
			return nil, err
		}
		if ok {
			found = true
			items = append(items, got...)
			list[i] = Output{ID: out.ID, Kind: KindSTAC, Items: len(got)}
		}
	}
	if found {
		if items == nil {
			items = []*stac.Item{}
		}
		for i, out := range outs {
			if list[i].Kind == "" { // a value beside the STAC: listed, not kept as a file
				list[i] = shownOutput(out, describeOf(job.Process, out.ID), "", nil)
				if list[i].Kind == KindFile {
					list[i].Note = "in-line data beside the STAC results; not kept"
				}
			}
		}
		ic := &stac.ItemCollection{Type: "FeatureCollection", Features: items}
		setOutputs(ic, ordered(list, job))
		return &Collection{ItemCollection: ic, STAC: true}, nil
	}
	it, assets, err := jobItem(job, outs, o)
	if err != nil {
		return nil, err
	}
	for i, out := range outs {
		list[i] = shownOutput(out, describeOf(job.Process, out.ID), it.ID, assets[i])
	}
	ic := &stac.ItemCollection{Type: "FeatureCollection", Features: []*stac.Item{it}}
	setOutputs(ic, ordered(list, job))
	return &Collection{ItemCollection: ic}, nil
}

// named gives every output an id: an unnamed one (a raw answer) takes the id of the
// only output described or requested, else output-N.
func named(in []ogcapi.OutputResult, job JobInfo) []ogcapi.OutputResult {
	outs := slices.Clone(in)
	for i := range outs {
		if outs[i].ID != "" {
			continue
		}
		switch {
		case len(job.Requested) == 1:
			outs[i].ID = job.Requested[0]
		case job.Process != nil && len(job.Process.Outputs) == 1:
			outs[i].ID = job.Process.OutputIDs()[0]
		default:
			outs[i].ID = fmt.Sprintf("output-%d", i+1)
		}
	}
	return outs
}

// shownOutput is how one output is listed: its typed value, or where its data is
// (assets of item itemID).
func shownOutput(out ogcapi.OutputResult, d describe, itemID string, assets []string) Output {
	v := out.Value
	o := Output{Kind: KindFile, MediaType: v.MediaType}
	switch v.Kind {
	case ogcapi.KindLink:
		o = Output{Kind: KindLink, Href: v.Link.Href, MediaType: cmp.Or(v.Link.Type, v.MediaType)}
	case ogcapi.KindArray:
		if j, ok := v.JSON(); ok {
			o = typedJSON(j, d.schema, false, "")
		} else if links := v.Hrefs(); len(links) == len(v.Items) {
			o = Output{Kind: KindLink, MediaType: links[0].Type}
			if len(links) == 1 {
				o.Href = links[0].Href
			}
		}
	default:
		if t, ok := typedValue(v, d.schema); ok {
			o = t
		}
	}
	o.ID, o.Title = out.ID, d.title
	if len(assets) > 0 {
		o.Item, o.Assets = itemID, assets
	}
	return o
}

// ordered lists the outputs in the order of the process description, with their
// titles, naming those described (and asked for) but not returned as missing; outputs
// the description does not know follow in the order the server sent them.
func ordered(list []Output, job JobInfo) []Output {
	p := job.Process
	if p == nil {
		return list
	}
	at := map[string]int{}
	for i, o := range list {
		if _, dup := at[o.ID]; !dup {
			at[o.ID] = i
		}
	}
	used := make([]bool, len(list))
	var out []Output
	for _, id := range p.OutputIDs() {
		if i, ok := at[id]; ok {
			out = append(out, list[i])
			used[i] = true
			continue
		}
		if job.Requested != nil && !slices.Contains(job.Requested, id) {
			continue
		}
		d := describeOf(p, id)
		out = append(out, Output{ID: id, Title: d.title, Kind: KindMissing, Type: d.schema.Type, Note: "the server did not return this output"})
	}
	for i, o := range list {
		if !used[i] {
			out = append(out, o)
		}
	}
	return out
}

// stacOf reads one output as STAC: an inline STAC document, or a link (or links) to
// one. ok is false when the output is not STAC.
func stacOf(ctx context.Context, out ogcapi.OutputResult, o Options) (items []*stac.Item, ok bool, err error) {
	v := out.Value
	if doc, isJSON := v.JSON(); isJSON && v.Kind != ogcapi.KindArray {
		if _, err := stac.DetectKind(doc); err != nil {
			return nil, false, nil
		}
		ic, err := stac.Resolve(ctx, doc, o.Base, o.Fetcher, o.Limit)
		if err != nil {
			return nil, false, &Error{Output: out.ID, What: "the STAC document the job returned", Err: err}
		}
		return ic.Features, true, nil
	}
	links := v.Hrefs()
	if len(links) == 0 || o.Fetcher == nil {
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
		doc, err := o.Fetcher.Fetch(ctx, u)
		if err != nil {
			if explicitSTAC(l, out.ID) {
				return nil, false, &Error{Output: out.ID, What: "the STAC document the job links to", Err: err}
			}
			o.Logger.Warn("could not read a JSON output to check for STAC; keeping it as an asset", "output", out.ID, "err", err)
			return nil, false, nil
		}
		if _, err := stac.DetectKind(doc); err != nil {
			return nil, false, nil
		}
		ic, err := stac.Resolve(ctx, doc, u, o.Fetcher, o.Limit)
		if err != nil {
			return nil, false, &Error{Output: out.ID, What: "the STAC document the job links to", Err: err}
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

// jobItem wraps non-STAC outputs in one Item (stac.JobItem). assets[i] are the asset
// keys output i became (none for a value kept as a property).
func jobItem(job JobInfo, outs []ogcapi.OutputResult, o Options) (*stac.Item, [][]string, error) {
	j := stac.Job{ID: job.ID, ProcessID: job.ProcessID, Endpoint: job.Endpoint, JobURL: job.JobURL,
		Created: job.Created, Started: job.Started, Finished: job.Finished}
	keys := make([][]string, len(outs))
	for i, out := range outs {
		var desc ogcapi.OutputDescription
		if job.Process != nil {
			desc = job.Process.Outputs[out.ID]
		}
		so, err := jobOutputs(out.ID, out.Value, desc)
		if err != nil {
			return nil, nil, &Error{Output: out.ID, Err: fmt.Errorf("%w: %v", stac.ErrInvalid, err)}
		}
		for _, s := range so {
			keys[i] = append(keys[i], s.ID)
		}
		j.Outputs = append(j.Outputs, so...)
	}
	fsys := o.Fs
	if fsys == nil {
		fsys = afero.NewMemMapFs()
	}
	dir := o.Dir
	if dir == "" {
		dir = "."
	}
	it, err := stac.JobItem(j, fsys, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("job item: %w", err)
	}
	for i := range keys {
		keys[i] = slices.DeleteFunc(keys[i], func(k string) bool { _, ok := it.Assets[k]; return !ok })
	}
	return it, keys, nil
}

// maxTextLiteral is the largest raw text/* answer recorded as a property rather than a file.
const maxTextLiteral = 4 << 10

// jobOutputs converts one output value; an array of links or data gives one entry per
// item (id-1, id-2, …), an array of plain JSON values one entry.
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
		if t, ok := typedValue(v, ogcapi.DescribeOutput(desc)); ok && isPlainJSON(v.MediaType) {
			return []stac.Output{{ID: id, Inline: t.Value}}, nil
		}
		return []stac.Output{{ID: id, Inline: v.Value, MediaType: v.MediaType}}, nil
	case ogcapi.KindBytes:
		mt, _, _ := mime.ParseMediaType(v.MediaType)
		switch {
		case (mt == "application/json" || strings.HasSuffix(mt, "+json")) && json.Valid(v.Bytes):
			return []stac.Output{{ID: id, Inline: json.RawMessage(v.Bytes), MediaType: v.MediaType}}, nil
		case mt == "text/plain" && len(v.Bytes) <= maxTextLiteral && utf8.Valid(v.Bytes):
			t, _ := typedValue(v, ogcapi.DescribeOutput(desc)) // "42" for an integer output is 42
			return []stac.Output{{ID: id, Inline: t.Value, MediaType: "text/plain"}}, nil
		}
		return []stac.Output{{ID: id, Bytes: v.Bytes, MediaType: v.MediaType}}, nil
	case ogcapi.KindArray:
		if j, ok := v.JSON(); ok && plainJSON(v) && !isBinarySchema(desc) {
			// A JSON array (or several plain values) is one value: kept whole, as the
			// outputs list shows it, not split into id-1, id-2, ….
			return []stac.Output{{ID: id, Inline: j}}, nil
		}
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

// plainJSON: every value of v is in-line JSON with no media type or a JSON one and no
// encoding (no link, no bytes, no base64 data).
func plainJSON(v ogcapi.OutputValue) bool {
	switch v.Kind {
	case ogcapi.KindJSON:
		return v.Encoding == "" && isPlainJSON(v.MediaType)
	case ogcapi.KindArray:
		for _, it := range v.Items {
			if !plainJSON(it) {
				return false
			}
		}
		return true
	}
	return false
}

// isPlainJSON: a value sent as JSON with no media type or a JSON one (not GeoJSON and
// the like, which are kept as files).
func isPlainJSON(mediaType string) bool {
	mt := baseMediaType(mediaType)
	return mt == "" || mt == "application/json" || mt == "text/plain"
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

// clean makes text a server sent safe for one-line messages.
func clean(s string, n int) string { return safetext.OneLine(s, n) }
