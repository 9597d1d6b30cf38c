package components_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/pagetest"
)

func TestPost(t *testing.T) {
	d := pagetest.Render(t, components.Post(components.PostButton{Action: "/jobs/a b/dismiss", Label: "Dismiss",
		Class: "button danger", TestID: "dismiss", Confirm: "Stop it?"}))
	f := d.Find("form")
	if f.AttrOr("method", "") != "post" || f.AttrOr("action", "") != "/jobs/a b/dismiss" || f.AttrOr("hx-confirm", "") != "Stop it?" || !f.HasClass("inline") {
		t.Errorf("form %v", f.Nodes[0].Attr)
	}
	b := f.Find("button[type=submit][data-testid=dismiss]")
	if b.Text() != "Dismiss" || b.AttrOr("class", "") != "button danger" {
		t.Errorf("button %q %v", b.Text(), b.Nodes)
	}
	d = pagetest.Render(t, components.Post(components.PostButton{Action: "/x", Label: "Set", Class: "button", Block: true}))
	if f := d.Find("form"); f.AttrOr("class", "none") != "none" || f.AttrOr("hx-confirm", "none") != "none" || d.Find("button").AttrOr("data-testid", "none") != "none" {
		t.Errorf("empty attributes rendered: %v %v", f.Nodes[0].Attr, d.Find("button").Nodes[0].Attr)
	}
}

func TestReport(t *testing.T) {
	kids := templ.WithChildren(context.Background(), templ.Raw(`<p class="detail">why</p>`))
	var w bytes.Buffer
	if err := components.Report("bad", "It failed", templ.Attributes{"data-testid": "report", "data-ok": "false"}).Render(kids, &w); err != nil {
		t.Fatal(err)
	}
	d := pagetest.Parse(t, &w)
	r := d.Find("section[data-testid=report]")
	if !r.HasClass("card") || !r.HasClass("report") || !r.HasClass("bad") || r.AttrOr("role", "") != "alert" || r.AttrOr("data-ok", "") != "false" {
		t.Errorf("report %v", r.Nodes[0].Attr)
	}
	if r.Find("h2").Text() != " It failed" || !r.Find("h2 .dot").HasClass("bad") || r.Find(".detail").Text() != "why" {
		t.Errorf("report body %q", r.Text())
	}
	d = pagetest.Render(t, components.Report("", "Not checked", nil))
	if r := d.Find("section"); r.AttrOr("class", "") != "card report" || r.AttrOr("role", "none") != "none" || d.Find(".dot").AttrOr("class", "") != "dot" {
		t.Errorf("neutral report %v", r.Nodes[0].Attr)
	}
}

func TestProgress(t *testing.T) {
	d := pagetest.Render(t, components.Progress(components.Percent(50, 200), "Total", templ.Attributes{"data-testid": "p"}))
	if p := d.Find("progress[data-testid=p]"); p.AttrOr("value", "") != "25" || p.AttrOr("max", "") != "100" || p.AttrOr("aria-label", "") != "Total" {
		t.Errorf("progress %v", p.Nodes)
	}
	d = pagetest.Render(t, components.Progress(components.Percent(50, -1), "Total", nil))
	if p := d.Find("progress"); p.Length() != 1 || p.AttrOr("value", "none") != "none" {
		t.Errorf("size unknown: want a moving bar, got %v", p.Nodes[0].Attr)
	}
	if components.Percent(300, 200) != 100 {
		t.Error("more than done: want 100")
	}
}

func TestCrumbsAndHead(t *testing.T) {
	d := pagetest.Render(t, components.Crumbs(components.Crumb{Href: "/keystore", Label: "Keystore"}, components.Crumb{Label: "<b>k</b>"}))
	if a := d.Find("nav.crumbs a"); a.AttrOr("href", "") != "/keystore" || a.Text() != "Keystore" {
		t.Errorf("link %v", a.Nodes)
	}
	if d.Find("nav.crumbs > span").Last().Text() != "<b>k</b>" || d.Find("b").Length() != 0 || d.Find("[aria-hidden=true]").Length() != 1 {
		t.Errorf("trail %q", d.Find("nav").Text())
	}
	d = pagetest.Render(t, components.Heading("Jobs", "All of them.", nil))
	if d.Find(".page-head h1").Text() != "Jobs" || d.Find(".page-head p.muted").Text() != "All of them." || d.Find(".actions").Length() != 0 {
		t.Errorf("heading %q", d.Text())
	}
}

func TestField(t *testing.T) {
	kids := templ.WithChildren(context.Background(), templ.Raw(`<input id="f" aria-describedby="f-help">`))
	var w bytes.Buffer
	if err := components.Field("f", "Folder", "Where files go.").Render(kids, &w); err != nil {
		t.Fatal(err)
	}
	d := pagetest.Parse(t, &w)
	if d.Find(".field label[for=f]").Text() != "Folder" || d.Find(".field #f").Length() != 1 || d.Find("#f-help.help").Text() != "Where files go." {
		t.Errorf("field %q", d.Text())
	}
}
