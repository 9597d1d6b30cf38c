package localep

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// getResults is GET /jobs/{id}/results: the results of a successful job, answered as
// the execute request asked (v1.0 response table), or the failure of a failed one.
func (s *Server) getResults(w http.ResponseWriter, r *http.Request) error {
	j, err := s.lookupJob(r.PathValue("id"))
	if err != nil {
		return err
	}
	rec := j.snapshot()
	switch rec.Status.Status {
	case ogcapi.StatusSuccessful:
		return s.writeResults(w, r, j.id, rec)
	case ogcapi.StatusFailed:
		writeException(w, *rec.Exception)
		return nil
	case ogcapi.StatusDismissed:
		return newProblem(http.StatusNotFound, ogcapi.ExcNoSuchJob, "No such job", "job %q was dismissed; its results were removed", j.id)
	}
	return newProblem(http.StatusNotFound, ogcapi.ExcResultNotReady, "Result not ready", "job %q is %s; its results are not ready yet", j.id, rec.Status.Status)
}

// selected lists the outputs to send, in id order: the requested ones, or all.
func selected(rec jobRecord) []string {
	if len(rec.Request.Outputs) == 0 {
		return slices.Sorted(maps.Keys(rec.Results))
	}
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(rec.Request.Outputs)) {
		if _, ok := rec.Results[id]; ok {
			ids = append(ids, id)
		}
	}
	return ids
}

func byReference(rec jobRecord, id string) bool {
	return rec.Request.Outputs[id].TransmissionMode == ogcapi.TransmissionReference
}

// writeResults answers per the v1.0 table: document → results JSON; raw → one value
// as is, several in multipart/related (Content-ID <output id>), all by reference →
// 204 with one Link header per output (rel = output id).
func (s *Server) writeResults(w http.ResponseWriter, r *http.Request, id string, rec jobRecord) error {
	ids := selected(rec)
	base := s.baseURL(r)
	refURL := func(out string) string { return base + "/jobs/" + id + "/results/" + out }
	if rec.Request.Response == ogcapi.ResponseDocument {
		doc := make(map[string]json.RawMessage, len(ids))
		for _, out := range ids {
			ov := rec.Results[out]
			if byReference(rec, out) {
				doc[out], _ = json.Marshal(ogcapi.Link{Href: refURL(out), Type: rawType(ov), Rel: ogcapi.RelResults, Title: out})
				continue
			}
			doc[out] = rebase(ov, base)
		}
		return writeJSON(w, http.StatusOK, doc)
	}
	allRef := len(ids) > 0
	for _, out := range ids {
		allRef = allRef && byReference(rec, out)
	}
	switch {
	case len(ids) == 0:
		w.WriteHeader(http.StatusNoContent)
		return nil
	case allRef:
		for _, out := range ids {
			w.Header().Add("Link", fmt.Sprintf("<%s>; rel=%q; type=%q", refURL(out), out, rawType(rec.Results[out])))
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case len(ids) == 1:
		ct, body, err := rawOf(rec.Results[ids[0]], base)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return nil
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	first := ""
	for _, out := range ids {
		h := textproto.MIMEHeader{}
		h.Set("Content-ID", "<"+out+">")
		var body []byte
		ov := rec.Results[out]
		if byReference(rec, out) {
			h.Set("Content-Type", rawType(ov))
			h.Set("Content-Location", refURL(out))
		} else {
			ct, b, err := rawOf(ov, base)
			if err != nil {
				return err
			}
			h.Set("Content-Type", ct)
			body = b
		}
		if first == "" {
			first = h.Get("Content-Type")
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		_, _ = pw.Write(body)
	}
	if err := mw.Close(); err != nil {
		return err
	}
	w.Header().Set("Content-Type", fmt.Sprintf("multipart/related; boundary=%s; type=%q", mw.Boundary(), first))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// rebase replaces basePlaceholder in a Doc that holds hrefs to this endpoint.
func rebase(ov outputValue, base string) json.RawMessage {
	if !ov.Rebase {
		return ov.Doc
	}
	return bytes.ReplaceAll(ov.Doc, []byte(`"`+basePlaceholder), []byte(`"`+base+"/"))
}

// rawType is the media type of an output's raw encoding.
func rawType(ov outputValue) string {
	ct, _, err := rawOf(ov, "")
	if err != nil {
		return "application/octet-stream"
	}
	return ct
}

// rawOf is an output's raw encoding: a qualified value's inner value, base64 decoded
// when so encoded; strings, numbers and booleans as text; anything else as JSON.
func rawOf(ov outputValue, base string) (string, []byte, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(rebase(ov, base)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", nil, fmt.Errorf("stored output is not JSON: %w", err)
	}
	mt := ov.MediaType
	if m, ok := v.(map[string]any); ok {
		if inner, ok := m["value"]; ok {
			v = inner
			if q, ok := m["mediaType"].(string); ok && mt == "" {
				mt = q
			}
		}
	}
	if ov.Encoding == "base64" {
		str, _ := v.(string)
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return "", nil, fmt.Errorf("stored binary output is not base64: %w", err)
		}
		return orDefault(mt, "application/octet-stream"), b, nil
	}
	switch t := v.(type) {
	case string:
		return orDefault(mt, "text/plain; charset=utf-8"), []byte(t), nil
	case json.Number, bool:
		b, _ := json.Marshal(t)
		return orDefault(mt, "text/plain; charset=utf-8"), b, nil
	}
	b, err := json.Marshal(v)
	return orDefault(mt, "application/json"), b, err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// getResult is GET /jobs/{id}/results/{output}: one output's raw encoding, the target
// of by-reference results (as in Part 1 v2.0).
func (s *Server) getResult(w http.ResponseWriter, r *http.Request) error {
	j, err := s.lookupJob(r.PathValue("id"))
	if err != nil {
		return err
	}
	rec := j.snapshot()
	if rec.Status.Status != ogcapi.StatusSuccessful {
		return s.getResults(w, r)
	}
	out := r.PathValue("output")
	ov, ok := rec.Results[out]
	if !ok {
		return newProblem(http.StatusNotFound, ogcapi.ExcPrefix+"no-such-output", "No such output", "job %q has no output %q", j.id, out)
	}
	ct, body, err := rawOf(ov, s.baseURL(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	http.ServeContent(w, r, "", *rec.Status.Finished, bytes.NewReader(body))
	return nil
}

// getLog is GET /jobs/{id}/log.
func (s *Server) getLog(w http.ResponseWriter, r *http.Request) error {
	j, err := s.lookupJob(r.PathValue("id"))
	if err != nil {
		return err
	}
	if !j.snapshot().HasLog {
		return newProblem(http.StatusNotFound, excBadRequest, "No log", "job %q has no log", j.id)
	}
	f, err := s.st.fs.Open(s.st.logPath(j.id))
	if err != nil {
		return newProblem(http.StatusNotFound, excBadRequest, "No log", "the log of job %q was removed", j.id)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	http.ServeContent(w, r, "", fi.ModTime(), f)
	return nil
}

// getOutput is GET /jobs/{id}/outputs/{name}: an output file, with HEAD, Range and an
// ETag (the file's multihash) through http.ServeContent. Large files are streamed
// from the Fs, never read whole.
func (s *Server) getOutput(w http.ResponseWriter, r *http.Request) error {
	j, err := s.lookupJob(r.PathValue("id"))
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	rec := j.snapshot()
	info, ok := rec.Files[name]
	if !ok || name != path.Base(name) || strings.HasPrefix(name, ".") {
		return newProblem(http.StatusNotFound, ogcapi.ExcPrefix+"no-such-output", "No such file", "job %q has no output file %q", j.id, name)
	}
	f, err := s.st.fs.Open(path.Join(s.st.outputDir(j.id), name))
	if err != nil {
		return newProblem(http.StatusNotFound, ogcapi.ExcPrefix+"no-such-output", "No such file", "the output file %q of job %q was removed", name, j.id)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", info.MediaType)
	if info.Checksum != "" {
		w.Header().Set("ETag", `"`+info.Checksum+`"`)
	}
	w.Header().Set("Cache-Control", "private, max-age=0, must-revalidate")
	w.Header().Set("Accept-Ranges", "bytes")
	http.ServeContent(w, r, name, fi.ModTime(), f)
	return nil
}
