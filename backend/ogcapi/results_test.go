package ogcapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"testing"
)

// answer is one canned HTTP answer.
type answer struct {
	status int
	header map[string][]string
	body   []byte
}

// serveAnswer serves a at every path and returns the endpoint.
func serveAnswer(t *testing.T, a answer) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range a.header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(a.status)
		w.Write(a.body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/ogc"
}

func multipartBody(t *testing.T, parts []map[string]string, bodies [][]byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i, h := range parts {
		mh := textproto.MIMEHeader{}
		for k, v := range h {
			mh.Set(k, v)
		}
		pw, err := mw.CreatePart(mh)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(bodies[i])
	}
	mw.Close()
	return "multipart/related; boundary=" + mw.Boundary(), buf.Bytes()
}

func TestSyncResultShapes(t *testing.T) {
	mpType, mpBody := multipartBody(t,
		[]map[string]string{
			{"Content-ID": "<stats>", "Content-Type": "application/json"},
			{"Content-ID": "<raster>", "Content-Type": "image/tiff; application=geotiff"},
			{"Content-ID": "<thumb>", "Content-Type": "image/png", "Content-Location": "thumbs/1.png"},
		},
		[][]byte{[]byte(`{"mean": 0.4}`), {0x49, 0x49, 0x2a, 0}, nil})

	type want struct {
		id, kind, json, href, mediaType string
		bytes                           []byte
	}
	cases := []struct {
		name    string
		a       answer
		req     Execute
		outputs []want
		jobURL  string
	}{
		{
			name: "document",
			a: answer{200, map[string][]string{"Content-Type": {"application/json"}}, []byte(`{
				"z_last_alphabetically": "a string",
				"qualified": {"value": {"k": 1}, "mediaType": "application/geo+json"},
				"ref": {"href": "out/x.tif", "type": "image/tiff"},
				"b64": {"value": "AAEC", "mediaType": "application/octet-stream", "encoding": "base64"},
				"many": [{"href": "https://s3.example/1"}, {"href": "https://s3.example/2"}],
				"n": 3.5}`)},
			req: Execute{Response: ResponseDocument},
			outputs: []want{
				{id: "z_last_alphabetically", kind: "json", json: `"a string"`},
				{id: "qualified", kind: "json", json: `{"k": 1}`, mediaType: "application/geo+json"},
				{id: "ref", kind: "link", href: "/ogc/processes/p/out/x.tif", mediaType: "image/tiff"},
				{id: "b64", kind: "json", json: `"AAEC"`, mediaType: "application/octet-stream", bytes: []byte{0, 1, 2}},
				{id: "many", kind: "array"},
				{id: "n", kind: "json", json: `3.5`},
			},
		},
		{
			name: "ZOO list of {id, value}",
			a:    answer{200, map[string][]string{"Content-Type": {"application/json;charset=UTF-8"}}, []byte(`[{"id":"stac_catalog","value":{"type":"FeatureCollection","features":[]}},{"id":"log","href":"https://zoo/log.txt","type":"text/plain"}]`)},
			outputs: []want{
				{id: "stac_catalog", kind: "json", json: `{"type":"FeatureCollection","features":[]}`},
				{id: "log", kind: "link", href: "https://zoo/log.txt", mediaType: "text/plain"},
			},
		},
		{
			name:    "raw one JSON output",
			a:       answer{200, map[string][]string{"Content-Type": {"application/geo+json"}}, []byte(`{"type":"FeatureCollection","features":[]}`)},
			req:     Execute{Response: ResponseRaw, Outputs: map[string]Output{"fc": {}}},
			outputs: []want{{id: "fc", kind: "json", json: `{"type":"FeatureCollection","features":[]}`, mediaType: "application/geo+json"}},
		},
		{
			name:    "raw one JSON output, nothing known",
			a:       answer{200, map[string][]string{"Content-Type": {"application/json"}}, []byte(`{"type":"Feature","properties":{}}`)},
			outputs: []want{{id: "", kind: "json", json: `{"type":"Feature","properties":{}}`, mediaType: "application/json"}},
		},
		{
			name:    "raw one binary output",
			a:       answer{200, map[string][]string{"Content-Type": {"image/tiff; application=geotiff"}}, []byte{0x49, 0x49, 0x2a, 0}},
			req:     Execute{Outputs: map[string]Output{"raster": {TransmissionMode: TransmissionValue}}},
			outputs: []want{{id: "raster", kind: "bytes", mediaType: "image/tiff; application=geotiff", bytes: []byte{0x49, 0x49, 0x2a, 0}}},
		},
		{
			// pygeoapi sends one output as {"id": <output id>, "value": …}; an object of
			// that shape that names no output asked for is the output's value, whole.
			name:    "raw object with id and value members that name no output",
			a:       answer{200, map[string][]string{"Content-Type": {"application/json"}}, []byte(`{"id": "r-17", "value": 5}`)},
			req:     Execute{Outputs: map[string]Output{"record": {}}},
			outputs: []want{{id: "record", kind: "json", json: `{"id": "r-17", "value": 5}`, mediaType: "application/json"}},
		},
		{
			name:    "raw pygeoapi {id, value} of the output asked for",
			a:       answer{200, map[string][]string{"Content-Type": {"application/json"}}, []byte(`{"id": "echo", "value": "Hello World"}`)},
			req:     Execute{Outputs: map[string]Output{"echo": {}}},
			outputs: []want{{id: "echo", kind: "json", json: `"Hello World"`}},
		},
		{
			// pygeoapi's managers wrap what the processor returned: {"outputs": [outputs]}.
			name: "pygeoapi document of several outputs",
			a:    answer{200, map[string][]string{"Content-Type": {"application/json"}}, []byte(`{"outputs": [{"b": "x", "a": 12345678901234567890}]}`)},
			req:  Execute{Response: ResponseDocument, Outputs: map[string]Output{"a": {}, "b": {}}},
			outputs: []want{
				{id: "b", kind: "json", json: `"x"`},
				{id: "a", kind: "json", json: `12345678901234567890`},
			},
		},
		{
			name:    "ZOO/ADES {outputs: [{id, value}]} answering a raw request",
			a:       answer{200, map[string][]string{"Content-Type": {"application/json;charset=UTF-8"}}, []byte(`{"outputs": [{"id": "wf_outputs", "value": {"inlineValue": "{\"StacCatalogUri\": \"s3://b/catalog.json\"}"}}]}`)},
			req:     Execute{Outputs: map[string]Output{"wf_outputs": {}}},
			outputs: []want{{id: "wf_outputs", kind: "json", json: `{"inlineValue": "{\"StacCatalogUri\": \"s3://b/catalog.json\"}"}`}},
		},
		{
			name:    "a process whose output is named outputs",
			a:       answer{200, map[string][]string{"Content-Type": {"application/json"}}, []byte(`{"outputs": [{"id": "x", "value": 1}]}`)},
			req:     Execute{Response: ResponseDocument, Outputs: map[string]Output{"outputs": {}}},
			outputs: []want{{id: "outputs", kind: "array"}},
		},
		{
			name: "multipart/related",
			a:    answer{200, map[string][]string{"Content-Type": {mpType}, "Link": {`<../jobs/j9>; rel="monitor"`}}, mpBody},
			outputs: []want{
				{id: "stats", kind: "json", json: `{"mean": 0.4}`, mediaType: "application/json"},
				{id: "raster", kind: "bytes", mediaType: "image/tiff; application=geotiff", bytes: []byte{0x49, 0x49, 0x2a, 0}},
				{id: "thumb", kind: "link", href: "/thumbs/1.png", mediaType: "image/png"},
			},
			jobURL: "/jobs/j9",
		},
		{
			name: "204 + Link headers",
			a: answer{204, map[string][]string{"Link": {
				`<https://s3.example/a.tif>; rel="raster"; type="image/tiff; application=geotiff", <https://s3.example/b.json>; rel=stats; type=application/json`,
				`<http://h/jobs/j7>; rel="monitor"; title="job"`,
			}}, nil},
			outputs: []want{
				{id: "raster", kind: "link", href: "https://s3.example/a.tif", mediaType: "image/tiff; application=geotiff"},
				{id: "stats", kind: "link", href: "https://s3.example/b.json", mediaType: "application/json"},
			},
			jobURL: "http://h/jobs/j7",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ep := serveAnswer(t, tc.a)
			c, _ := newTestClient(t, ep)
			ex, err := c.Execute(context.Background(), "p", &tc.req, ExecOptions{Mode: Sync})
			if err != nil {
				t.Fatal(err)
			}
			if ex.Async() || ex.Results == nil {
				t.Fatalf("execution = %+v, want sync results", ex)
			}
			if len(ex.Results.Outputs) != len(tc.outputs) {
				t.Fatalf("outputs = %+v", ex.Results.Outputs)
			}
			for i, w := range tc.outputs {
				o := ex.Results.Outputs[i]
				if o.ID != w.id || o.Value.Kind.String() != w.kind {
					t.Errorf("output %d = %s/%s, want %s/%s", i, o.ID, o.Value.Kind, w.id, w.kind)
					continue
				}
				if w.json != "" {
					j, ok := o.Value.JSON()
					if !ok || !jsonEqual(t, j, []byte(w.json)) {
						t.Errorf("%s JSON = %s, want %s", w.id, j, w.json)
					}
				}
				if w.href != "" {
					h, ok := o.Value.Href()
					if !ok || !bytes.HasSuffix([]byte(h), []byte(w.href)) || h[:4] != "http" {
						t.Errorf("%s href = %q, want …%s (absolute)", w.id, h, w.href)
					}
				}
				if o.Value.MediaType != w.mediaType {
					t.Errorf("%s media type = %q, want %q", w.id, o.Value.MediaType, w.mediaType)
				}
				if w.bytes != nil {
					if b, err := o.Value.Data(); err != nil || !bytes.Equal(b, w.bytes) {
						t.Errorf("%s data = %v, %v", w.id, b, err)
					}
				}
			}
			if tc.jobURL != "" && !bytes.HasSuffix([]byte(ex.JobURL), []byte(tc.jobURL)) {
				t.Errorf("job URL = %q, want …%s", ex.JobURL, tc.jobURL)
			}
			if tc.jobURL == "" && ex.JobURL != "" {
				t.Errorf("job URL = %q, want none", ex.JobURL)
			}
		})
	}
}

func TestResultsArrayHelpers(t *testing.T) {
	v := classifyOutput(json.RawMessage(`[{"href":"https://a"},{"value":1},{"href":"https://b"}]`))
	if v.Kind != KindArray || len(v.Items) != 3 {
		t.Fatalf("v = %+v", v)
	}
	if hs := v.Hrefs(); len(hs) != 2 || hs[1].Href != "https://b" {
		t.Errorf("hrefs = %+v", hs)
	}
	if _, ok := v.JSON(); ok {
		t.Error("an array with links is not JSON")
	}
	nums := classifyOutput(json.RawMessage(`[1, {"value": 2}]`))
	if j, ok := nums.JSON(); !ok || string(j) != `[1,2]` {
		t.Errorf("JSON of array = %s %v", j, ok)
	}
	if _, err := v.Data(); err == nil {
		t.Error("Data of an array must fail")
	}
	if _, err := (OutputValue{Kind: KindJSON, Value: json.RawMessage(`"!!"`), Encoding: "base64"}).Data(); err == nil {
		t.Error("bad base64 must fail")
	}
}

func TestAsyncAnswerShapes(t *testing.T) {
	status := []byte(`{"jobID":"j1","status":"accepted","type":"process","links":[{"rel":"monitor","type":"application/json","href":"jobs/j1"}]}`)
	cases := []struct {
		name   string
		a      answer
		jobURL string // suffix
		jobID  string
		status string
	}{
		{"201 + absolute Location", answer{201, map[string][]string{"Location": {"http://elsewhere.example/jobs/j1"}, "Content-Type": {"application/json"}}, status}, "http://elsewhere.example/jobs/j1", "j1", "accepted"},
		{"200 + Location + statusInfo (maintenance draft)", answer{200, map[string][]string{"Location": {"/ogc/jobs/j1"}, "Content-Type": {"application/json"}}, status}, "/ogc/jobs/j1", "j1", "accepted"},
		{"201 without Location: monitor link", answer{201, map[string][]string{"Content-Type": {"application/json"}}, status}, "/jobs/j1", "j1", "accepted"},
		{"201 with bad Location: body links", answer{201, map[string][]string{"Location": {"::bad"}, "Content-Type": {"application/json"}}, status}, "/jobs/j1", "j1", "accepted"},
		{"201 only jobID", answer{201, map[string][]string{"Content-Type": {"application/json"}}, []byte(`{"id":"j2","status":"running"}`)}, "/ogc/jobs/j2", "j2", "running"},
		{"201 empty body", answer{201, map[string][]string{"Location": {"jobs/j3"}}, nil}, "/ogc/processes/p/jobs/j3", "j3", "accepted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestClient(t, serveAnswer(t, tc.a))
			ex, err := c.Execute(context.Background(), "p", &Execute{}, ExecOptions{Mode: Sync})
			if err != nil {
				t.Fatal(err)
			}
			if !ex.Async() || ex.Results != nil {
				t.Fatalf("execution = %+v", ex)
			}
			if !bytes.HasSuffix([]byte(ex.JobURL), []byte(tc.jobURL)) || ex.JobURL[:4] != "http" {
				t.Errorf("job URL = %q, want …%s", ex.JobURL, tc.jobURL)
			}
			if ex.Job.JobID != tc.jobID || ex.Job.Status != tc.status {
				t.Errorf("job = %+v", ex.Job)
			}
		})
	}
	// 201 that names no job at all is a bad response.
	c, _ := newTestClient(t, serveAnswer(t, answer{201, nil, []byte("created")}))
	if _, err := c.Execute(context.Background(), "p", &Execute{}, ExecOptions{Mode: Sync}); CodeOf(err) != BadResponse {
		t.Errorf("201 without job: %v", err)
	}
}

func TestJobResultsShapes(t *testing.T) {
	// Results of a job follow the original request: here 204 + Link headers.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/jobs/a/results":
			w.Header().Add("Link", `<https://s3.example/out.tif>; rel="result"; type="image/tiff"`)
			w.WriteHeader(204)
		case "/jobs/b/results":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "plain text output")
		case "/jobs/c/results":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"result": [1, 2`)
		case "/jobs/d/results": // pygeoapi, response=document, a process with two outputs
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"outputs": [{"area_km2": 12.5, "label": "lake"}]}`)
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(500)
			fmt.Fprint(w, `{"type":"InvalidParameterValue","title":"the job failed","detail":"band nir08 not found"}`)
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	ctx := context.Background()
	res, err := c.Results(ctx, "a")
	if err != nil || len(res.Outputs) != 1 || res.Outputs[0].ID != "result" || res.Outputs[0].Value.Link.Href != "https://s3.example/out.tif" {
		t.Fatalf("204 results = %+v, %v", res, err)
	}
	res, err = c.ResultsWith(ctx, srv.URL+"/jobs/b", ResultsHint{OutputIDs: []string{"txt"}})
	if err != nil || res.Outputs[0].ID != "txt" || string(res.Outputs[0].Value.Bytes) != "plain text output" {
		t.Fatalf("raw results = %+v, %v", res, err)
	}
	// Read without a hint (the app's results service does not pass one).
	res, err = c.Results(ctx, "d")
	if err != nil || len(res.Outputs) != 2 || res.Outputs[0].ID != "area_km2" || string(res.Outputs[0].Value.Value) != "12.5" || res.Outputs[1].ID != "label" {
		t.Fatalf("pygeoapi document results = %+v, %v", res, err)
	}
	if _, err := c.Results(ctx, "c"); CodeOf(err) != BadResponse {
		t.Errorf("truncated JSON: %v", err)
	}
	_, err = c.Results(ctx, "failed")
	if CodeOf(err) != InvalidInput {
		t.Errorf("failed job results: %v (code %v)", err, CodeOf(err))
	}
	if want := "GET /jobs/failed/results: 500 invalid input: band nir08 not found"; err.Error() != want {
		t.Errorf("error = %q, want %q", err.Error(), want)
	}
}

func TestParseLinkHeaders(t *testing.T) {
	ls := parseLinkHeaders([]string{
		`<https://a/1>; rel="out1"; type="image/png"; title="A, B", <https://a/2>;rel=out2`,
		`garbage, <https://a/3>; rel="http://www.opengis.net/def/rel/ogc/1.0/results"`,
		`<https://a/4>; rel="monitor", <https://a/5>; anchor="#out5"; rel="http://example.com/rel/x"`,
		`<https://a/6>; id=out6; rel="item"`,
	})
	// "garbage" stops the parse of its header value: the rest of that value is skipped.
	if len(ls) != 5 {
		t.Fatalf("links = %+v", ls)
	}
	got := map[string]string{}
	for _, l := range ls {
		got[l.Href] = l.outputID()
	}
	want := map[string]string{"https://a/1": "out1", "https://a/2": "out2", "https://a/4": "", "https://a/5": "out5", "https://a/6": "out6"}
	for h, id := range want {
		if got[h] != id {
			t.Errorf("%s: id %q, want %q (all: %v)", h, got[h], id, got)
		}
	}
	if ls[0].Title != "A, B" || ls[0].Type != "image/png" {
		t.Errorf("first = %+v", ls[0])
	}
}

func TestDataAs(t *testing.T) {
	bin := OutputDescription{Schema: json.RawMessage(`{"type":"string","contentEncoding":"base64","contentMediaType":"image/png"}`)}
	txt := OutputDescription{Schema: json.RawMessage(`{"type":"string"}`)}
	v := OutputValue{Kind: KindJSON, Value: json.RawMessage(`"iVBORw=="`)}
	if d, err := v.DataAs(bin); err != nil || string(d) != "\x89PNG" {
		t.Errorf("binary schema: %q, %v", d, err)
	}
	if d, err := v.DataAs(txt); err != nil || string(d) != "iVBORw==" {
		t.Errorf("string schema: %q, %v", d, err)
	}
	if _, err := (OutputValue{Kind: KindJSON, Value: json.RawMessage(`"%%"`)}).DataAs(bin); err == nil {
		t.Error("bad base64 must fail")
	}
}

func BenchmarkParseResultsDocument(b *testing.B) {
	body, err := os.ReadFile("testdata/zoo/job-results.stac_catalog-inline.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := parseResultsDocument(body, ResultsHint{}); err != nil {
			b.Fatal(err)
		}
	}
}
