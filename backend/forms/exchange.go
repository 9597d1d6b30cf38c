package forms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/docparse"
	"github.com/geojobs/geojobs/backend/ogcapi"
)

// maxImport bounds an imported execute request.
const maxImport = 8 << 20

// Import reads an execute request (JSON or YAML; the bare OGC document, or the EOAP
// shape with the request under "execute_request") into form values. Inputs the
// process does not have are skipped and reported in warnings.
func (f *Form) Import(body []byte) (Values, []string, error) {
	return f.ImportContext(context.Background(), body)
}

// ImportContext is Import that stops when ctx ends (the client went away). The
// document is read in linear time within docparse.Default's limits.
func (f *Form) ImportContext(ctx context.Context, body []byte) (Values, []string, error) {
	v := f.Defaults()
	if len(body) > maxImport {
		return v, nil, fmt.Errorf("the execute request is larger than %d MiB", maxImport>>20)
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if err := checkJSON(body); err != nil {
		return v, nil, err
	}
	doc, err := docparse.Decode(ctx, body, docparse.Limits{MaxBytes: maxImport, MaxNodes: docparse.Default.MaxNodes, MaxDepth: docparse.Default.MaxDepth})
	if errors.Is(err, docparse.ErrSyntax) {
		return v, nil, fmt.Errorf("not valid YAML: %s", strings.TrimPrefix(err.Error(), docparse.ErrSyntax.Error()+": "))
	}
	if err != nil {
		return v, nil, err
	}
	// Round-trip through JSON: numbers become float64 and maps map[string]any, as in JSON.
	jb, err := json.Marshal(doc)
	if err != nil {
		return v, nil, fmt.Errorf("not an execute request: %v", err)
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(jb, &top) != nil {
		return v, nil, errors.New("not an execute request: the top level is not an object")
	}
	if inner, ok := top["execute_request"]; ok {
		top = nil
		if json.Unmarshal(inner, &top) != nil {
			return v, nil, errors.New("execute_request is not an object")
		}
	}
	var req struct {
		ProcessID any                        `json:"process_id"` // the EOAP shape names its process
		Inputs    map[string]json.RawMessage `json:"inputs"`
		Outputs   map[string]ogcapi.Output   `json:"outputs"`
	}
	jb, _ = json.Marshal(top)
	if err := json.Unmarshal(jb, &req); err != nil {
		return v, nil, fmt.Errorf("not an execute request: %v", err)
	}
	if req.Inputs == nil && req.Outputs == nil {
		return v, nil, errors.New(`not an execute request: no "inputs" or "outputs"`)
	}
	if err := f.checkMatches(req.ProcessID, req.Inputs, req.Outputs); err != nil {
		return v, nil, err
	}
	var warnings []string
	if pid, ok := req.ProcessID.(string); ok && pid != "" && pid != f.Process.ID {
		warnings = append(warnings, fmt.Sprintf("The request is for the process %q, not %s.", truncate(pid, 80), f.Process.ID))
	}
	for _, id := range slices.Sorted(maps.Keys(req.Inputs)) {
		fl, ok := f.Field(id)
		if !ok {
			warnings = append(warnings, fmt.Sprintf("Input %q is not an input of %s; it was left out.", id, f.Process.ID))
			continue
		}
		var val any
		_ = json.Unmarshal(req.Inputs[id], &val)
		items := []any{val}
		if arr, ok := val.([]any); ok && fl.Many() {
			items = arr
		}
		occ := make([]Occurrence, 0, len(items))
		for _, it := range items {
			occ = append(occ, fl.occurrence(it))
		}
		if len(occ) == 0 {
			occ = append(occ, Occurrence{})
		}
		v.Inputs[id] = occ
	}
	// Every value kept in the form that the form would not send is named, with why:
	// it stays in its field for the user to fix.
	for _, fl := range f.Fields {
		occ, ok := v.Inputs[fl.ID]
		if _, imported := req.Inputs[fl.ID]; !ok || !imported {
			continue
		}
		for n, o := range occ {
			if o.empty() {
				continue
			}
			if _, err := fl.value(o); err != nil {
				where := fl.Title
				if len(occ) > 1 {
					where += fmt.Sprintf(" (value %d)", n+1)
				}
				warnings = append(warnings, fmt.Sprintf("%s: %s. It was imported as it is: fix it before submitting.", where, err))
			}
		}
	}
	// Inputs missing from the request are left blank (not defaulted): the request is what it is.
	for _, fl := range f.Fields {
		if _, ok := req.Inputs[fl.ID]; !ok {
			o := Occurrence{}
			if len(fl.MediaTypes) > 0 {
				o.Media = fl.MediaTypes[0]
			}
			v.Inputs[fl.ID] = []Occurrence{o}
		}
	}
	if req.Outputs != nil {
		for _, o := range f.Outputs {
			ro, ok := req.Outputs[o.ID]
			c := OutputChoice{Include: ok, Transmission: ro.TransmissionMode}
			if ro.Format != nil {
				c.Format = ro.Format.MediaType
			}
			v.Outputs[o.ID] = c
		}
		for id := range req.Outputs {
			if !containsOutput(f.Outputs, id) {
				warnings = append(warnings, fmt.Sprintf("Output %q is not an output of %s; it was left out.", id, f.Process.ID))
			}
		}
	}
	return v, warnings, nil
}

// checkMatches refuses a request none of whose inputs or outputs belongs to the
// process: importing it would only empty the form (a request for another process).
func (f *Form) checkMatches(processID any, inputs map[string]json.RawMessage, outputs map[string]ogcapi.Output) error {
	if len(inputs) == 0 && len(outputs) == 0 {
		return nil
	}
	for id := range inputs {
		if _, ok := f.Field(id); ok {
			return nil
		}
	}
	for id := range outputs {
		if containsOutput(f.Outputs, id) {
			return nil
		}
	}
	ids := slices.Sorted(maps.Keys(inputs))
	if len(ids) == 0 {
		ids = slices.Sorted(maps.Keys(outputs))
	}
	for i, id := range ids {
		ids[i] = truncate(id, 40)
	}
	if len(ids) > 6 {
		ids = append(ids[:6], "…")
	}
	what := fmt.Sprintf("none of its inputs (%s) is an input of %s", strings.Join(ids, ", "), f.Process.ID)
	if len(inputs) == 0 {
		what = fmt.Sprintf("none of its outputs (%s) is an output of %s", strings.Join(ids, ", "), f.Process.ID)
	}
	if pid, ok := processID.(string); ok && pid != "" && pid != f.Process.ID {
		return fmt.Errorf("it is a request for the process %q (%s). Open that process's form to import it", truncate(pid, 80), what)
	}
	return fmt.Errorf("%s. Is it a request for another process?", what)
}

// truncate shortens untrusted text for a message.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func containsOutput(os []Output, id string) bool {
	for _, o := range os {
		if o.ID == id {
			return true
		}
	}
	return false
}

// occurrence turns one value of an execute request into form values.
func (fl Field) occurrence(val any) Occurrence {
	o := Occurrence{}
	if len(fl.MediaTypes) > 0 {
		o.Media = fl.MediaTypes[0]
	}
	if m, ok := val.(map[string]any); ok {
		if href, ok := m["href"].(string); ok {
			o.Ref, o.Href = true, href
			if t, ok := m["type"].(string); ok && t != "" {
				o.Media = t
			}
			return o
		}
		if inner, ok := m["value"]; ok && (fl.Kind != KindObject || qualifiedKeysOnly(m)) {
			if mt, ok := m["mediaType"].(string); ok && mt != "" {
				o.Media = mt
			}
			val = inner
		}
	}
	switch fl.Kind {
	case KindObject:
		o.Props = map[string]string{}
		if m, ok := val.(map[string]any); ok {
			for _, p := range fl.Props {
				if pv, ok := m[p.ID]; ok {
					o.Props[p.ID] = scalarText(pv)
				}
			}
		}
	case KindList:
		if arr, ok := val.([]any); ok {
			parts := make([]string, len(arr))
			for i, e := range arr {
				parts[i] = scalarText(e)
			}
			o.Value = strings.Join(parts, ", ")
		} else {
			o.Value = scalarText(val)
		}
	case KindBBox:
		if arr, ok := val.([]any); ok {
			parts := make([]string, len(arr))
			for i, e := range arr {
				parts[i] = scalarText(e)
			}
			o.Value = strings.Join(parts, ",")
		} else if s, ok := val.(string); ok {
			o.Value = s
		} else {
			b, _ := json.Marshal(val)
			o.Value = string(b)
		}
	case KindJSON, KindGeoJSON:
		if s, ok := val.(string); ok && fl.Kind == KindJSON && !json.Valid([]byte(s)) {
			o.Value = s
		} else {
			b, _ := json.MarshalIndent(val, "", "  ")
			o.Value = string(b)
		}
	default:
		o.Value = scalarText(val)
	}
	return o
}

// qualifiedKeysOnly reports an object that has only the members of a qualified value.
func qualifiedKeysOnly(m map[string]any) bool {
	for k := range m {
		switch k {
		case "value", "mediaType", "encoding", "schema":
		default:
			return false
		}
	}
	return true
}

// JSON is the execute request as indented JSON.
func (r *Request) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r.Execute) // raw messages are valid JSON (BuildInput checked them)
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// ExecutionURL is the URL an execute request for process id is POSTed to.
func ExecutionURL(endpoint, processID string) string {
	return strings.TrimSuffix(endpoint, "/") + "/processes/" + url.PathEscape(processID) + "/execution"
}

// Curl is a shell command that sends the request with curl. Secrets never appear: when
// the endpoint needs credentials, the command reads a token from $GEOJOBS_TOKEN.
func (r *Request) Curl(endpoint, processID string, needsAuth bool) string {
	var b strings.Builder
	b.WriteString("curl -sS -X POST " + shellQuote(ExecutionURL(endpoint, processID)) + " \\\n")
	b.WriteString("  -H 'Content-Type: application/json' \\\n  -H 'Accept: application/json' \\\n")
	if r.Mode == ogcapi.AsyncExecute {
		b.WriteString("  -H 'Prefer: respond-async' \\\n")
	}
	if needsAuth {
		b.WriteString("  -H \"Authorization: Bearer $GEOJOBS_TOKEN\" \\\n")
	}
	b.WriteString("  --data-binary " + shellQuote(string(r.JSON())))
	return b.String()
}

// RunCommand is a shell snippet that writes the request to a file and runs it with
// `geojobs run`.
func (r *Request) RunCommand(endpoint, processID string) string {
	file := safeName(processID) + ".execute.json"
	var b strings.Builder
	b.WriteString("cat > " + shellQuote(file) + " <<'GEOJOBS_EOF'\n")
	b.Write(r.JSON())
	b.WriteString("\nGEOJOBS_EOF\n")
	b.WriteString("geojobs run --api-endpoint " + shellQuote(endpoint) + " \\\n")
	b.WriteString("  --process-id " + shellQuote(processID) + " \\\n")
	b.WriteString("  --execute-request " + shellQuote(file) + " \\\n")
	b.WriteString("  --output " + shellQuote("./"+safeName(processID)+"-results.json"))
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// safeName keeps the characters of s that are safe in a file name.
func safeName(s string) string {
	out := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
	out = strings.TrimLeft(out, ".")
	if out == "" {
		return "process"
	}
	return out
}

// checkJSON reports a syntax error, with its line and column, in a text that looks like
// JSON (it starts with { or [): YAML's parser would report it as a YAML error, which
// misleads someone who wrote JSON. Other texts are left to the YAML parser.
func checkJSON(body []byte) error {
	t := bytes.TrimLeft(body, " \t\r\n")
	if len(t) == 0 || t[0] != '{' && t[0] != '[' {
		return nil
	}
	var doc any
	err := json.Unmarshal(body, &doc)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end"):
		line, col := lineCol(body, int64(len(bytes.TrimRight(body, " \t\r\n"))))
		return fmt.Errorf("not valid JSON: line %d, column %d: the text ends before the JSON document does (a missing } or ]?)", line, col)
	case errors.As(err, &se):
		// Offset counts the bytes read, the offending one included.
		line, col := lineCol(body, se.Offset-1)
		return fmt.Errorf("not valid JSON: line %d, column %d: %s", line, col, strings.TrimPrefix(se.Error(), "json: "))
	}
	return fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// lineCol turns a byte offset into a 1-based line and column (in characters).
func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	if i := bytes.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	return line, utf8.RuneCount(before) + 1
}
