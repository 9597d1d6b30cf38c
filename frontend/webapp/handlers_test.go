package webapp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

func TestRootAndNotFound(t *testing.T) {
	s := start(t)
	r := s.get("/")
	expect(t, r, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/endpoints" {
		t.Errorf("/ redirects to %q", loc)
	}
	r = s.get("/no/such/page")
	expect(t, r, http.StatusNotFound)
	if r.find("[data-testid=error-page]").Length() != 1 || r.find("nav[aria-label=Main]").Length() != 1 {
		t.Error("404 is not a readable page in the shell")
	}
}

func TestEndpointsPages(t *testing.T) {
	s := start(t)
	r := s.get("/endpoints")
	expect(t, r, http.StatusOK)
	local := r.find(`[data-testid=endpoint][data-endpoint=local]`)
	if local.Length() != 1 || !strings.Contains(local.Find(".url").Text(), "/local/ogcapi/") {
		t.Fatalf("the built-in endpoint is not listed with its URL")
	}
	if local.Find("[data-testid=remove-endpoint]").Length() != 0 {
		t.Error("the built-in endpoint offers Remove")
	}
	if r.find(`nav a[aria-current=page]`).Text() != "Endpoints" {
		t.Error("navigation does not mark Endpoints")
	}
	// An HTMX navigation gets the main region only; a full load the whole page.
	h := s.get("/endpoints", htmx("main"))
	if strings.Contains(h.body, "<html") || !strings.HasPrefix(strings.TrimSpace(h.body), `<main id="main"`) {
		t.Errorf("HTMX answer is not the main region: %.120s", h.body)
	}

	// Connection test of the built-in endpoint: a fragment for HTMX, the page on a full load.
	r = s.get("/endpoints/local/test")
	expect(t, r, http.StatusOK)
	if r.find("[data-testid=report][data-ok=true]").Length() != 1 || r.find("[data-testid=capability][data-supported=true]").Length() < 5 {
		t.Fatalf("local test report: %s", r.find("#endpoint-test").Text())
	}
	h = s.get("/endpoints/local/test", htmx("endpoint-test"))
	if !strings.HasPrefix(strings.TrimSpace(h.body), `<div id="endpoint-test">`) {
		t.Errorf("fragment answer: %.100s", h.body)
	}

	// Add, refuse bad values (keeping them), edit, remove.
	bad := s.postForm("/endpoints", url.Values{"title": {"Broken"}, "url": {"ftp://nowhere"}, "headers": {"X-Tenant: a"}})
	expect(t, bad, http.StatusUnprocessableEntity)
	if bad.find("[data-testid=error]").Length() != 1 || bad.find("#ep-title").AttrOr("value", "") != "Broken" {
		t.Error("refused values are not shown back with the reason")
	}
	secret := s.postForm("/endpoints", url.Values{"title": {"Leaky"}, "url": {"https://zoo.example.com/"}, "headers": {"X-Api-Key: abc"}})
	expect(t, secret, http.StatusUnprocessableEntity)
	if !strings.Contains(secret.find("[data-testid=error]").Text(), "keystore") {
		t.Errorf("secret header: %s", secret.find("[data-testid=error]").Text())
	}
	c := s.postForm("/endpoints", url.Values{"title": {"ACME ZOO"}, "url": {"https://zoo.example.com/acme/ogc-api/"}, "credential_key": {"acme"}})
	expect(t, c, http.StatusSeeOther)
	if loc := c.header.Get("Location"); loc != "/endpoints/acme-zoo/test?saved=1" {
		t.Errorf("after create: %q", loc)
	}
	// HTMX form posts get HX-Location instead of a redirect.
	c2 := s.postForm("/endpoints", url.Values{"title": {"Other"}, "url": {"https://other.example.com/"}}, htmx(""))
	if c2.status != http.StatusNoContent || !strings.Contains(c2.header.Get("HX-Location"), "/endpoints/other/test") {
		t.Errorf("HTMX create: %d %q", c2.status, c2.header.Get("HX-Location"))
	}
	edit := s.get("/endpoints/acme-zoo/edit")
	if edit.find("#ep-key option[selected]").AttrOr("value", "") != "acme" {
		t.Error("edit form does not show the credential key")
	}
	u := s.postForm("/endpoints/acme-zoo", url.Values{"title": {"ACME"}, "url": {"https://zoo.example.com/acme/ogc-api/"}})
	expect(t, u, http.StatusSeeOther)
	if e, _ := s.app.Store.Endpoint(context.Background(), "acme-zoo"); e.Title != "ACME" || e.CredentialKey != "" {
		t.Errorf("after update: %+v", e)
	}
	expect(t, s.postForm("/endpoints/other/delete", nil), http.StatusSeeOther)
	if _, err := s.app.Store.Endpoint(context.Background(), "other"); err == nil {
		t.Error("endpoint not removed")
	}
	del := s.postForm("/endpoints/local/delete", nil)
	expect(t, del, http.StatusConflict)
	if !strings.Contains(del.find("[data-testid=error-page]").Text(), "built-in") {
		t.Errorf("deleting the built-in endpoint: %s", del.find("main").Text())
	}
	expect(t, s.get("/endpoints/nope/edit"), http.StatusNotFound)
}

func TestTestUnsavedEndpoint(t *testing.T) {
	s := start(t)
	r := s.postForm("/endpoints/test", url.Values{"title": {"Local again"}, "url": {s.app.LocalURL}}, htmx("form-test"))
	expect(t, r, http.StatusOK)
	// The built-in endpoint wants the token, which this unsaved endpoint lacks.
	if r.find("[data-testid=report][data-problem=unauthorized]").Length() != 1 {
		t.Errorf("unsaved test: %s", r.body)
	}
	if !strings.HasPrefix(strings.TrimSpace(r.body), `<div id="form-test"`) {
		t.Errorf("not the fragment: %.80s", r.body)
	}
}

func TestProcessesPages(t *testing.T) {
	s := start(t)
	r := s.get("/processes?endpoint=local")
	expect(t, r, http.StatusOK)
	if n := r.find("[data-testid=process]").Length(); n < 4 {
		t.Fatalf("%d processes listed", n)
	}
	if r.find("[data-testid=deploy-link]").Length() != 1 {
		t.Error("no deploy link for an endpoint with Part 2")
	}
	q := s.get("/processes?endpoint=local&q=echo", htmx("process-results"))
	if !strings.HasPrefix(strings.TrimSpace(q.body), `<div id="process-results"`) || q.find("[data-testid=process]").Length() != 1 {
		t.Errorf("search fragment: %.200s", q.body)
	}
	if q.find("[data-testid=process]").AttrOr("data-process", "") != "echo" {
		t.Error("search did not find echo")
	}
	none := s.get("/processes?endpoint=local&q=zzz")
	if none.find("[data-testid=no-processes]").Length() != 1 {
		t.Error("no empty state for a search without hits")
	}
	// The selection is remembered.
	if _, err := s.app.Endpoints.CreateEndpoint(context.Background(), endpoints.EndpointInput{Title: "Down", URL: "http://127.0.0.1:1/"}); err != nil {
		t.Fatal(err)
	}
	down := s.get("/processes?endpoint=down")
	expect(t, down, http.StatusOK)
	if down.find("#process-results [data-testid=error]").Length() != 1 || down.find("#endpoint-select").Length() != 1 {
		t.Errorf("unreachable endpoint: %s", down.find("#process-results").Text())
	}
	// Said as the endpoint's connection test says it, with the way to that test.
	if e := down.find("#process-results [data-testid=error]").Text(); !strings.Contains(e, "Cannot reach the server") ||
		!strings.Contains(e, "Cannot reach http://127.0.0.1:1/: connection refused. Is the server running? Check the endpoint's URL") {
		t.Errorf("unreachable endpoint's error: %q", e)
	}
	if href := down.find("#process-results [data-testid=endpoint-link] a").AttrOr("href", ""); href != "/endpoints/down" {
		t.Errorf("endpoint link %q", href)
	}
	if again := s.get("/processes"); again.find(`#endpoint-select option[selected]`).AttrOr("value", "") != "down" {
		t.Error("the selected endpoint was not remembered")
	}

	d := s.get("/endpoints/local/processes/echo")
	expect(t, d, http.StatusOK)
	if n := d.find("[data-testid=input-doc]").Length(); n != 14 {
		t.Errorf("%d inputs documented", n)
	}
	if n := d.find("[data-testid=output-doc]").Length(); n != 13 {
		t.Errorf("%d outputs documented", n)
	}
	row := d.find(`[data-testid=input-doc][data-input=integerInput]`).Text()
	if !strings.Contains(row, "integer [0 … 1000]") {
		t.Errorf("integer documented as %q", row)
	}
	if !strings.Contains(d.find("[data-testid=job-control]").Text(), "async-execute") {
		t.Error("job control options missing")
	}
	// echo is built in: no Replace or Undeploy.
	if d.find("[data-testid=undeploy]").Length() != 0 || d.find("[data-testid=execute]").Length() != 1 {
		t.Error("actions of a built-in process")
	}
	nf := s.get("/endpoints/local/processes/nope")
	expect(t, nf, http.StatusNotFound)
	if !strings.Contains(nf.find("[data-testid=error-page]").Text(), "no such process") {
		t.Errorf("missing process: %s", nf.find("main").Text())
	}
}

func TestDeployPreviewReplaceUndeploy(t *testing.T) {
	s := start(t)
	cwl, err := os.ReadFile("testdata/water-bodies.cwl")
	if err != nil {
		t.Fatal(err)
	}
	page := s.get("/endpoints/local/deploy")
	expect(t, page, http.StatusOK)
	if page.find("[data-testid=deploy-form]").Length() != 1 {
		t.Fatal("no deploy form")
	}
	pv := s.postMultipart("/endpoints/local/deploy", url.Values{"source": {"text"}, "text": {string(cwl)}, "op": {"preview"}}, nil)
	expect(t, pv, http.StatusOK)
	if n := pv.find("[data-testid=preview-result] [data-testid=input-doc]").Length(); n != 4 {
		t.Errorf("preview shows %d inputs", n)
	}
	if pv.find("#pkg-text").Text() != string(cwl) {
		t.Error("the pasted package is not kept")
	}
	bad := s.postMultipart("/endpoints/local/deploy", url.Values{"source": {"file"}, "op": {"preview"}}, map[string][]byte{"file": []byte("cwlVersion: [")})
	expect(t, bad, http.StatusUnprocessableEntity)
	if bad.find("#deploy-result [data-testid=error]").Length() != 1 {
		t.Error("no error for a broken package")
	}
	// A file previewed is kept as text (a file control cannot be refilled): Deploy sends it.
	fpv := s.postMultipart("/endpoints/local/deploy", url.Values{"source": {"file"}, "op": {"preview"}}, map[string][]byte{"file": cwl})
	expect(t, fpv, http.StatusOK)
	if fpv.find("#pkg-text").Text() != string(cwl) || fpv.find(`input[name=source][value=text]`).AttrOr("checked", "no") == "no" ||
		!strings.Contains(fpv.find("[data-testid=file-kept]").Text(), "Deploy sends it") {
		t.Errorf("the previewed file is not kept as the package's text: %q", fpv.find("[data-testid=file-kept]").Text())
	}
	dep := s.postMultipart("/endpoints/local/deploy", url.Values{"source": {"file"}, "op": {"deploy"}}, map[string][]byte{"file": cwl})
	expect(t, dep, http.StatusCreated)
	if !strings.Contains(dep.find("[data-testid=deployed]").Text(), "water-bodies") {
		t.Fatalf("deploy answer: %s", dep.find("#deploy-result").Text())
	}
	again := s.postMultipart("/endpoints/local/deploy", url.Values{"source": {"text"}, "text": {string(cwl)}, "op": {"deploy"}}, nil)
	expect(t, again, http.StatusConflict)
	if !strings.Contains(again.find("#deploy-result [data-testid=error]").Text(), "409") {
		t.Errorf("duplicate deploy: %s", again.find("#deploy-result").Text())
	}
	d := s.get("/endpoints/local/processes/water-bodies")
	if d.find("[data-testid=replace]").Length() != 1 || d.find("[data-testid=undeploy]").Length() != 1 {
		t.Error("a deployed process offers no Replace/Undeploy")
	}
	rep := s.postMultipart("/endpoints/local/deploy?replace=water-bodies", url.Values{"source": {"text"}, "text": {string(cwl)}, "op": {"deploy"}}, nil)
	expect(t, rep, http.StatusOK)
	if rep.find("[data-testid=deployed]").Length() != 1 {
		t.Errorf("replace: %s", rep.find("#deploy-result").Text())
	}
	// Undeploy asks first: the detail page links to a confirmation page, and a POST
	// without its confirmation gets that page and changes nothing.
	ask := d.find("a[data-testid=undeploy]").AttrOr("href", "")
	if ask != "/endpoints/local/processes/water-bodies/undeploy" {
		t.Fatalf("undeploy link %q", ask)
	}
	c := s.get(ask)
	expect(t, c, http.StatusOK)
	if !strings.Contains(c.find("[data-testid=undeploy-confirm] h1").Text(), "Undeploy water-bodies?") ||
		c.find(`[data-testid=undeploy-confirm] form input[name=confirm][value=yes]`).Length() != 1 ||
		c.find("[data-testid=undeploy-cancel]").AttrOr("href", "") != "/endpoints/local/processes/water-bodies" {
		t.Errorf("confirmation page: %s", c.find("main").Text())
	}
	unasked := s.postForm("/endpoints/local/processes/water-bodies/undeploy", nil)
	expect(t, unasked, http.StatusOK)
	if unasked.find("[data-testid=undeploy-confirm]").Length() != 1 {
		t.Error("an unconfirmed undeploy did not ask")
	}
	expect(t, s.get("/endpoints/local/processes/water-bodies"), http.StatusOK)
	u := s.postForm("/endpoints/local/processes/water-bodies/undeploy", url.Values{"confirm": {"yes"}})
	expect(t, u, http.StatusSeeOther)
	// The built-in water-bodies, which the deployed package had taken the place of, is back:
	// built in, so it offers neither Replace nor Undeploy.
	back := s.get("/endpoints/local/processes/water-bodies")
	expect(t, back, http.StatusOK)
	if back.find("[data-testid=replace]").Length() != 0 || back.find("[data-testid=undeploy]").Length() != 0 {
		t.Error("after undeploy, water-bodies is not the built-in process again")
	}
}

// echoForm is the form of the built-in echo process, to name its controls.
func echoForm(t *testing.T, s *stack) *forms.Form {
	t.Helper()
	p, err := s.app.Processes.Process(context.Background(), store.LocalEndpoint, "echo")
	if err != nil {
		t.Fatal(err)
	}
	return forms.New(p)
}

func name(f *forms.Form, id string, n int, part string) string {
	fl, ok := f.Field(id)
	if !ok {
		panic(id)
	}
	return fl.Name(n, part)
}

func outputsOn(f *forms.Form, v url.Values) url.Values {
	for _, o := range f.Outputs {
		v.Set(o.Name("on"), "1")
	}
	v.Set(forms.SubmittedAs, "1")
	return v
}

func TestExecuteFormFlow(t *testing.T) {
	s := start(t)
	f := echoForm(t, s)
	const path = "/endpoints/local/processes/echo/execute"
	g := s.get(path)
	expect(t, g, http.StatusOK)
	if g.find("[data-testid=exec-form] [data-testid=input]").Length() != 14 {
		t.Fatal("form inputs")
	}

	// Add a row: only the form comes back for HTMX.
	ms, _ := f.Field("multiStringInput")
	v := outputsOn(f, url.Values{ms.RowsName(): {"1"}, name(f, "multiStringInput", 0, "v"): {"one"}, "op": {"add:" + strconv.Itoa(ms.Index)}})
	add := s.postMultipart(path, v, nil, htmx("exec-form"))
	expect(t, add, http.StatusOK)
	if !strings.HasPrefix(strings.TrimSpace(add.body), `<form id="exec-form"`) {
		t.Errorf("add row answer: %.80s", add.body)
	}
	rows := add.find(`[data-input=multiStringInput] [data-testid=row]`)
	if rows.Length() != 2 || rows.First().Find("input[type=text]").AttrOr("value", "") != "one" {
		t.Errorf("after add: %d rows", rows.Length())
	}

	// Problems are shown next to their fields and nothing is sent.
	v = outputsOn(f, url.Values{name(f, "integerInput", 0, "v"): {"5000"}, name(f, "geometryInput", 0, "v"): {`{"type":`},
		name(f, "dateTimeInput", 0, "v"): {"2024-05-01T12:30"}, "mode": {ogcapi.AsyncExecute}, "op": {"submit"}})
	bad := s.postMultipart(path, v, nil)
	expect(t, bad, http.StatusUnprocessableEntity)
	for _, id := range []string{"integerInput", "geometryInput"} {
		if bad.find(`[data-input=`+id+`] [data-testid=field-error]`).Length() == 0 {
			t.Errorf("%s: no error next to the field", id)
		}
	}
	if bad.find(`[data-input=dateTimeInput] [data-testid=field-error]`).Length() != 0 {
		t.Error("a valid date-time was refused")
	}
	if jobs, _ := s.app.Store.ListJobs(context.Background(), store.Filter{}); len(jobs.Jobs) != 0 {
		t.Fatal("a job was created from an invalid form")
	}

	// Schema checks beyond the form's own: arrayInput needs at least 2 items.
	v = outputsOn(f, url.Values{name(f, "arrayInput", 0, "v"): {"7"}, "mode": {ogcapi.AsyncExecute}, "op": {"validate"}})
	sch := s.postMultipart(path, v, nil)
	expect(t, sch, http.StatusUnprocessableEntity)
	if !strings.Contains(sch.find(`[data-input=arrayInput] [data-testid=field-error]`).Text(), "minItems") {
		t.Errorf("schema problem: %q", sch.find(`[data-input=arrayInput]`).Text())
	}

	// Export: the request, curl and geojobs run.
	png := []byte("\x89PNG\r\n\x1a\n")
	v = outputsOn(f, url.Values{name(f, "stringInput", 0, "v"): {"hello"}, name(f, "boundingBoxInput", 0, "v"): {"5.9,45.8,10.5,47.8"},
		"mode": {ogcapi.AsyncExecute}, "op": {"export"}})
	ex := s.postMultipart(path, v, map[string][]byte{name(f, "binaryInput", 0, "file"): png})
	expect(t, ex, http.StatusOK)
	var req ogcapi.Execute
	if err := json.Unmarshal([]byte(ex.find("#export-json").Text()), &req); err != nil {
		t.Fatalf("exported JSON: %v", err)
	}
	if string(req.Inputs["binaryInput"]) != `"`+base64.StdEncoding.EncodeToString(png)+`"` || string(req.Inputs["stringInput"]) != `"hello"` {
		t.Errorf("exported inputs %v", req.Inputs)
	}
	if !strings.Contains(ex.find("#export-curl").Text(), "/local/ogcapi/processes/echo/execution") ||
		!strings.Contains(ex.find("#export-curl").Text(), "$GEOJOBS_TOKEN") || strings.Contains(ex.body, s.token) {
		t.Errorf("curl: %s", ex.find("#export-curl").Text())
	}
	if !strings.Contains(ex.find("#export-run").Text(), "geojobs run --api-endpoint") {
		t.Errorf("run: %s", ex.find("#export-run").Text())
	}
	// The binary value now lives in the form, so it survives the next round trip.
	if ex.find(`[data-input=binaryInput] textarea`).Text() == "" {
		t.Error("the uploaded file's base64 value is not kept in the form")
	}

	// Import fills the form from an execute request.
	v = outputsOn(f, url.Values{"op": {"import"}, "import_text": {`{"inputs": {"stringInput": "imported", "multiStringInput": ["a","b","c"], "nope": 1}}`}})
	im := s.postMultipart(path, v, nil)
	expect(t, im, http.StatusOK)
	if im.find(`[data-input=stringInput] .value-control input`).AttrOr("value", "") != "imported" ||
		im.find(`[data-input=multiStringInput] [data-testid=row]`).Length() != 3 || im.find("[data-testid=warning]").Length() != 1 {
		t.Errorf("import: %s", im.find("[data-testid=exec-form]").Text())
	}
	bi := s.postMultipart(path, outputsOn(f, url.Values{"op": {"import"}, "import_text": {"{nope"}}), nil)
	expect(t, bi, http.StatusUnprocessableEntity)

	// Submit: the job is stored, sent, and its page shows it.
	v = outputsOn(f, url.Values{name(f, "stringInput", 0, "v"): {"hello"}, "mode": {ogcapi.AsyncExecute}, "op": {"submit"}})
	sub := s.postMultipart(path, v, nil)
	expect(t, sub, http.StatusSeeOther)
	loc := sub.header.Get("Location")
	if !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("after submit: %q", loc)
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(loc, "/jobs/"), "?")
	s.waitJob(id, ended)
	j := s.get(loc)
	expect(t, j, http.StatusOK)
	if st := j.find("[data-testid=job-status]").AttrOr("data-status", ""); st != ogcapi.StatusSuccessful {
		t.Fatalf("job status %q", st)
	}
	if !strings.Contains(j.find("[data-testid=job-request]").Text(), "hello") {
		t.Error("the job page lacks the request")
	}
	list := s.get("/jobs")
	if list.find("[data-testid=job]").Length() != 1 {
		t.Error("jobs list")
	}
	// Sync mode: the server runs it while we wait; the job is successful at once.
	v = outputsOn(f, url.Values{name(f, "stringInput", 0, "v"): {"now"}, "mode": {ogcapi.SyncExecute}, "op": {"submit"}})
	sy := s.postMultipart(path, v, nil)
	expect(t, sy, http.StatusSeeOther)
	if j := s.get(sy.header.Get("Location")); j.find("[data-testid=job-status]").AttrOr("data-status", "") != ogcapi.StatusSuccessful {
		t.Errorf("sync job: %s", j.find("[data-testid=job-status]").Text())
	}
}
