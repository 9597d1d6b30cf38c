package webapp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// runLocal submits a built-in process with inputs (JSON) and waits for it to end with
// its results stored; it returns the job id.
func runLocal(t *testing.T, s *stack, processID, inputs string, aoi json.RawMessage) string {
	t.Helper()
	ctx := context.Background()
	p, err := s.app.Processes.Process(ctx, store.LocalEndpoint, processID)
	if err != nil {
		t.Fatal(err)
	}
	req := &ogcapi.Execute{}
	if err := json.Unmarshal([]byte(inputs), &req.Inputs); err != nil {
		t.Fatal(err)
	}
	j, err := s.app.Monitor.Submit(ctx, jobs.Submission{EndpointID: store.LocalEndpoint, ProcessID: processID, Process: p, Request: req, AOI: aoi})
	if err != nil {
		t.Fatal(err)
	}
	s.waitJob(j.ID, ended)
	return j.ID
}

// echoInputs fill every kind of input echo has.
const echoInputs = `{"stringInput": "hello world", "enumInput": "Value2", "integerInput": 42, "numberInput": 3.14,
	"booleanInput": true, "dateTimeInput": "2026-12-05T10:00:00Z", "arrayInput": [1, 2, 3],
	"multiStringInput": ["a", "b"], "objectInput": {"value": {"name": "n", "weight": 2}},
	"boundingBoxInput": {"bbox": [5.9, 45.8, 10.5, 47.8]},
	"geometryInput": {"value": {"type": "Point", "coordinates": [7, 46]}, "mediaType": "application/geo+json"},
	"binaryInput": {"value": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "mediaType": "image/png", "encoding": "base64"},
	"hrefInput": "https://example.org/data.tif"}`

// outputRows reads the Outputs card: output id → "kind|type|value text|note".
const outputRowsJS = `(() => {
	const rows = {};
	for (const tr of document.querySelectorAll('#job-outputs [data-testid=output]')) {
		const v = tr.querySelector('[data-testid=output-literal], pre, [data-testid=output-missing], [data-testid=output-download]');
		const note = tr.querySelector('[data-testid=output-note]');
		rows[tr.dataset.output] = [tr.dataset.kind, tr.dataset.type, v ? v.textContent.trim() : '', note ? note.textContent.trim() : ''].join('|');
	}
	return rows;
})()`

// TestBrowserOutputs: echo's results page and job page show all its outputs with their
// types (F-01, F-02); countdown shows its value output; the bbox and the geometry are on
// the map.
func TestBrowserOutputs(t *testing.T) {
	s := start(t)
	echo := runLocal(t, s, "echo", echoInputs, nil)
	countdown := runLocal(t, s, "countdown", `{"seconds": 0.2, "step": 0.1}`, nil)
	ctx, console := browser(t)
	run := steps(ctx, t)
	var rows map[string]string
	run("echo's results",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`main`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/jobs/"+echo+"/results"),
		chromedp.WaitVisible(`[data-testid=outputs]`, chromedp.ByQuery),
		chromedp.ActionFunc(func(context.Context) error { rows = nil; return nil }),
		chromedp.Evaluate(outputRowsJS, &rows),
	)
	want := map[string]string{
		"stringOutput":      `literal|string|hello world|`,
		"enumOutput":        `literal|string|Value2|`,
		"integerOutput":     `literal|integer|42|Note: the server sent the text "42"; shown as the integer the process description declares.`,
		"numberOutput":      `literal|number|3.14|Note: the server sent the text "3.14"; shown as the number the process description declares.`,
		"booleanOutput":     `literal|boolean|true|Note: the server sent the text "true"; shown as the boolean the process description declares.`,
		"dateTimeOutput":    `literal|string|2026-12-05T10:00:00Z|`,
		"arrayOutput":       "json|array|[\n  1,\n  2,\n  3\n]|",
		"objectOutput":      "json|object|{\n  \"name\": \"n\",\n  \"weight\": 2\n}|",
		"boundingBoxOutput": "bbox|bounding box|{\n  \"bbox\": [\n    5.9,\n    45.8,\n    10.5,\n    47.8\n  ]\n}|",
		"geometryOutput":    "geometry|GeoJSON Point|{\n  \"coordinates\": [\n    7,\n    46\n  ],\n  \"type\": \"Point\"\n}|",
		"binaryOutput":      `file|image/png|Download image/png|`,
		"hrefOutput":        `literal|string|https://example.org/data.tif|`,
	}
	for id, w := range want {
		if rows[id] != w {
			t.Errorf("%s:\n got %q\nwant %q", id, rows[id], w)
		}
	}
	if len(rows) != 13 { // multiStringOutput: two strings, sent as two parts
		t.Errorf("%d outputs shown: %v", len(rows), rows)
	}
	// The card's heading and count sit inside it, as the item cards' do (they
	// touched its edges: the flush card has no padding for its table's sake).
	var inset []float64
	run("the outputs card's heading is inset",
		chromedp.Evaluate(`(() => { const c = document.querySelector("[data-testid=outputs]").getBoundingClientRect();
			const h = document.querySelector("#outputs-title").getBoundingClientRect();
			const n = document.querySelector("[data-testid=outputs] .card-head .muted").getBoundingClientRect();
			return [h.left - c.left, h.top - c.top, c.right - n.right]; })()`, &inset),
	)
	if len(inset) != 3 || inset[0] < 12 || inset[1] < 8 || inset[2] < 12 {
		t.Errorf("the outputs card's heading is %v px from its left, top and right edges, want ≥ 12, 8, 12", inset)
	}
	var pngURL string
	run("the binary output's link", chromedp.AttributeValue(`[data-output=binaryOutput] [data-testid=output-download]`, "href", &pngURL, nil, chromedp.ByQuery))
	if r := s.get(pngURL); r.status != http.StatusOK || !strings.HasPrefix(r.body, "\x89PNG") || r.header.Get("Content-Type") != "image/png" {
		t.Errorf("binary output %s: %d %q %.8q", pngURL, r.status, r.header.Get("Content-Type"), r.body)
	}
	var count string
	run("the bbox and the geometry are on the map",
		chromedp.WaitVisible(`gj-footprints-map[data-count]`, chromedp.ByQuery),
		chromedp.AttributeValue(`gj-footprints-map`, "data-count", &count, nil, chromedp.ByQuery),
	)
	console.check(t)
	if count != "2" {
		t.Errorf("the map shows %q features, want the bbox and the point", count)
	}
	run("screenshot", screenshot(screenshotDir(t), "results-outputs"))

	run("echo's job page loads its outputs",
		chromedp.Navigate(s.base+"/jobs/"+echo),
		chromedp.WaitVisible(`#job-outputs [data-testid=output][data-output=integerOutput]`, chromedp.ByQuery),
		chromedp.ActionFunc(func(context.Context) error { rows = nil; return nil }),
		chromedp.Evaluate(outputRowsJS, &rows),
	)
	if rows["integerOutput"] != want["integerOutput"] || rows["booleanOutput"] != want["booleanOutput"] || len(rows) != 13 {
		t.Errorf("job page outputs: %v", rows)
	}
	var inputsOnMap string
	run("the job page draws both geometric inputs",
		chromedp.WaitVisible(`[data-testid=job-inputs-map][data-count]`, chromedp.ByQuery),
		chromedp.AttributeValue(`[data-testid=job-inputs-map]`, "data-count", &inputsOnMap, nil, chromedp.ByQuery),
	)
	if inputsOnMap != "2" {
		t.Errorf("job page map: %q features, want the bounding box and the geometry", inputsOnMap)
	}

	run("countdown's results",
		chromedp.Navigate(s.base+"/jobs/"+countdown+"/results"),
		chromedp.WaitVisible(`[data-testid=outputs]`, chromedp.ByQuery),
		chromedp.ActionFunc(func(context.Context) error { rows = nil; return nil }),
		chromedp.Evaluate(outputRowsJS, &rows),
	)
	if rows["message"] != "literal|string|counted down 0.2 seconds|" || len(rows) != 1 {
		// (rows were read from the page now shown: countdown's)
		t.Errorf("countdown outputs: %v", rows)
	}
	var downloads int
	run("no download controls without files", chromedp.Evaluate(`document.querySelectorAll('[data-testid=download-all]').length`, &downloads))
	if downloads != 0 {
		t.Error("countdown's results offer to download files it does not have")
	}
}

// TestBrowserPygeoapiResults: pygeoapi's hello-world results, served from the recorded
// payloads, show "Hello …" on the results page.
func TestBrowserPygeoapiResults(t *testing.T) {
	s := start(t)
	dir := "../../backend/ogcapi/testdata/pygeoapi/"
	read := func(name string) []byte {
		b, err := os.ReadFile(dir + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const remoteID = "b4d1c0de-2a1f-11ef-9d5b-0242ac120002"
	files := map[string][]byte{
		"/":                              []byte(`{"links":[{"rel":"conformance","href":"/conformance"},{"rel":"processes","href":"/processes"}]}`),
		"/conformance":                   read("conformance.json"),
		"/processes/hello-world":         read("process-description.hello-world.json"),
		"/jobs/" + remoteID:              read("job-status.successful.0.20.json"),
		"/jobs/" + remoteID + "/results": read("job-results.hello-world.json"),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p != "/" {
			p = strings.TrimSuffix(p, "/")
		}
		b, ok := files[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	if _, err := s.app.Store.CreateEndpoint(ctx, store.Endpoint{ID: "pygeoapi", Title: "pygeoapi", URL: srv.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	j, err := s.app.Store.CreateJob(ctx, store.NewJob{EndpointID: "pygeoapi", ProcessID: "hello-world", Status: ogcapi.StatusSuccessful,
		RemoteID: remoteID, URL: srv.URL + "/jobs/" + remoteID})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.app.Store.SetResults(ctx, j.ID, json.RawMessage(`{}`), "", time.Now()); err != nil {
		t.Fatal(err)
	}
	bctx, console := browser(t)
	run := steps(bctx, t)
	var rows map[string]string
	var title string
	run("hello-world's results",
		chromedp.Navigate(s.srv.LaunchURL()),
		chromedp.WaitVisible(`main`, chromedp.ByQuery),
		chromedp.Navigate(s.base+"/jobs/"+j.ID+"/results"),
		chromedp.WaitVisible(`[data-testid=outputs] [data-output=echo]`, chromedp.ByQuery),
		chromedp.ActionFunc(func(context.Context) error { rows = nil; return nil }),
		chromedp.Evaluate(outputRowsJS, &rows),
		chromedp.Text(`[data-output=echo] th strong`, &title, chromedp.ByQuery),
	)
	console.check(t)
	got := rows["echo"]
	if !strings.HasPrefix(got, "literal|string|Hello World! An optional message.|") || !strings.Contains(got, "declares an object") {
		t.Errorf("hello-world output: %q", got)
	}
	if !strings.EqualFold(title, "Hello, world") {
		t.Errorf("output title %q, want the description's", title)
	}
}

// TestFailedJobHasNoResults (F-06): a failed job offers no Results link, and its
// results address says it failed and leads back to the job.
func TestFailedJobHasNoResults(t *testing.T) {
	s := start(t)
	id := runLocal(t, s, "fail", `{}`, nil)
	page := s.get("/jobs/" + id)
	expect(t, page, http.StatusOK)
	if n := page.find("[data-testid=results], [data-testid=results-link]").Length(); n != 0 {
		t.Errorf("a failed job shows %d links to its results", n)
	}
	r := s.get("/jobs/" + id + "/results")
	if r.status != http.StatusNotFound {
		t.Fatalf("status %d", r.status)
	}
	if h := r.find("[data-testid=error-page] h1").Text(); h != "The job failed" {
		t.Errorf("title %q", h)
	}
	if strings.Contains(r.body, "yet") {
		t.Error(`a failed job's results say "yet"`)
	}
	if a := r.find("[data-testid=error-link]"); a.AttrOr("href", "") != "/jobs/"+id || a.Text() != "Back to the job" {
		t.Errorf("link %q %q", a.AttrOr("href", ""), a.Text())
	}
}
