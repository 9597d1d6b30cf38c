package localep

import (
	"bytes"
	"encoding/json"
	"github.com/spf13/afero"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func TestLandingAndConformance(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/", nil)
	expectStatus(t, r, 200)
	validate(t, "landingPage.yaml", r.body)
	var lp ogcapi.LandingPage
	r.json(t, &lp)
	if lp.Title != "geojobs local endpoint" {
		t.Errorf("title %q", lp.Title)
	}
	for rel, href := range map[string]string{
		"service-desc":        e.base + "/api",
		ogcapi.RelConformance: e.base + "/conformance",
		ogcapi.RelProcesses:   e.base + "/processes",
		ogcapi.RelJobList:     e.base + "/jobs",
		"self":                e.base + "/",
	} {
		l, ok := lp.Links.Find(rel, "")
		if !ok || l.Href != href || l.Rel != rel {
			t.Errorf("link %s = %+v (ok %v), want href %s", rel, l, ok, href)
		}
	}

	r = e.do("GET", "/conformance", nil)
	expectStatus(t, r, 200)
	validate(t, "confClasses.yaml", r.body)
	var cc ogcapi.ConfClasses
	r.json(t, &cc)
	for _, c := range []string{ogcapi.ConfCore, ogcapi.ConfProcessDescription, ogcapi.ConfJSON, ogcapi.ConfJobList, ogcapi.ConfDismiss, ogcapi.ConfDRU, ogcapi.ConfCWL, ogcapi.ConfOGCAppPkg} {
		if !cc.Has(c) {
			t.Errorf("conformance lacks %s", c)
		}
	}

	r = e.do("GET", "/api", nil)
	expectStatus(t, r, 200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.oai.openapi+json") {
		t.Errorf("api Content-Type %q", ct)
	}
	var api struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
		Servers []struct{ URL string }
	}
	r.json(t, &api)
	if api.OpenAPI != "3.0.3" || api.Paths["/processes/{processID}/execution"] == nil || api.Servers[0].URL != e.base {
		t.Errorf("api doc: %s", r.body)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff header")
	}
}

func TestProcessListPaging(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/processes", nil)
	expectStatus(t, r, 200)
	validate(t, "processList.yaml", r.body)
	var all ogcapi.ProcessList
	r.json(t, &all)
	var ids []string
	for _, p := range all.Processes {
		ids = append(ids, p.ID)
		if p.IsMutable() {
			t.Errorf("built-in %s is mutable", p.ID)
		}
		if _, ok := p.Links.Find(ogcapi.RelExecute, ""); !ok {
			t.Errorf("%s has no execute link", p.ID)
		}
	}
	if got := strings.Join(ids, ","); got != "countdown,echo,fail,synthetic-scene,water-bodies" {
		t.Fatalf("processes %s", got)
	}
	if _, ok := all.Links.Find("next", ""); ok {
		t.Error("next link on the only page")
	}

	// Follow next links with limit=1 and come back with prev.
	next := e.base + "/processes?limit=1"
	var seen []string
	var last ogcapi.ProcessList
	for next != "" {
		r := e.do("GET", next, nil)
		expectStatus(t, r, 200)
		validate(t, "processList.yaml", r.body)
		last = ogcapi.ProcessList{}
		r.json(t, &last)
		if len(last.Processes) != 1 {
			t.Fatalf("page of %d", len(last.Processes))
		}
		seen = append(seen, last.Processes[0].ID)
		next = ""
		if l, ok := last.Links.Find("next", ""); ok {
			next = l.Href
		}
	}
	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Errorf("paged %v, want %v", seen, ids)
	}
	prev, ok := last.Links.Find("prev", "")
	if !ok {
		t.Fatal("no prev link on the last page")
	}
	u, _ := url.Parse(prev.Href)
	if !strings.HasPrefix(prev.Href, e.base+"/processes?") || u.Query().Get("limit") != "1" {
		t.Errorf("prev %s", prev.Href)
	}

	expectException(t, e.do("GET", "/processes?limit=0", nil), 400, ogcapi.ExcInvalidParameter)
	expectException(t, e.do("GET", "/processes?limit=x", nil), 400, ogcapi.ExcInvalidParameter)
	r = e.do("GET", "/processes?limit=100000", nil)
	expectStatus(t, r, 200)
	if !strings.Contains(r.header.Get("Content-Type"), "json") {
		t.Error("not json")
	}
}

func TestProcessDescriptions(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range []string{"echo", "countdown", "fail", "synthetic-scene"} {
		r := e.do("GET", "/processes/"+id, nil)
		expectStatus(t, r, 200)
		validate(t, "process.yaml", r.body)
		var p ogcapi.Process
		r.json(t, &p)
		if p.ID != id || p.Title == "" || p.Description == "" || len(p.Keywords) == 0 || len(p.Inputs) == 0 || len(p.Outputs) == 0 {
			t.Errorf("%s: incomplete description %+v", id, p.ProcessSummary)
		}
		if l, ok := p.Links.Find(ogcapi.RelExecute, ""); !ok || l.Href != e.base+"/processes/"+id+"/execution" {
			t.Errorf("%s: execute link %+v", id, l)
		}
		for in, d := range p.Inputs {
			if d.Title == "" || len(d.Schema) == 0 {
				t.Errorf("%s: input %s lacks title or schema", id, in)
			}
		}
	}
	var echo ogcapi.Process
	e.do("GET", "/processes/echo", nil).json(t, &echo)
	if !echo.Inputs["multiStringInput"].MaxOccurs.Many() || echo.Inputs["stringInput"].Min() != 0 {
		t.Errorf("echo occurs: %+v", echo.Inputs["multiStringInput"])
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, echo.Inputs["stringInput"].Schema)
	if compact.String() != `{"type":"string"}` {
		t.Errorf("echo must have a plain string input for the OGC test suite: %s", echo.Inputs["stringInput"].Schema)
	}
	var cd ogcapi.Process
	e.do("GET", "/processes/countdown", nil).json(t, &cd)
	if cd.Allows(ogcapi.SyncExecute) || !cd.Allows(ogcapi.AsyncExecute) || !cd.Allows(ogcapi.Dismiss) {
		t.Errorf("countdown job control %v", cd.JobControlOptions)
	}

	ex := expectException(t, e.do("GET", "/processes/nope", nil), 404, ogcapi.ExcNoSuchProcess)
	if !strings.Contains(ex.Detail, "nope") {
		t.Errorf("detail %q", ex.Detail)
	}
	expectException(t, e.do("POST", "/processes/nope/execution", map[string]any{}), 404, ogcapi.ExcNoSuchProcess)
	expectException(t, e.do("GET", "/jobs/nope", nil), 404, ogcapi.ExcNoSuchJob)
	expectException(t, e.do("GET", "/jobs/nope/results", nil), 404, ogcapi.ExcNoSuchJob)
	expectException(t, e.do("DELETE", "/jobs/nope", nil), 404, ogcapi.ExcNoSuchJob)
}

func TestLinksAtRoot(t *testing.T) {
	srv, err := New(Options{DataDir: "/d", Fs: afero.NewMemMapFs()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(t.Context())
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "http://example.test:8080/", nil)
	req.Header.Set("X-Forwarded-Prefix", "/evil") // ignored: BasePath is the only source
	srv.Handler().ServeHTTP(rec, req)
	var lp ogcapi.LandingPage
	if err := json.Unmarshal(rec.Body.Bytes(), &lp); err != nil {
		t.Fatal(err)
	}
	if l, _ := lp.Links.Find(ogcapi.RelProcesses, ""); l.Href != "http://example.test:8080/processes" {
		t.Errorf("processes link %q", l.Href)
	}
}
