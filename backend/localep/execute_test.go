package localep

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

var pngBytes = []byte("\x89PNG\r\n\x1a\n-not-really-an-image-\x00\x01\x02")

// echoAll is an execute request with a value for every input kind of echo.
func echoAll() map[string]any {
	return map[string]any{
		"inputs": map[string]any{
			"stringInput":      "Value2",
			"enumInput":        "Value3",
			"numberInput":      3.25,
			"integerInput":     42,
			"booleanInput":     true,
			"dateTimeInput":    "2026-11-21T10:00:00Z",
			"arrayInput":       []int{1, 2, 3},
			"multiStringInput": []string{"a", "b"},
			"objectInput":      map[string]any{"value": map[string]any{"name": "n", "weight": 1.5}},
			"boundingBoxInput": map[string]any{"bbox": []float64{5, 45, 6, 46}, "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
			"geometryInput":    map[string]any{"value": map[string]any{"type": "Point", "coordinates": []float64{5.5, 45.5}}, "mediaType": "application/geo+json"},
			"binaryInput":      base64.StdEncoding.EncodeToString(pngBytes),
			"hrefInput":        "https://example.com/data.tif",
		},
		"response": "document",
	}
}

func TestEchoSyncDocument(t *testing.T) {
	e := newEnv(t, nil)
	req := echoAll()
	r := e.do("POST", "/processes/echo/execution", req)
	expectStatus(t, r, 200)
	if !strings.HasPrefix(r.header.Get("Link"), "<"+e.base+"/jobs/") || !strings.Contains(r.header.Get("Link"), `rel="monitor"`) {
		t.Errorf("Link %q", r.header.Get("Link"))
	}
	validate(t, "results.yaml", r.body)
	var got map[string]any
	r.json(t, &got)
	in := req["inputs"].(map[string]any)
	if len(got) != len(in) {
		t.Errorf("%d outputs for %d inputs: %s", len(got), len(in), r.body)
	}
	for id, v := range in {
		want, _ := json.Marshal(v)
		have, _ := json.Marshal(got[echoOutputID(id)])
		if string(want) != string(have) {
			t.Errorf("%s: echoed %s, want %s", id, have, want)
		}
	}
}

func TestEchoRawOne(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		in       map[string]any
		ct, body string
	}{
		{map[string]any{"stringInput": "hello"}, "text/plain; charset=utf-8", "hello"},
		{map[string]any{"integerInput": 7}, "text/plain; charset=utf-8", "7"},
		{map[string]any{"arrayInput": []int{4, 5}}, "application/json", "[4,5]"},
		{map[string]any{"binaryInput": base64.StdEncoding.EncodeToString(pngBytes)}, "image/png", string(pngBytes)},
		{map[string]any{"geometryInput": map[string]any{"value": map[string]any{"type": "Point", "coordinates": []int{1, 2}}}}, "application/geo+json", `{"coordinates":[1,2],"type":"Point"}`},
	} {
		r := e.do("POST", "/processes/echo/execution", map[string]any{"inputs": c.in}) // response defaults to raw
		expectStatus(t, r, 200)
		if ct := r.header.Get("Content-Type"); ct != c.ct || string(r.body) != c.body {
			t.Errorf("%v: %q %q, want %q %q", c.in, ct, r.body, c.ct, c.body)
		}
	}
}

func TestEchoRawMultipart(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("POST", "/processes/echo/execution", map[string]any{
		"inputs": map[string]any{"stringInput": "hello", "integerInput": 7, "booleanInput": false},
		"outputs": map[string]any{
			"stringOutput":  map[string]any{},
			"integerOutput": map[string]any{"transmissionMode": "value"},
			"booleanOutput": map[string]any{"transmissionMode": "reference"},
		},
	})
	expectStatus(t, r, 200)
	mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" || params["type"] == "" {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	mr := multipart.NewReader(strings.NewReader(string(r.body)), params["boundary"])
	parts := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		id := strings.Trim(p.Header.Get("Content-ID"), "<>")
		parts[id] = string(b)
		if id == "booleanOutput" {
			loc := p.Header.Get("Content-Location")
			if !strings.HasSuffix(loc, "/results/booleanOutput") || len(b) != 0 {
				t.Errorf("by-reference part: location %q body %q", loc, b)
			}
			ref := e.do("GET", loc, nil)
			if ref.status != 200 || string(ref.body) != "false" {
				t.Errorf("reference %s: %d %q", loc, ref.status, ref.body)
			}
		}
	}
	if parts["stringOutput"] != "hello" || parts["integerOutput"] != "7" || len(parts) != 3 {
		t.Errorf("parts %v", parts)
	}
}

func TestEchoRawReference(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("POST", "/processes/echo/execution", map[string]any{
		"inputs":  map[string]any{"stringInput": "hello", "numberInput": 1.5},
		"outputs": map[string]any{"stringOutput": map[string]any{"transmissionMode": "reference"}, "numberOutput": map[string]any{"transmissionMode": "reference"}},
	})
	expectStatus(t, r, 204)
	if len(r.body) != 0 {
		t.Errorf("204 with a body %q", r.body)
	}
	links := map[string]string{}
	for _, l := range r.header.Values("Link") {
		href := l[1:strings.Index(l, ">")]
		rel := l[strings.Index(l, `rel="`)+5:]
		rel = rel[:strings.Index(rel, `"`)]
		links[rel] = href
	}
	if links["monitor"] == "" || links["stringOutput"] == "" || links["numberOutput"] == "" {
		t.Fatalf("Link headers %v", r.header.Values("Link"))
	}
	if got := e.do("GET", links["stringOutput"], nil); string(got.body) != "hello" {
		t.Errorf("stringOutput by reference: %q", got.body)
	}
	// The document form gives links too.
	r = e.do("POST", "/processes/echo/execution", map[string]any{
		"inputs":   map[string]any{"stringInput": "hello"},
		"outputs":  map[string]any{"stringOutput": map[string]any{"transmissionMode": "reference"}},
		"response": "document",
	})
	expectStatus(t, r, 200)
	validate(t, "results.yaml", r.body)
	var doc map[string]ogcapi.Link
	r.json(t, &doc)
	if !strings.HasPrefix(doc["stringOutput"].Href, e.base+"/jobs/") {
		t.Errorf("document link %+v", doc["stringOutput"])
	}
}

func TestEchoAsync(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit("echo", echoAll())
	st := e.waitJob(id)
	if st.Status != ogcapi.StatusSuccessful || st.Type != "process" || st.ProcessID != "echo" || *st.Progress != 100 || st.Finished == nil {
		t.Fatalf("status %+v", st)
	}
	if l, ok := st.Links.Find(ogcapi.RelResults, ""); !ok || l.Href != e.base+"/jobs/"+id+"/results" {
		t.Errorf("results link %+v", l)
	}
	r := e.do("GET", "/jobs/"+id+"/results", nil)
	expectStatus(t, r, 200)
	validate(t, "results.yaml", r.body)
	var res map[string]any
	r.json(t, &res)
	if res["stringOutput"] != "Value2" || len(res) != 13 {
		t.Errorf("results %s", r.body)
	}
}

func TestExecuteValidation(t *testing.T) {
	e := newEnv(t, nil)
	for name, c := range map[string]struct {
		process string
		body    any
		detail  string
	}{
		"unknown input":     {"echo", map[string]any{"inputs": map[string]any{"nope": 1}}, `no input "nope"`},
		"wrong type":        {"echo", map[string]any{"inputs": map[string]any{"integerInput": "x"}}, `input "integerInput"`},
		"too big":           {"echo", map[string]any{"inputs": map[string]any{"integerInput": 5000}}, `input "integerInput"`},
		"bad enum":          {"echo", map[string]any{"inputs": map[string]any{"enumInput": "Value9"}}, `input "enumInput"`},
		"bad date":          {"echo", map[string]any{"inputs": map[string]any{"dateTimeInput": "yesterday"}}, `input "dateTimeInput"`},
		"bad base64":        {"echo", map[string]any{"inputs": map[string]any{"binaryInput": "***"}}, `input "binaryInput"`},
		"short bbox":        {"echo", map[string]any{"inputs": map[string]any{"boundingBoxInput": map[string]any{"bbox": []int{1, 2, 3}}}}, `input "boundingBoxInput"`},
		"swapped bbox":      {"synthetic-scene", map[string]any{"inputs": map[string]any{"aoi": map[string]any{"bbox": []float64{10.5, 47.8, 5.9, 45.8}}}}, `input "aoi": the minimum latitude 47.8 is above the maximum latitude 45.8`},
		"latitude 95":       {"echo", map[string]any{"inputs": map[string]any{"boundingBoxInput": map[string]any{"bbox": []float64{5, 45, 6, 95}}}}, `input "boundingBoxInput": latitude 95 is outside -90…90`},
		"bow-tie":           {"echo", map[string]any{"inputs": map[string]any{"geometryInput": map[string]any{"value": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}}, "mediaType": "application/geo+json"}}}, `input "geometryInput": the outer ring crosses itself at (0.5, 0.5)`},
		"object lacks name": {"echo", map[string]any{"inputs": map[string]any{"objectInput": map[string]any{"value": map[string]any{"weight": 1}}}}, `input "objectInput"`},
		"too many":          {"echo", map[string]any{"inputs": map[string]any{"multiStringInput": []string{"1", "2", "3", "4", "5", "6"}}}, `at most 5`},
		"array for one":     {"echo", map[string]any{"inputs": map[string]any{"stringInput": []string{"a", "b"}}}, `input "stringInput"`},
		"bad item":          {"echo", map[string]any{"inputs": map[string]any{"multiStringInput": []any{"a", 2}}}, `input "multiStringInput" value 2`},
		"missing required":  {"synthetic-scene", map[string]any{"inputs": map[string]any{}}, `input "aoi" is required`},
		"reference refused": {"countdown", map[string]any{"inputs": map[string]any{"seconds": map[string]any{"href": "http://x/y"}}}, `by reference`},
		"bad response":      {"echo", map[string]any{"response": "both"}, "response"},
		"unknown output":    {"echo", map[string]any{"outputs": map[string]any{"nope": map[string]any{}}}, `no output "nope"`},
		"bad transmission":  {"echo", map[string]any{"outputs": map[string]any{"stringOutput": map[string]any{"transmissionMode": "carrier-pigeon"}}}, "transmissionMode"},
	} {
		r := e.do("POST", "/processes/"+c.process+"/execution", c.body)
		ex := expectException(t, r, 400, ogcapi.ExcInvalidParameter)
		if !strings.Contains(ex.Detail, c.detail) {
			t.Errorf("%s: detail %q lacks %q", name, ex.Detail, c.detail)
		}
	}
	expectStatus(t, e.do("POST", "/processes/echo/execution", "<xml/>", "Content-Type", "application/xml"), 415)
	// The OGC test suite's "failed job" request.
	r := e.do("POST", "/processes/echo/execution", `{"invalid-execute-request":"true)"}`)
	expectStatus(t, r, 400)
	r = e.do("POST", "/processes/echo/execution", `{"inputs": [`)
	expectStatus(t, r, 400)
	// maxOccurs > 1 accepts a single value as well as an array.
	r = e.do("POST", "/processes/echo/execution", map[string]any{"inputs": map[string]any{"multiStringInput": "solo"}})
	expectStatus(t, r, 200)
	if string(r.body) != "solo" {
		t.Errorf("single value for maxOccurs 5: %q", r.body)
	}
	// No job was left behind by the refused requests.
	var list ogcapi.JobList
	e.do("GET", "/jobs?limit=1000", nil).json(t, &list)
	if len(list.Jobs) != 1 {
		t.Errorf("%d jobs after refused requests", len(list.Jobs))
	}
}

func TestFail(t *testing.T) {
	e := newEnv(t, nil)
	id := e.submit("fail", map[string]any{"inputs": map[string]any{"message": "disk on fire", "delay": 0.05}})
	st := e.waitJob(id)
	if st.Status != ogcapi.StatusFailed || st.Message != "disk on fire" {
		t.Fatalf("status %+v", st)
	}
	if l, ok := st.Links.Find(ogcapi.RelExceptions, ""); !ok || l.Href != e.base+"/jobs/"+id+"/results" {
		t.Errorf("exceptions link %+v", st.Links)
	}
	ex := expectException(t, e.do("GET", "/jobs/"+id+"/results", nil), 500, excJobFailed)
	if ex.Detail != "disk on fire" {
		t.Errorf("exception %+v", ex)
	}
	// Synchronously, the failure is the answer.
	r := e.do("POST", "/processes/fail/execution", map[string]any{})
	ex = expectException(t, r, 500, excJobFailed)
	if ex.Detail != defaultFailMessage || !strings.Contains(r.header.Get("Link"), "monitor") {
		t.Errorf("sync failure %+v, Link %q", ex, r.header.Get("Link"))
	}
}

func TestPreferAsyncOnSyncProcess(t *testing.T) {
	e := newEnv(t, nil)
	// countdown is async only: without Prefer it still runs asynchronously.
	r := e.do("POST", "/processes/countdown/execution", map[string]any{"inputs": map[string]any{"seconds": 0}})
	expectStatus(t, r, 201)
	if r.header.Get("Preference-Applied") != "" {
		t.Errorf("Preference-Applied without Prefer")
	}
	var st ogcapi.StatusInfo
	r.json(t, &st)
	if e.waitJob(st.JobID).Status != ogcapi.StatusSuccessful {
		t.Error("countdown of 0 s did not succeed")
	}
	r = e.do("POST", "/processes/echo/execution", map[string]any{}, "Prefer", "wait=5, respond-async")
	expectStatus(t, r, 201)
	if r.header.Get("Preference-Applied") != "respond-async" {
		t.Errorf("Preference-Applied %q", r.header.Get("Preference-Applied"))
	}
}
