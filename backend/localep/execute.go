package localep

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// maxExecuteBytes caps an execute request body (in-line binary inputs included).
const maxExecuteBytes = 64 << 20

// execute is POST /processes/{id}/execution.
func (s *Server) execute(w http.ResponseWriter, r *http.Request) error {
	p, err := s.lookupProcess(r.PathValue("id"))
	if err != nil {
		return err
	}
	req, err := readExecute(w, r)
	if err != nil {
		return err
	}
	if err := checkInputs(p, req.Inputs); err != nil {
		return err
	}
	if err := checkOutputs(p, req); err != nil {
		return err
	}
	if req.Subscriber != nil {
		s.log.Info("local endpoint: ignoring the subscriber of an execute request (callbacks are not supported)", "process", p.desc.ID)
		req.Subscriber = nil
	}

	wantAsync := preferAsync(r.Header)
	async := wantAsync && p.allows(ogcapi.AsyncExecute) || !p.allows(ogcapi.SyncExecute)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return newProblem(http.StatusServiceUnavailable, excInternal, "Service unavailable", "the local endpoint is stopping")
	}
	now := time.Now().UTC()
	j := &job{id: newJobID()}
	j.rec = jobRecord{
		Status: ogcapi.StatusInfo{
			JobID: j.id, ProcessID: p.desc.ID, Type: "process", Status: ogcapi.StatusAccepted,
			Message: "accepted", Created: &now, Updated: &now, Progress: intp(0),
		},
		Request: req,
		Sync:    !async,
	}
	s.jobs[j.id] = j
	s.mu.Unlock()
	s.update(j, func(*jobRecord) {}) // persist before anything runs

	jobURL := s.baseURL(r) + "/jobs/" + j.id
	if async {
		s.launch(s.ctx, j, p)
		w.Header().Set("Location", jobURL)
		if wantAsync {
			w.Header().Set("Preference-Applied", "respond-async")
		}
		return writeJSON(w, http.StatusCreated, s.statusInfo(r, j.snapshot()))
	}

	// Synchronous: the job runs under the server's context and stops when the client
	// goes away.
	s.launch(s.ctx, j, p)
	stop := context.AfterFunc(r.Context(), func() {
		j.mu.Lock()
		cancel := j.cancel
		j.mu.Unlock()
		cancel(errClientGone)
	})
	defer stop()
	j.mu.Lock()
	done := j.done
	j.mu.Unlock()
	select {
	case <-done:
	case <-r.Context().Done():
		<-done
		return nil
	}
	w.Header().Add("Link", "<"+jobURL+">; rel=\"monitor\"; type=\"application/json\"")
	rec := j.snapshot()
	if rec.Status.Status == ogcapi.StatusFailed {
		writeException(w, *rec.Exception)
		return nil
	}
	if rec.Status.Status != ogcapi.StatusSuccessful {
		// Only possible when geojobs stops during the run.
		return newProblem(http.StatusServiceUnavailable, excInternal, "Service unavailable", "the job did not finish: %s", rec.Status.Message)
	}
	return s.writeResults(w, r, j.id, rec)
}

// readExecute decodes and checks the execute request body.
func readExecute(w http.ResponseWriter, r *http.Request) (ogcapi.Execute, error) {
	var req ogcapi.Execute
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return req, newProblem(http.StatusUnsupportedMediaType, excBadRequest, "Unsupported media type", "an execute request is JSON (application/json), got %q", ct)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxExecuteBytes))
	if err != nil {
		return req, newProblem(http.StatusRequestEntityTooLarge, excBadRequest, "Request too large", "cannot read the execute request (at most %d MiB): %v", maxExecuteBytes>>20, err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil // no body: all inputs absent, all outputs, raw
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return req, badRequest("the execute request is not a JSON object: %v", err)
	}
	for k := range members {
		switch k {
		case "inputs", "outputs", "response", "subscriber":
		default:
			return req, badRequest("unknown member %q in the execute request (expected inputs, outputs, response, subscriber)", k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return req, badRequest("the execute request is malformed: %v", err)
	}
	switch req.Response {
	case "":
		req.Response = ogcapi.ResponseRaw
	case ogcapi.ResponseRaw, ogcapi.ResponseDocument:
	default:
		return req, invalidParameter("response must be %q or %q, got %q", ogcapi.ResponseRaw, ogcapi.ResponseDocument, req.Response)
	}
	return req, nil
}

// checkOutputs checks the requested outputs and fills in the transmission modes.
func checkOutputs(p *process, req ogcapi.Execute) error {
	for id, o := range req.Outputs {
		if _, ok := p.desc.Outputs[id]; !ok {
			return invalidParameter("process %q has no output %q", p.desc.ID, id)
		}
		switch o.TransmissionMode {
		case "":
			o.TransmissionMode = ogcapi.TransmissionValue
		case ogcapi.TransmissionValue, ogcapi.TransmissionReference:
		default:
			return invalidParameter("output %q: transmissionMode must be value or reference, got %q", id, o.TransmissionMode)
		}
		if !p.allowsTransmission(o.TransmissionMode) {
			return invalidParameter("output %q: process %q does not offer transmission by %s", id, p.desc.ID, o.TransmissionMode)
		}
		req.Outputs[id] = o
	}
	return nil
}

// preferAsync reports whether a Prefer header asks for respond-async.
func preferAsync(h http.Header) bool {
	for _, v := range h.Values("Prefer") {
		for _, pref := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(pref), ";")
			if strings.EqualFold(strings.TrimSpace(name), "respond-async") {
				return true
			}
		}
	}
	return false
}
