package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/docparse"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/spf13/afero"
)

// maxRequestBytes caps a request file: execute requests are small, a larger file is a mistake.
const maxRequestBytes = 16 << 20

// Request is an execute request read from a file.
type Request struct {
	// ProcessID is the process_id of the EOAP params shape; empty for a plain execute request.
	ProcessID string
	Execute   ogcapi.Execute
}

// The members a request file may have at its top level.
var (
	executeMembers = []string{"inputs", "outputs", "response", "subscriber"}
	eoapMembers    = []string{"process_id", "properties"} // EOAP OGCExecuteProcessSettings; properties is not sent
)

// LoadRequest reads and parses a request file (see ParseRequest). Errors are *Error
// with status ExitUsage.
func LoadRequest(fsys afero.Fs, path string) (*Request, error) {
	f, err := fsys.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf(ExitUsage, nil, "request file %s does not exist", path)
		}
		return nil, errorf(ExitUsage, err, "request file")
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxRequestBytes+1)); err != nil {
		return nil, errorf(ExitUsage, err, "request file %s", path)
	}
	if buf.Len() > maxRequestBytes {
		return nil, errorf(ExitUsage, nil, "request file %s is larger than %d MiB", path, maxRequestBytes>>20)
	}
	req, err := ParseRequest(buf.Bytes())
	if err != nil {
		return nil, errorf(ExitUsage, err, "request file %s", path)
	}
	return req, nil
}

// ParseRequest reads an execute request in JSON or YAML, in one of these shapes:
//   - an OGC execute request: {"inputs": …, "outputs": …, "response": …, "subscriber": …},
//     every member optional;
//   - the EOAP params shape (OGCExecuteProcessSettings): {"process_id": "…", "inputs": …,
//     "properties": …} (process_id may then stand in for --process-id; properties is
//     not part of an OGC execute request and is dropped);
//   - a whole EOAP params file whose "execute_request" member is one of the above.
//
// Input values are kept exactly as written: the file is in the OGC encoding already
// (objects wrapped in {"value": …}, arrays for maxOccurs > 1).
func ParseRequest(data []byte) (*Request, error) {
	doc, err := decodeDocument(data)
	if err != nil {
		return nil, err
	}
	if inner, ok := doc["execute_request"]; ok {
		m, ok := inner.(map[string]any)
		if !ok {
			return nil, errors.New(`"execute_request" must be an object`)
		}
		doc = m
	}
	var unknown []string
	for k := range doc {
		if !slices.Contains(executeMembers, k) && !slices.Contains(eoapMembers, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf(`unknown member(s) %s: want an execute request {"inputs": {…}, "outputs": {…}, "response": …} or {"process_id": …, "inputs": {…}}`,
			quoteList(unknown, 5))
	}
	req := &Request{}
	if v, ok := doc["process_id"]; ok {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, errors.New(`"process_id" must be a non-empty string`)
		}
		req.ProcessID = strings.TrimSpace(s)
		delete(doc, "process_id")
	}
	delete(doc, "properties")
	if v, ok := doc["inputs"]; ok && v != nil {
		if _, ok := v.(map[string]any); !ok {
			return nil, errors.New(`"inputs" must be an object mapping input ids to values`)
		}
	}
	if v, ok := doc["outputs"]; ok && v != nil {
		if _, ok := v.(map[string]any); !ok {
			return nil, errors.New(`"outputs" must be an object mapping output ids to {"format": …, "transmissionMode": …}`)
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &req.Execute); err != nil {
		return nil, fmt.Errorf("not an execute request: %w", err)
	}
	switch req.Execute.Response {
	case "", ogcapi.ResponseRaw, ogcapi.ResponseDocument:
	default:
		return nil, fmt.Errorf(`"response" must be "raw" or "document", not %q`, truncate(req.Execute.Response, 40))
	}
	for id, o := range req.Execute.Outputs {
		switch o.TransmissionMode {
		case "", ogcapi.TransmissionValue, ogcapi.TransmissionReference:
		default:
			return nil, fmt.Errorf(`output %q: "transmissionMode" must be "value" or "reference"`, id)
		}
	}
	return req, nil
}

// decodeDocument reads a JSON or YAML object into generic values that marshal back to
// JSON, in linear time within docparse.Default's limits.
func decodeDocument(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))) == 0 {
		return nil, errors.New("the file is empty")
	}
	v, err := docparse.Decode(context.Background(), data, docparse.Limits{MaxBytes: maxRequestBytes,
		MaxNodes: docparse.Default.MaxNodes, MaxDepth: docparse.Default.MaxDepth})
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the request must be an object (a mapping)")
	}
	return m, nil
}
