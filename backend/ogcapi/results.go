package ogcapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
)

// OutputKind says which form an output value has.
type OutputKind int

// Output value forms.
const (
	KindJSON  OutputKind = iota + 1 // an in-line JSON value (Value)
	KindLink                        // a reference (Link)
	KindBytes                       // raw bytes in a media type (Bytes, MediaType)
	KindArray                       // several values (Items)
)

func (k OutputKind) String() string {
	switch k {
	case KindJSON:
		return "json"
	case KindLink:
		return "link"
	case KindBytes:
		return "bytes"
	case KindArray:
		return "array"
	}
	return "none"
}

// OutputValue is the value of one output in any of the shapes a server may answer.
type OutputValue struct {
	Kind OutputKind
	// Value is the in-line JSON (KindJSON), unwrapped from a qualified {"value": …}.
	Value json.RawMessage
	// MediaType is the qualified value's mediaType, the link's type or the part's Content-Type.
	MediaType string
	Encoding  string // the qualified value's encoding ("base64", …)
	Link      Link   // KindLink; Href is absolute
	Bytes     []byte // KindBytes
	Items     []OutputValue
	// IDValue: the server sent the output as an object {"id": <output id>, "value": …}
	// (pygeoapi) and this is its value.
	IDValue bool
}

// JSON returns the value as JSON: the in-line value, raw bytes in a JSON media type,
// or an array whose items are all JSON. ok is false for links and binary data.
func (v OutputValue) JSON() (json.RawMessage, bool) {
	switch v.Kind {
	case KindJSON:
		return v.Value, true
	case KindBytes:
		if isJSONMedia(baseMedia(v.MediaType)) && json.Valid(v.Bytes) {
			return json.RawMessage(v.Bytes), true
		}
	case KindArray:
		items := make([]json.RawMessage, len(v.Items))
		for i, it := range v.Items {
			j, ok := it.JSON()
			if !ok {
				return nil, false
			}
			items[i] = j
		}
		b, err := json.Marshal(items)
		return b, err == nil
	}
	return nil, false
}

// Href returns the reference of a link value.
func (v OutputValue) Href() (string, bool) {
	if v.Kind == KindLink && v.Link.Href != "" {
		return v.Link.Href, true
	}
	return "", false
}

// Hrefs returns the references of the value and, for arrays, of its items.
func (v OutputValue) Hrefs() []Link {
	switch v.Kind {
	case KindLink:
		return []Link{v.Link}
	case KindArray:
		var out []Link
		for _, it := range v.Items {
			out = append(out, it.Hrefs()...)
		}
		return out
	}
	return nil
}

// Data returns the content of an in-line value: raw bytes as they are, a base64
// qualified value decoded, a JSON string's text, other JSON as JSON text. It fails
// for links and arrays.
func (v OutputValue) Data() ([]byte, error) {
	switch v.Kind {
	case KindBytes:
		return v.Bytes, nil
	case KindJSON:
		var s string
		if json.Unmarshal(v.Value, &s) != nil {
			return v.Value, nil
		}
		if strings.EqualFold(v.Encoding, "base64") {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("output value: bad base64: %w", err)
			}
			return b, nil
		}
		return []byte(s), nil
	}
	return nil, fmt.Errorf("output value is a %s, not in-line data", v.Kind)
}

// DataAs is Data for an output described by desc: a JSON string whose schema says
// it is binary (contentEncoding base64/binary, format byte) is base64-decoded even
// when the server did not send a qualified value with an encoding.
func (v OutputValue) DataAs(desc OutputDescription) ([]byte, error) {
	if v.Kind == KindJSON && v.Encoding == "" && parseSchema(desc.Schema).isBinary() {
		var s string
		if json.Unmarshal(v.Value, &s) == nil {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("output value: bad base64: %w", err)
			}
			return b, nil
		}
	}
	return v.Data()
}

// OutputResult is one output of a Results: its id and value.
type OutputResult struct {
	ID    string
	Value OutputValue
}

// Results are the outputs of an execution, in the order the server sent them.
type Results struct {
	Outputs []OutputResult
	// Links are Link headers of the answer that are not outputs (monitor, self, …).
	Links Links
}

// Get returns the output with the given id.
func (r *Results) Get(id string) (OutputValue, bool) {
	for _, o := range r.Outputs {
		if o.ID == id {
			return o.Value, true
		}
	}
	return OutputValue{}, false
}

// IDs returns the output ids in order.
func (r *Results) IDs() []string {
	ids := make([]string, len(r.Outputs))
	for i, o := range r.Outputs {
		ids[i] = o.ID
	}
	return ids
}

// ResultsHint tells how the results were asked for, when the caller knows: the
// execute request's response ("raw" or "document") and the requested output ids (or
// the process's outputs). Without it a JSON answer is read as a results document
// unless it is clearly a bare value (a GeoJSON/STAC object with a "type").
type ResultsHint struct {
	Response  string
	OutputIDs []string
}

// HintFor is the hint for the results of req: its response and the outputs it asks
// for, or all of proc's (proc may be nil) when it names none.
func HintFor(req *Execute, proc *Process) ResultsHint {
	h := ResultsHint{Response: req.Response, OutputIDs: slices.Sorted(maps.Keys(req.Outputs))}
	if len(h.OutputIDs) == 0 && proc != nil {
		h.OutputIDs = slices.Sorted(maps.Keys(proc.Outputs))
	}
	return h
}

// parseResults reads a results answer in every shape of CLIENT-NOTES 22/25.
func parseResults(r request, resp *response, hint ResultsHint) (*Results, error) {
	res := &Results{}
	var outLinks []linkHeader
	for _, lh := range parseLinkHeaders(resp.header.Values("Link")) {
		if id := lh.outputID(); id != "" {
			outLinks = append(outLinks, lh)
		} else {
			if u, err := resolve(resp.url, lh.Href); err == nil {
				lh.Href = u.String()
			}
			res.Links = append(res.Links, lh.Link)
		}
	}
	mt := mediaType(resp.header)
	body := resp.body
	switch {
	case resp.status == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0:
		if len(outLinks) == 0 && resp.status != http.StatusNoContent {
			return nil, badResponse(r, resp, errors.New("empty results answer"))
		}
		for _, lh := range outLinks {
			l := lh.Link
			if u, err := resolve(resp.url, l.Href); err == nil {
				l.Href = u.String()
			}
			res.Outputs = append(res.Outputs, OutputResult{ID: lh.outputID(), Value: OutputValue{Kind: KindLink, Link: l, MediaType: l.Type}})
		}
		return res, nil
	case strings.HasPrefix(mt, "multipart/"):
		if err := parseMultipart(resp, res); err != nil {
			return nil, badResponse(r, resp, err)
		}
		return res, nil
	case isJSONAnswer(resp):
		if !json.Valid(body) {
			return nil, badResponse(r, resp, errors.New("results: invalid JSON"))
		}
		if id, val, ok := idValueObject(body); ok && hint.names(id) {
			v := classifyOutput(val)
			v.IDValue = true
			absOutput(resp, &v)
			res.Outputs = []OutputResult{{ID: id, Value: v}}
			return res, nil
		}
		if isResultsDocument(body, hint) {
			outs, err := parseResultsDocument(body, hint)
			if err != nil {
				return nil, badResponse(r, resp, err)
			}
			for i := range outs {
				absOutput(resp, &outs[i].Value)
			}
			res.Outputs = outs
			return res, nil
		}
		v := OutputValue{Kind: KindJSON, Value: json.RawMessage(bytes.TrimSpace(body)), MediaType: resp.header.Get("Content-Type")}
		res.Outputs = []OutputResult{{ID: singleID(hint), Value: v}}
		return res, nil
	}
	id := singleID(hint)
	if id == "" {
		id = contentID(resp.header.Get("Content-ID"))
	}
	res.Outputs = []OutputResult{{ID: id, Value: OutputValue{Kind: KindBytes, Bytes: body, MediaType: resp.header.Get("Content-Type")}}}
	return res, nil
}

// names reports whether id can be the id of an output pygeoapi sent as {"id": id,
// "value": …}: one of the outputs asked for (any id when they are not known), and not
// a process whose own outputs are named id and value.
func (h ResultsHint) names(id string) bool {
	if len(h.OutputIDs) == 0 {
		return true
	}
	return slices.Contains(h.OutputIDs, id) && !(slices.Contains(h.OutputIDs, "id") && slices.Contains(h.OutputIDs, "value"))
}

// knows reports whether every key is one of the outputs asked for (known).
func (h ResultsHint) knows(keys []string) bool {
	if len(h.OutputIDs) == 0 || len(keys) == 0 {
		return false
	}
	for _, k := range keys {
		if !slices.Contains(h.OutputIDs, k) {
			return false
		}
	}
	return true
}

func singleID(h ResultsHint) string {
	if len(h.OutputIDs) == 1 {
		return h.OutputIDs[0]
	}
	return ""
}

// contentID reads the output id of a raw answer's Content-ID header. Weaver sends
// "<outputID@jobID>" on a single raw output.
func contentID(v string) string {
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if i := strings.LastIndexByte(v, '@'); i > 0 {
		v = v[:i]
	}
	return v
}

// idValueObject recognises pygeoapi's answer for one output: a bare object
// {"id": "<output id>", "value": …} (hello-world and most pygeoapi processes return
// their output so, raw or as the stored job result), optionally with the qualified
// value's mediaType/encoding/format members. It returns the id and the value
// (a qualified value when those members are there).
func idValueObject(body []byte) (string, json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return "", nil, false
	}
	var id string
	if _, ok := m["value"]; !ok || json.Unmarshal(m["id"], &id) != nil || strings.TrimSpace(id) == "" {
		return "", nil, false
	}
	for k := range m {
		switch k {
		case "id", "value", "mediaType", "encoding", "format", "title":
		default:
			return "", nil, false
		}
	}
	delete(m, "id")
	delete(m, "title")
	if len(m) == 1 {
		return id, m["value"], true
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", nil, false
	}
	return id, b, true
}

func absOutput(resp *response, v *OutputValue) {
	switch v.Kind {
	case KindLink:
		if u, err := resolve(resp.url, v.Link.Href); err == nil {
			v.Link.Href = u.String()
		}
	case KindArray:
		for i := range v.Items {
			absOutput(resp, &v.Items[i])
		}
	}
}

// isResultsDocument decides whether a JSON answer is a results document (a map of
// output ids, or ZOO's list of {id, value}) rather than one bare JSON output.
func isResultsDocument(body []byte, h ResultsHint) bool {
	b := bytes.TrimSpace(body)
	if h.Response == ResponseDocument {
		return true
	}
	if len(b) > 0 && b[0] == '[' {
		return isIDList(b)
	}
	if _, ok := outputsWrapper(b, h); ok {
		return true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	if len(h.OutputIDs) > 0 {
		for k := range m {
			if !slices.Contains(h.OutputIDs, k) {
				return false
			}
		}
		return true
	}
	var t string
	if json.Unmarshal(m["type"], &t) == nil && t != "" {
		return false // GeoJSON, STAC: a bare value
	}
	return true
}

func isIDList(b []byte) bool {
	var items []map[string]json.RawMessage
	if json.Unmarshal(b, &items) != nil || len(items) == 0 {
		return false
	}
	for _, it := range items {
		var id string
		if json.Unmarshal(it["id"], &id) != nil || id == "" {
			return false
		}
	}
	return true
}

// outputsWrapper reads the {"outputs": [...]} wrapper pygeoapi (and older ZOO/ADES)
// put around a results document: {"outputs": [{"id": …, "value": …}, …]}, or, from
// pygeoapi's managers for a process returning several outputs, {"outputs": [{"<output
// id>": value, …}]}. inner is the list, or that one map when its members are all outputs
// asked for (or the outputs are not known). ok is false for anything else, and when the
// process has an output named "outputs" (then the document is a map of outputs).
func outputsWrapper(b []byte, h ResultsHint) (inner []byte, ok bool) {
	if slices.Contains(h.OutputIDs, "outputs") {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil || len(m) != 1 || m["outputs"] == nil {
		return nil, false
	}
	list := m["outputs"]
	if isIDList(list) {
		var ids []struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(list, &ids)
		keys := make([]string, len(ids))
		for i, it := range ids {
			keys[i] = it.ID
		}
		if h.Response == ResponseDocument || len(h.OutputIDs) == 0 || h.knows(keys) {
			return list, true
		}
		return nil, false
	}
	var one []map[string]json.RawMessage
	if json.Unmarshal(list, &one) != nil || len(one) != 1 || len(one[0]) == 0 {
		return nil, false
	}
	if keys := slices.Collect(maps.Keys(one[0])); len(h.OutputIDs) > 0 && !h.knows(keys) {
		return nil, false
	}
	b = bytes.TrimSpace(list)
	return bytes.TrimSpace(b[1 : len(b)-1]), true
}

// parseResultsDocument reads {"id": value, …} keeping the order of the members, or a
// list [{"id": …, "value": …}, …]; {"outputs": [either]} too (outputsWrapper).
func parseResultsDocument(body []byte, h ResultsHint) ([]OutputResult, error) {
	b := bytes.TrimSpace(body)
	if b[0] == '[' {
		return parseIDList(b)
	}
	if inner, ok := outputsWrapper(b, h); ok {
		if inner[0] == '[' {
			return parseIDList(inner)
		}
		b = inner
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var outs []OutputResult
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		id, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("results: output %q: %w", id, err)
		}
		outs = append(outs, OutputResult{ID: id, Value: classifyOutput(raw)})
	}
	return outs, nil
}

func parseIDList(b []byte) ([]OutputResult, error) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, err
	}
	outs := make([]OutputResult, 0, len(items))
	for _, it := range items {
		var id string
		if err := json.Unmarshal(it["id"], &id); err != nil {
			return nil, errors.New("results: list entry without id")
		}
		delete(it, "id")
		raw, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		outs = append(outs, OutputResult{ID: id, Value: classifyOutput(raw)})
	}
	return outs, nil
}

// classifyOutput reads one value of a results document: a link, a qualified value,
// an array of these, or a bare in-line value.
func classifyOutput(raw json.RawMessage) OutputValue {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return OutputValue{Kind: KindJSON, Value: json.RawMessage("null")}
	}
	switch t[0] {
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(t, &items) == nil {
			v := OutputValue{Kind: KindArray, Items: make([]OutputValue, len(items))}
			for i, it := range items {
				v.Items[i] = classifyOutput(it)
			}
			return v
		}
	case '{':
		var m map[string]json.RawMessage
		if json.Unmarshal(t, &m) == nil {
			str := func(k string) string {
				var s string
				_ = json.Unmarshal(m[k], &s)
				return s
			}
			if val, ok := m["value"]; ok {
				v := OutputValue{Kind: KindJSON, Value: val, MediaType: str("mediaType"), Encoding: str("encoding")}
				if v.MediaType == "" { // pre-1.0 drafts: {"value": …, "format": {"mediaType": …}}
					var f Format
					if json.Unmarshal(m["format"], &f) == nil {
						v.MediaType, v.Encoding = f.MediaType, cmpOr(v.Encoding, f.Encoding)
					}
				}
				return v
			}
			if href := str("href"); href != "" {
				l := Link{Href: href, Rel: str("rel"), Type: str("type"), Title: str("title"), HrefLang: str("hreflang")}
				return OutputValue{Kind: KindLink, Link: l, MediaType: l.Type}
			}
		}
	}
	return OutputValue{Kind: KindJSON, Value: json.RawMessage(t)}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func baseMedia(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// parseMultipart reads multipart/related: one part per output, Content-ID = output id,
// by-reference parts with an empty body and Content-Location.
func parseMultipart(resp *response, res *Results) error {
	_, params, err := mime.ParseMediaType(resp.header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return errors.New("multipart answer without boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(resp.body), params["boundary"])
	for i := 1; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("multipart: %w", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return fmt.Errorf("multipart: %w", err)
		}
		if strings.EqualFold(strings.TrimSpace(p.Header.Get("Content-Transfer-Encoding")), "base64") {
			if dec, err := base64.StdEncoding.DecodeString(string(bytes.Join(bytes.Fields(data), nil))); err == nil {
				data = dec
			}
		}
		id := strings.Trim(strings.TrimSpace(p.Header.Get("Content-ID")), "<>")
		if id == "" {
			id = p.FormName()
		}
		if id == "" {
			id = fmt.Sprintf("part%d", i)
		}
		ct := p.Header.Get("Content-Type")
		var v OutputValue
		switch loc := p.Header.Get("Content-Location"); {
		case len(bytes.TrimSpace(data)) == 0 && loc != "":
			href := loc
			if u, err := resolve(resp.url, loc); err == nil {
				href = u.String()
			}
			v = OutputValue{Kind: KindLink, Link: Link{Href: href, Type: ct}, MediaType: ct}
		case isJSONMedia(baseMedia(ct)) && json.Valid(data):
			v = OutputValue{Kind: KindJSON, Value: json.RawMessage(bytes.TrimSpace(data)), MediaType: ct}
		default:
			v = OutputValue{Kind: KindBytes, Bytes: data, MediaType: ct}
		}
		res.Outputs = append(res.Outputs, OutputResult{ID: id, Value: v})
	}
	if len(res.Outputs) == 0 {
		return errors.New("multipart answer without parts")
	}
	return nil
}
