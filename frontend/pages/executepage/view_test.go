package executepage

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/localep/localeptest"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/frontend/pagetest"
)

// render renders the page's content for m into a goquery document.
func render(t *testing.T, m Model) *goquery.Document {
	t.Helper()
	return pagetest.Render(t, View(m))
}

func model(p *ogcapi.Process) Model {
	f := forms.New(p)
	return Model{Endpoint: store.Endpoint{ID: "local", Title: "Local", URL: "http://127.0.0.1:1/local/ogcapi/"},
		Process: p, Form: f, Values: f.Defaults()}
}

func echo(t *testing.T) *ogcapi.Process {
	t.Helper()
	hs := localeptest.Start(t, localep.Options{})
	c, _ := ogcapi.New(hs.URL)
	p, err := c.Process(context.Background(), "echo")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waterBodies(t *testing.T) *ogcapi.Process {
	t.Helper()
	b, err := os.ReadFile("testdata/process-description.water-bodies.json")
	if err != nil {
		t.Fatal(err)
	}
	var p ogcapi.Process
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func input(doc *goquery.Document, id string) *goquery.Selection {
	return doc.Find(`[data-testid=input][data-input="` + id + `"]`)
}

func TestEchoFormEveryKind(t *testing.T) {
	doc := render(t, model(echo(t)))
	if n := doc.Find("[data-testid=input]").Length(); n != 14 {
		t.Fatalf("%d inputs rendered, want 14", n)
	}
	controls := map[string]string{
		"stringInput":      `input[type=text]`,
		"enumInput":        `select option[value=Value2]`,
		"numberInput":      `input[type=text][inputmode=decimal][data-min="-1e+09"][data-max="1e+09"]`,
		"integerInput":     `input[type=text][inputmode=numeric][data-min="0"][data-max="1000"]`,
		"booleanInput":     `select option[value=true]`,
		"dateTimeInput":    `input[type=datetime-local]`,
		"arrayInput":       `input[type=text][placeholder="a, b, c"]`,
		"multiStringInput": `button[data-testid=add-row]`,
		"objectInput":      `.object-fields input[type=text] ~ *, .object-fields input[inputmode=decimal]`,
		"boundingBoxInput": `textarea.mono`,
		"geometryInput":    `textarea[data-json=true]`,
		"binaryInput":      `input[type=file][data-b64-target]`,
		"hrefInput":        `input[type=url]`,
		"pause":            `input[inputmode=decimal]`,
	}
	for id, sel := range controls {
		in := input(doc, id)
		if in.Length() != 1 {
			t.Errorf("%s: no field", id)
			continue
		}
		if in.Find(sel).Length() == 0 {
			t.Errorf("%s (%s): no %s", id, in.AttrOr("data-kind", ""), sel)
		}
	}
	// Defaults are prefilled: enum Value1, pause 0.
	if v := input(doc, "enumInput").Find("option[selected]").AttrOr("value", ""); v != "Value1" {
		t.Errorf("enum default selected %q", v)
	}
	if v := input(doc, "pause").Find("input[inputmode=decimal]").AttrOr("value", ""); v != "0" {
		t.Errorf("pause default %q", v)
	}
	// Nothing in echo is required (minOccurs 0).
	if n := doc.Find("[data-testid=required]").Length(); n != 0 {
		t.Errorf("%d inputs marked required", n)
	}
	// The map goes next to the bbox and geometry fields, bound to their controls.
	for id, format := range map[string]string{"boundingBoxInput": "ogc-bbox", "geometryInput": "geojson-geometry"} {
		in := input(doc, id)
		m := in.Find("gj-aoi-map")
		ctl := in.Find(".value-control textarea").AttrOr("id", "?")
		if m.AttrOr("for", "") != ctl || m.AttrOr("format", "") != format || m.AttrOr("warn-km2", "") == "" {
			t.Errorf("%s map: for=%q (control %q) format=%q", id, m.AttrOr("for", ""), ctl, m.AttrOr("format", ""))
		}
	}
	if n := doc.Find("gj-aoi-map").Length(); n != 2 {
		t.Errorf("%d maps", n)
	}
	// Sync and async are both allowed: the user chooses.
	if n := doc.Find("[data-testid=modes] input[type=radio]").Length(); n != 2 {
		t.Errorf("%d mode choices", n)
	}
	if n := doc.Find("[data-testid=output] input[type=checkbox][checked]").Length(); n != 13 {
		t.Errorf("%d outputs checked", n)
	}
	// Help text comes from the description, sanitised.
	if help := input(doc, "objectInput").Find(".help.prose").Text(); !strings.Contains(help, `"name"`) {
		t.Errorf("object help %q", help)
	}
	// References: text-like inputs offer "URL (reference)".
	if input(doc, "stringInput").Find("select[data-testid=src] option[value=ref]").Length() != 1 {
		t.Error("string input cannot be given by reference")
	}
	if input(doc, "integerInput").Find("select[data-testid=src]").Length() != 0 {
		t.Error("an integer offers a reference")
	}
	// No inline scripts or styles anywhere (the CSP forbids them).
	html, _ := doc.Html()
	for _, bad := range []string{"<script", " style=", " onclick=", " onchange="} {
		if strings.Contains(html, bad) {
			t.Errorf("rendered form contains %q", bad)
		}
	}
}

func TestWaterBodiesForm(t *testing.T) {
	doc := render(t, model(waterBodies(t)))
	if n := doc.Find("[data-testid=input]").Length(); n != 4 {
		t.Fatalf("%d inputs", n)
	}
	aoi := input(doc, "aoi")
	if aoi.Find("[data-testid=required]").Length() != 1 {
		t.Error("aoi not marked required")
	}
	m := aoi.Find("gj-aoi-map")
	if m.AttrOr("format", "") != "bbox-string" || m.AttrOr("for", "") != aoi.Find("input[type=text]").AttrOr("id", "?") {
		t.Errorf("aoi map %v", m.Nodes)
	}
	bands := input(doc, "bands")
	if bands.Find("[data-testid=row]").Length() != 2 || bands.Find("[data-testid=required]").Length() != 0 {
		t.Errorf("bands: %d rows", bands.Find("[data-testid=row]").Length())
	}
	var vals []string
	bands.Find(".value-control input").Each(func(_ int, s *goquery.Selection) { vals = append(vals, s.AttrOr("value", "")) })
	if strings.Join(vals, ",") != "green,nir" {
		t.Errorf("bands defaults %v", vals)
	}
	if v := input(doc, "epsg").Find(".value-control input").AttrOr("value", ""); v != "EPSG:4326" {
		t.Errorf("epsg default %q", v)
	}
	items := input(doc, "stac_items")
	if items.Find("[data-testid=required]").Length() != 1 || items.Find("[data-testid=add-row]").Length() != 1 {
		t.Error("stac_items: required mark or add button missing")
	}
	// One row, the minimum: it cannot be removed.
	if items.Find("[data-testid=remove-row]").Length() != 0 {
		t.Error("the only stac_items row can be removed")
	}
	// Only async is allowed: no choice is offered.
	if doc.Find("[data-testid=modes]").Length() != 0 || doc.Find(`input[type=hidden][name=mode][value=async-execute]`).Length() != 1 {
		t.Error("mode choice for an async-only process")
	}
	if doc.Find("[data-testid=output][data-output=stac_catalog]").Length() != 1 {
		t.Error("no stac_catalog output")
	}
}

func TestProblemsShownNextToFields(t *testing.T) {
	m := model(waterBodies(t))
	m.Problems = forms.Problems{{Input: "aoi", Row: -1, Msg: "a value is required"}, {Input: "stac_items", Row: 0, Msg: "not a URL <b>"}}
	doc := render(t, m)
	if got := input(doc, "aoi").Find("[data-testid=field-error]").Text(); got != "a value is required" {
		t.Errorf("aoi error %q", got)
	}
	row := input(doc, "stac_items").Find("[data-testid=row]").First()
	if got := row.Find("[data-testid=field-error]").Text(); got != "not a URL <b>" {
		t.Errorf("row error %q", got)
	}
	if doc.Find("[data-testid=problems] li").Length() != 2 {
		t.Error("problem summary")
	}
	if href := doc.Find("[data-testid=problems] a").First().AttrOr("href", ""); href != "#"+input(doc, "aoi").AttrOr("id", "?") {
		t.Errorf("summary link %q", href)
	}
}

func TestExportPanel(t *testing.T) {
	m := model(waterBodies(t))
	m.Export = &Export{JSON: `{"inputs":{}}`, Curl: "curl …", Run: "geojobs run …", FileName: "water-bodies.execute.json"}
	doc := render(t, m)
	for _, id := range []string{"export-json", "export-curl", "export-run"} {
		if doc.Find("textarea#"+id).Length() != 1 || doc.Find(`[data-copy="`+id+`"]`).Length() != 1 {
			t.Errorf("%s: textarea or copy button missing", id)
		}
	}
	if doc.Find(`[data-download=export-json][data-filename="water-bodies.execute.json"]`).Length() != 1 {
		t.Error("download button")
	}
	if doc.Find("[data-testid=token-help]").Length() != 0 {
		t.Error("token help for a curl that sends no token")
	}
	// F-26: a curl that sends $GEOJOBS_TOKEN says where the token comes from.
	m.Endpoint.BuiltIn, m.Export.Token = true, true
	doc = render(t, m)
	if help := doc.Find("[data-testid=token-help]").Text(); !strings.Contains(help, "token=") {
		t.Errorf("token help %q", help)
	}
}

func TestRemoteTextEscaped(t *testing.T) {
	p := waterBodies(t)
	p.Title = `<script>alert(1)</script>`
	in := p.Inputs["aoi"]
	in.Title = `<img src=x onerror=alert(2)>`
	in.Description = `<img src=x onerror=alert(3)> **bold** <script>alert(4)</script>`
	p.Inputs["aoi"] = in
	doc := render(t, model(p))
	if n := doc.Find("script, img, [onerror]").Length(); n > 0 {
		t.Errorf("%d script, img or onerror elements rendered from remote text", n)
	}
	if !strings.Contains(input(doc, "aoi").Find(".input-title").Text(), "<img src=x onerror=alert(2)>") {
		t.Error("the input title is not shown as text")
	}
	if !strings.Contains(doc.Find("h1").Text(), "<script>alert(1)</script>") {
		t.Error("the title is not shown as text")
	}
	if input(doc, "aoi").Find(".help.prose strong").Text() != "bold" {
		t.Error("markdown in the description was not rendered")
	}
}
