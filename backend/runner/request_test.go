package runner

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name, doc string
		pid       string
		want      string // the execute request as JSON
	}{
		{"inputs only", `{"inputs": {"a": 1, "b": {"value": {"x": 1}}}}`, "", `{"inputs":{"a":1,"b":{"value":{"x":1}}}}`},
		{"whole request", `{"inputs": {"a": "x"}, "outputs": {"o": {"transmissionMode": "reference"}}, "response": "document",
			"subscriber": {"successUri": "http://cb/ok"}}`, "",
			`{"inputs":{"a":"x"},"outputs":{"o":{"transmissionMode":"reference"}},"response":"document","subscriber":{"successUri":"http://cb/ok"}}`},
		{"empty object", `{}`, "", `{}`},
		{"big numbers kept", `{"inputs": {"n": 12345678901234567890, "f": 0.1}}`, "", `{"inputs":{"f":0.1,"n":12345678901234567890}}`},
		{"yaml", "inputs:\n  aoi: \"-121.399,39.834\"\n  bands: [green, nir08]\n  when: 2023-10-14T18:00:00\n  n: 3\n", "",
			`{"inputs":{"aoi":"-121.399,39.834","bands":["green","nir08"],"n":3,"when":"2023-10-14T18:00:00"}}`},
		{"eoap shape", "process_id: water-bodies\ninputs:\n  epsg: \"EPSG:4326\"\n", "water-bodies", `{"inputs":{"epsg":"EPSG:4326"}}`},
		{"eoap record with properties", `{"process_id": "p", "inputs": {"a": 1}, "properties": null}`, "p", `{"inputs":{"a":1}}`},
		{"eoap params file (only execute_request counts)", "processes_api_endpoint: {url: {value: http://x/}}\nexecute_request:\n  process_id: p\n  inputs: {a: 1}\n", "p", `{"inputs":{"a":1}}`},
		{"json with BOM", "\ufeff{\"inputs\":{}}", "", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRequest([]byte(tt.doc))
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			if r.ProcessID != tt.pid {
				t.Errorf("process id %q, want %q", r.ProcessID, tt.pid)
			}
			got, _ := json.Marshal(r.Execute)
			if string(got) != tt.want {
				t.Errorf("execute %s\nwant    %s", got, tt.want)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"empty", "  \n", "empty"},
		{"array", `[1,2]`, "must be an object"},
		{"scalar yaml", "hello", "must be an object"},
		{"bare inputs", `{"aoi": "1,2,3,4", "bands": ["a"]}`, `unknown member(s) "aoi", "bands"`},
		{"bad yaml", "inputs: [unclosed", "neither JSON nor YAML"},
		{"inputs not object", `{"inputs": [1]}`, `"inputs" must be an object`},
		{"outputs not object", `{"outputs": "all"}`, `"outputs" must be an object`},
		{"bad response", `{"response": "full"}`, `"response" must be "raw" or "document"`},
		{"bad transmission", `{"outputs": {"o": {"transmissionMode": "ref"}}}`, `output "o": "transmissionMode"`},
		{"empty process_id", `{"process_id": " "}`, `"process_id" must be a non-empty string`},
		{"execute_request not object", `{"execute_request": 3}`, `"execute_request" must be an object`},
		{"two JSON values", `{"inputs":{}} {"inputs":{}}`, "more than one value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRequest([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadRequest(t *testing.T) {
	fs := afero.NewMemMapFs()
	_, err := LoadRequest(fs, "/nope.json")
	wantError(t, err, ExitUsage, "request file /nope.json does not exist")

	afero.WriteFile(fs, "/bad.json", []byte(`{"inputs": 1`), 0o644)
	_, err = LoadRequest(fs, "/bad.json")
	wantError(t, err, ExitUsage, "request file /bad.json: ")

	afero.WriteFile(fs, "/big.json", []byte(`{"inputs":{"a":"`+strings.Repeat("x", maxRequestBytes)+`"}}`), 0o644)
	_, err = LoadRequest(fs, "/big.json")
	wantError(t, err, ExitUsage, "larger than 16 MiB")

	afero.WriteFile(fs, "/ok.yaml", []byte("process_id: echo\ninputs: {stringInput: hi}\n"), 0o644)
	r, err := LoadRequest(fs, "/ok.yaml")
	if err != nil || r.ProcessID != "echo" || string(r.Execute.Inputs["stringInput"]) != `"hi"` {
		t.Errorf("LoadRequest: %+v, %v", r, err)
	}
}

func TestOptionsErrors(t *testing.T) {
	req := mustParse(t, `{"process_id": "a"}`)
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no endpoint", Options{Request: req, Output: "o.json"}, "no API endpoint"},
		{"bad endpoint", Options{Endpoint: "ftp://x", Request: req, Output: "o.json"}, "want an http or https URL"},
		{"credentials in URL", Options{Endpoint: "https://user:pw@x/", Request: req, Output: "o.json"}, "API endpoint: "},
		{"no process", Options{Endpoint: "http://x/", Request: mustParse(t, `{}`), Output: "o.json"}, "no process id"},
		{"process ids differ", Options{Endpoint: "http://x/", ProcessID: "b", Request: req, Output: "o.json"}, `--process-id "b" and the request file's process_id "a" differ`},
		{"no output", Options{Endpoint: "http://x/", Request: req}, "no output file"},
		{"no request", Options{Endpoint: "http://x/", Output: "o.json"}, "no execute request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runWith(t, tt.o)
			e := wantError(t, err, ExitUsage, tt.want)
			if strings.Contains(e.Error(), "pw") {
				t.Errorf("error shows the URL's password: %v", e)
			}
		})
	}
}
