package synthstac_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/synthstac"
)

func serve(t *testing.T) *httptest.Server {
	t.Helper()
	var hs *httptest.Server
	api := synthstac.New(func(*http.Request) string { return hs.URL + "/stac" })
	mux := http.NewServeMux()
	mux.Handle("/stac/", http.StripPrefix("/stac", api.Handler()))
	hs = httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

type page struct {
	Type     string `json:"type"`
	Features []struct {
		ID         string         `json:"id"`
		BBox       []float64      `json:"bbox"`
		Properties map[string]any `json:"properties"`
		Assets     map[string]struct {
			Href string `json:"href"`
			Type string `json:"type"`
		} `json:"assets"`
	} `json:"features"`
	Links []struct {
		Href   string         `json:"href"`
		Rel    string         `json:"rel"`
		Method string         `json:"method"`
		Body   map[string]any `json:"body"`
	} `json:"links"`
	NumberMatched int `json:"numberMatched"`
}

func getJSON(t *testing.T, method, u string, body any, v any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return resp.StatusCode
}

func next(p page) (string, string, map[string]any) {
	for _, l := range p.Links {
		if l.Rel == "next" {
			return l.Href, l.Method, l.Body
		}
	}
	return "", "", nil
}

func TestLandingAndCollection(t *testing.T) {
	hs := serve(t)
	var landing struct {
		ConformsTo []string `json:"conformsTo"`
		Links      []struct{ Href, Rel, Method string }
	}
	if code := getJSON(t, "GET", hs.URL+"/stac/", nil, &landing); code != 200 {
		t.Fatalf("landing %d", code)
	}
	if !strings.Contains(strings.Join(landing.ConformsTo, " "), "item-search") {
		t.Fatalf("conformsTo %v", landing.ConformsTo)
	}
	var coll map[string]any
	if code := getJSON(t, "GET", hs.URL+"/stac/collections/synthetic-s2", nil, &coll); code != 200 || coll["id"] != "synthetic-s2" {
		t.Fatalf("collection %d %v", code, coll["id"])
	}
}

// Paging follows next links to the end, GET and POST, and gives each item once.
func TestSearchPaging(t *testing.T) {
	hs := serve(t)
	q := map[string]any{"collections": []string{"synthetic-s2"}, "bbox": []float64{5.5, 45.5, 7.2, 46.5}, "datetime": "2024-01-01/2024-01-31", "limit": 5}
	// cells 5..7 × 45..46 = 6 cells, dates Jan 1, 6, 11, 16, 21, 26, 31 = 7 dates
	const want = 42
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			u := hs.URL + "/stac/search?collections=synthetic-s2&bbox=5.5,45.5,7.2,46.5&datetime=2024-01-01/2024-01-31&limit=5"
			var body map[string]any
			if method == "POST" {
				u, body = hs.URL+"/stac/search", q
			}
			seen := map[string]bool{}
			for pages := 0; u != ""; pages++ {
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				var p page
				if code := getJSON(t, method, u, body, &p); code != 200 {
					t.Fatalf("%s %s: %d", method, u, code)
				}
				if p.NumberMatched != want {
					t.Fatalf("numberMatched %d", p.NumberMatched)
				}
				for _, f := range p.Features {
					if seen[f.ID] {
						t.Fatalf("%s twice", f.ID)
					}
					seen[f.ID] = true
				}
				var m string
				u, m, body = next(p)
				if u != "" && m != method {
					t.Fatalf("next link method %q", m)
				}
			}
			if len(seen) != want || !seen["S2SYN_N46E007_20240131"] || !seen["S2SYN_N45E005_20240101"] {
				t.Fatalf("%d items", len(seen))
			}
		})
	}
}

func TestSearchRefusesFilter(t *testing.T) {
	hs := serve(t)
	var p map[string]any
	if code := getJSON(t, "POST", hs.URL+"/stac/search", map[string]any{"filter": map[string]any{}}, &p); code != 400 {
		t.Fatalf("status %d", code)
	}
}

// An item's COG assets are served by range with an ETag, and the reflectances agree
// with the truth mask: water has a positive NDWI, land a negative one.
func TestAssetsAgreeWithTruth(t *testing.T) {
	hs := serve(t)
	var item struct {
		ID     string `json:"id"`
		Assets map[string]struct{ Href string }
	}
	if code := getJSON(t, "GET", hs.URL+"/stac/collections/synthetic-s2/items/S2SYN_N45E006_20240106", nil, &item); code != 200 {
		t.Fatalf("item %d", code)
	}
	ctx := context.Background()
	read := func(asset string) *cog.Image {
		src := &cog.HTTPSource{URL: item.Assets[asset].Href}
		f, err := cog.Open(ctx, src, nil)
		if err != nil {
			t.Fatal(err)
		}
		img, err := f.ReadBounds(ctx, 0, [4]float64{6.1, 45.1, 6.15, 45.15})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	green, nir, truth := read("green"), read("nir"), read("truth")
	water, wrong := 0, 0
	for i, tv := range truth.Data {
		ndwi := (green.Data[i] - nir.Data[i]) / (green.Data[i] + nir.Data[i])
		if tv == 1 {
			water++
		}
		if (ndwi > 0) != (tv == 1) {
			wrong++
		}
	}
	t.Logf("%d pixels, %d water, %d disagree", len(truth.Data), water, wrong)
	if wrong > len(truth.Data)/1000 {
		t.Fatalf("%d of %d pixels disagree with the truth", wrong, len(truth.Data))
	}
	resp, err := http.Head(item.Assets["green"].Href)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("ETag") == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("headers %v", resp.Header)
	}
}

// Somewhere in a few cells there is water, and not everywhere.
func TestWaterFraction(t *testing.T) {
	api := synthstac.New(func(*http.Request) string { return "" })
	for _, id := range []string{"S2SYN_N45E006_20240106", "S2SYN_S12W060_20250609"} {
		v, err := api.File(id, "truth")
		if err != nil {
			t.Fatal(err)
		}
		f, err := cog.Open(context.Background(), &cog.ReaderAtSource{R: v, Label: id}, nil)
		if err != nil {
			t.Fatal(err)
		}
		li := len(f.Levels) - 1
		l := f.Levels[li]
		img, err := f.Read(context.Background(), li, 0, 0, l.Width, l.Height)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, x := range img.Data {
			sum += float64(x)
		}
		frac := sum / float64(len(img.Data))
		t.Logf("%s: %.1f%% water", id, 100*frac)
		if frac < 0.03 || frac > 0.5 || math.IsNaN(frac) {
			t.Fatalf("%s: water fraction %v", id, frac)
		}
	}
	if _, err := api.File("S2SYN_N45E006_20240103", "truth"); err == nil {
		t.Fatal("a date off the 5-day grid was accepted")
	}
	_ = fmt.Sprint()
}
