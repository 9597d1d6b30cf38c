package processespage

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/backend/store"
)

func TestResultsAndPaging(t *testing.T) {
	m := ListModel{Endpoint: store.Endpoint{ID: "zoo", Title: "ZOO"}, Search: "water",
		Page: processes.ProcessPage{Total: 45, All: 60, Page: 2, Pages: 3, Processes: []ogcapi.ProcessSummary{
			{ID: "water-bodies", Version: "1.0.0", JobControlOptions: []string{ogcapi.AsyncExecute},
				DescriptionType: ogcapi.DescriptionType{Title: "Water bodies", Description: "**NDWI** <script>x()</script>", Keywords: []string{"water"}}},
		}}}
	var buf bytes.Buffer
	if err := ListView(m).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(&buf)
	row := doc.Find("[data-testid=process][data-process=water-bodies]")
	if row.Find("[data-testid=execute-link]").AttrOr("href", "") != "/endpoints/zoo/processes/water-bodies/execute" {
		t.Error("execute link")
	}
	if got := row.Find(".clamp").Text(); got != "NDWI" {
		t.Errorf("list description %q: want plain text", got)
	}
	if doc.Find("script").Length() != 0 {
		t.Error("script rendered")
	}
	prev, next := doc.Find(".pager a[rel=prev]").AttrOr("href", ""), doc.Find(".pager a[rel=next]").AttrOr("href", "")
	if !strings.Contains(prev, "q=water") || strings.Contains(prev, "page=") || !strings.Contains(next, "page=3") {
		t.Errorf("pager links %q %q", prev, next)
	}
	if doc.Find("#q").AttrOr("value", "") != "water" {
		t.Error("search box lost the query")
	}
}

func TestDocs(t *testing.T) {
	p := &ogcapi.Process{ProcessSummary: ogcapi.ProcessSummary{ID: "p"},
		Inputs: map[string]ogcapi.InputDescription{
			"x":   {Schema: json.RawMessage(`{"type":"number","minimum":0,"exclusiveMaximum":true,"maximum":1}`)},
			"aoi": {MaxOccurs: ogcapi.Unbounded, Schema: json.RawMessage(`{"type":"string"}`)},
			"img": {Schema: json.RawMessage(`{"oneOf":[{"type":"string","contentEncoding":"base64","contentMediaType":"image/png"},{"type":"string","contentEncoding":"base64","contentMediaType":"image/tiff"}]}`)},
		},
		Outputs: map[string]ogcapi.OutputDescription{"o": {Schema: json.RawMessage(`{"type":"string","format":"uri"}`)}}}
	ins, outs := Docs(p)
	got := map[string]InputDoc{}
	for _, d := range ins {
		got[d.ID] = d
	}
	if got["x"].Type != "number [0 … 1)" || got["x"].Occurs != "1" || !got["x"].Required {
		t.Errorf("x: %+v", got["x"])
	}
	if got["aoi"].Occurs != "1 … ∞" || !got["aoi"].AOI {
		t.Errorf("aoi: %+v", got["aoi"])
	}
	if strings.Join(got["img"].Formats, ",") != "image/png,image/tiff" || got["img"].Type != "binary (base64)" {
		t.Errorf("img: %+v", got["img"])
	}
	if len(outs) != 1 || outs[0].Type != "string (uri)" {
		t.Errorf("outputs %+v", outs)
	}
}
