package jobs

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// maxInlineBytes bounds the raw output bytes kept in the database; larger outputs are
// recorded by media type and size only (the download manager fetches them).
const maxInlineBytes = 64 << 10

// storedOutput is an output as stored: shaped like a qualified value of an OGC results
// document, or a link.
type storedOutput struct {
	Value     json.RawMessage `json:"value,omitempty"`
	Href      string          `json:"href,omitempty"`
	Rel       string          `json:"rel,omitempty"`
	Type      string          `json:"type,omitempty"`
	Title     string          `json:"title,omitempty"`
	MediaType string          `json:"mediaType,omitempty"`
	Encoding  string          `json:"encoding,omitempty"`
	Size      int             `json:"size,omitempty"`
	Omitted   bool            `json:"omitted,omitempty"` // bytes too large to keep inline
	Items     []storedOutput  `json:"items,omitempty"`
}

// resultsDocument is what the store keeps of a successful job's results.
type resultsDocument struct {
	Outputs map[string]storedOutput `json:"outputs"`
	Links   ogcapi.Links            `json:"links,omitempty"`
}

func storeOutput(v ogcapi.OutputValue) storedOutput {
	switch v.Kind {
	case ogcapi.KindJSON:
		return storedOutput{Value: v.Value, MediaType: v.MediaType, Encoding: v.Encoding}
	case ogcapi.KindLink:
		return storedOutput{Href: v.Link.Href, Rel: v.Link.Rel, Type: v.Link.Type, Title: v.Link.Title, MediaType: v.MediaType}
	case ogcapi.KindBytes:
		o := storedOutput{MediaType: v.MediaType, Size: len(v.Bytes)}
		if len(v.Bytes) > maxInlineBytes {
			o.Omitted = true
			return o
		}
		if strings.HasPrefix(v.MediaType, "text/") && utf8.Valid(v.Bytes) {
			o.Value, _ = json.Marshal(string(v.Bytes))
			return o
		}
		b, _ := json.Marshal(base64.StdEncoding.EncodeToString(v.Bytes))
		o.Value, o.Encoding = b, "base64"
		return o
	case ogcapi.KindArray:
		o := storedOutput{}
		for _, it := range v.Items {
			o.Items = append(o.Items, storeOutput(it))
		}
		return o
	}
	return storedOutput{}
}

// encodeResults turns results into the stored document.
func encodeResults(res *ogcapi.Results) json.RawMessage {
	doc := resultsDocument{Outputs: map[string]storedOutput{}, Links: res.Links}
	for i, o := range res.Outputs {
		id := o.ID
		if id == "" {
			id = "output"
			if len(res.Outputs) > 1 {
				id = "output-" + strconv.Itoa(i+1)
			}
		}
		doc.Outputs[id] = storeOutput(o.Value)
	}
	b, _ := json.Marshal(doc)
	return b
}

// failureDocument is what the store keeps of a failed job: the server's exception and
// the links that explain the failure (exceptions, logs).
type failureDocument struct {
	Exception *ogcapi.Exception `json:"exception,omitempty"`
	Body      string            `json:"body,omitempty"`
	Links     ogcapi.Links      `json:"links,omitempty"`
}

// failureLinks are the status links worth keeping for a failed job.
func failureLinks(ls ogcapi.Links) ogcapi.Links {
	var out ogcapi.Links
	for _, l := range ls {
		switch {
		case ogcapi.RelIs(l.Rel, ogcapi.RelExceptions), ogcapi.RelIs(l.Rel, ogcapi.RelResults),
			l.Rel == "logs", l.Rel == "log", l.Rel == "describedby", (l.Rel == "alternate" || l.Rel == "related") && strings.HasPrefix(l.Type, "text/plain"):
			out = append(out, l)
		}
	}
	return out
}

// encodeFailure builds the stored document and reason of a failed job from the answer
// to GET results (an error, normally) and its status.
func encodeFailure(st *ogcapi.StatusInfo, resErr error) (json.RawMessage, string) {
	doc := failureDocument{Links: failureLinks(st.Links)}
	reason := st.Message
	var ae *ogcapi.APIError
	if errors.As(resErr, &ae) {
		if ae.Exception != (ogcapi.Exception{}) {
			exc := ae.Exception
			doc.Exception = &exc
			if d := cmp.Or(exc.Detail, exc.Title); d != "" && reason == "" {
				reason = d
			}
		} else if ae.Body != "" {
			doc.Body = ae.Body
		}
	}
	if reason == "" {
		reason = "the server reported the job as failed without a reason"
	}
	b, _ := json.Marshal(doc)
	return b, reason
}
