package localep

import (
	"strings"
	"testing"
)

// The STAC API of synthetic scenes is served under the endpoint, with links that
// include its mount prefix.
func TestSyntheticSTACIsServed(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/stac/collections/synthetic-s2/items?bbox=6.2,45.2,6.4,45.4&limit=1", nil)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var fc struct {
		Features []struct {
			Assets map[string]struct{ Href string }
		}
	}
	r.json(t, &fc)
	if len(fc.Features) != 1 {
		t.Fatalf("%d features", len(fc.Features))
	}
	href := fc.Features[0].Assets["nir"].Href
	if !strings.HasPrefix(href, e.base+"/stac/collections/synthetic-s2/items/S2SYN_N45E006_") {
		t.Fatalf("nir href %q", href)
	}
	a := e.do("GET", strings.TrimPrefix(href, e.base), nil, "Range", "bytes=0-7")
	if a.status != 206 || string(a.body[:4]) != "II*\x00" {
		t.Fatalf("range: %d %q", a.status, a.body)
	}
	var landing struct{ Links []struct{ Href, Rel string } }
	e.do("GET", "/", nil).json(t, &landing)
	found := false
	for _, l := range landing.Links {
		found = found || l.Href == e.base+"/stac/"
	}
	if !found {
		t.Fatalf("the landing page does not link the STAC API: %+v", landing.Links)
	}
}
