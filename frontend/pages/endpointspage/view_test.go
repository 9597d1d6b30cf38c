package endpointspage

import (
	"testing"

	"github.com/geojobs/geojobs/backend/endpoints"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pagetest"
)

func TestReportFailure(t *testing.T) {
	doc := pagetest.Render(t, Report(endpoints.Report{Problem: endpoints.ProblemTLS, Message: "The secure connection failed.",
		Detail: `GET /: x509: certificate signed by unknown authority <b>`}))
	r := doc.Find("[data-testid=report]")
	if r.AttrOr("data-ok", "") != "false" || r.AttrOr("data-problem", "") != "tls" || r.AttrOr("role", "") != "alert" {
		t.Errorf("report attributes %v", r.Nodes[0].Attr)
	}
	if r.Find("h2").Text() == "" || r.Find("b").Length() != 0 || r.Find(".error-detail").Text() != `GET /: x509: certificate signed by unknown authority <b>` {
		t.Errorf("report %q", r.Text())
	}
}

func TestReportSuccess(t *testing.T) {
	doc := pagetest.Render(t, Report(endpoints.Report{OK: true, Title: "ZOO", APIDoc: "javascript:alert(1)", APIDef: "https://zoo.example.com/api",
		Capabilities: []endpoints.Capability{{Name: "Dismiss", Supported: true}, {Name: "Callbacks"}}, Conformance: []string{"a", "b"}}))
	if doc.Find("[data-testid=capability][data-supported=true]").Length() != 1 || doc.Find("[data-testid=capability]").Length() != 2 {
		t.Error("capabilities")
	}
	if href := doc.Find("[data-testid=api-doc]").AttrOr("href", ""); href == "javascript:alert(1)" {
		t.Error("a javascript: link from the server was rendered")
	}
	if doc.Find("[data-testid=api-def]").AttrOr("href", "") != "https://zoo.example.com/api" {
		t.Error("API definition link")
	}
}

func TestListMarksBuiltIn(t *testing.T) {
	doc := pagetest.Render(t, ListView(ListModel{Selected: "zoo", Endpoints: []store.Endpoint{
		{ID: "local", Title: "Local", URL: "http://127.0.0.1:1/local/ogcapi/", BuiltIn: true},
		{ID: "zoo", Title: "ZOO <i>", URL: "https://zoo.example.com/", CredentialKey: "zoo-token", Headers: map[string]string{"X-Tenant": "acme"}},
	}}))
	local := doc.Find(`[data-endpoint=local]`)
	zoo := doc.Find(`[data-endpoint=zoo]`)
	if local.Find("[data-testid=remove-endpoint]").Length() != 0 || zoo.Find("[data-testid=remove-endpoint]").Length() != 1 {
		t.Error("Remove offered for the wrong endpoint")
	}
	if zoo.Find("h2 a").Text() != "ZOO <i>" || zoo.Find("i").Length() != 0 {
		t.Error("title not escaped")
	}
	if zoo.Find(".badge.accent").Length() != 1 || local.Find(".badge.accent").Length() != 0 {
		t.Error("selected badge")
	}
	if zoo.Find("[data-testid=test-endpoint]").AttrOr("hx-get", "") != "/endpoints/zoo/test" {
		t.Error("test button target")
	}
}
