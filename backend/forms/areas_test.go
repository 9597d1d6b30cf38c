package forms

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func TestParseNumberDecimalComma(t *testing.T) {
	for in, want := range map[string]float64{"1.5": 1.5, "1,5": 1.5, "-0,25": -0.25, "3": 3, "1e3": 1000, "2,5e1": 25} {
		got, err := parseNumber(in)
		if err != nil || got != want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{"1,500": "ambiguous: write 1.500 (a decimal point) or 1500", "1.000,5": "one decimal point", "1,2,3": "one decimal point", "x": "not a number"} {
		if _, err := parseNumber(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseNumber(%q) error %v, want %q", in, err, want)
		}
	}
}

// The form refuses a swapped bbox, a bow-tie and a decimal comma in an integer; it
// sends 1.5 for "1,5" in a number, the geometry of a pasted FeatureCollection, and
// notes a box across the antimeridian (drawn as one on the job's map).
func TestBuildChecksAreasAndNumbers(t *testing.T) {
	p := echoProcess(t, localEndpoint(t))
	f := New(p)
	build := func(fv *formValues) (*Request, Problems) { return f.Build(f.Parse(fv.v, nil)) }

	_, probs := build(newValues(f).set("boundingBoxInput", 0, "v", "10.5, 47.8, 5.9, 45.8"))
	if got := probs.Of("boundingBoxInput", 0); len(got) != 1 || !strings.Contains(got[0], "minimum latitude 47.8 is above the maximum latitude 45.8") {
		t.Errorf("swapped bbox: %v", probs)
	}
	_, probs = build(newValues(f).set("geometryInput", 0, "v", `{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`))
	if got := probs.Of("geometryInput", 0); len(got) != 1 || !strings.Contains(got[0], "crosses itself") {
		t.Errorf("bow-tie: %v", probs)
	}
	_, probs = build(newValues(f).set("integerInput", 0, "v", "1,5"))
	if got := probs.Of("integerInput", 0); len(got) != 1 || !strings.Contains(got[0], `"1,5" is not an integer`) {
		t.Errorf("integer 1,5: %v", probs)
	}
	req, probs := build(newValues(f).set("numberInput", 0, "v", "1,5"))
	if len(probs) > 0 || string(req.Execute.Inputs["numberInput"]) != "1.5" {
		t.Errorf("number 1,5: sent %s, problems %v", req.Execute.Inputs["numberInput"], probs)
	}

	fc := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}]}`
	req, probs = build(newValues(f).set("geometryInput", 0, "v", fc))
	if len(probs) > 0 {
		t.Fatalf("feature collection of one: %v", probs)
	}
	var q struct {
		Value struct {
			Type string `json:"type"`
		} `json:"value"`
	}
	_ = json.Unmarshal(req.Execute.Inputs["geometryInput"], &q)
	if q.Value.Type != "Polygon" {
		t.Errorf("feature collection of one sent as %s", req.Execute.Inputs["geometryInput"])
	}
	two := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[5,5],[6,5],[6,6],[5,6],[5,5]]]}}]}`
	req, probs = build(newValues(f).set("geometryInput", 0, "v", two))
	_ = json.Unmarshal(req.Execute.Inputs["geometryInput"], &q)
	if len(probs) > 0 || q.Value.Type != "MultiPolygon" {
		t.Errorf("feature collection of two: sent %s, problems %v", req.Execute.Inputs["geometryInput"], probs)
	}

	req, probs = build(newValues(f).set("boundingBoxInput", 0, "v", "170,-10,-170,10"))
	if len(probs) > 0 || len(req.Notes) != 1 || !strings.Contains(req.Notes[0], "antimeridian") {
		t.Fatalf("antimeridian box: notes %q, problems %v", req.Notes, probs)
	}
	var g struct {
		Coordinates [][][2]float64 `json:"coordinates"`
	}
	_ = json.Unmarshal(req.AOI, &g)
	if g.Coordinates[0][1][0] != 190 {
		t.Errorf("antimeridian box drawn as %s, want it unrolled to 190", req.AOI)
	}
}

// CheckAreas holds a hand-written execute request to the form's rules.
func TestCheckAreas(t *testing.T) {
	p := echoProcess(t, localEndpoint(t))
	ex := &ogcapi.Execute{Inputs: map[string]json.RawMessage{
		"boundingBoxInput": json.RawMessage(`{"bbox":[10.5,47.8,5.9,45.8]}`),
		"geometryInput":    json.RawMessage(`{"value":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]},"mediaType":"application/geo+json"}`),
	}}
	probs, _ := CheckAreas(p, ex)
	if len(probs.Of("boundingBoxInput", -1)) != 1 || len(probs.Of("geometryInput", -1)) != 1 {
		t.Fatalf("problems %v", probs)
	}
	ex.Inputs = map[string]json.RawMessage{"boundingBoxInput": json.RawMessage(`{"bbox":[170,-10,-170,10]}`)}
	probs, notes := CheckAreas(p, ex)
	if len(probs) > 0 || len(notes) != 1 {
		t.Fatalf("antimeridian: %v %v", probs, notes)
	}
}

// Import names every value the form would not send, and why (F-11: seed "three" used
// to vanish without a word, size 99999 was only flagged at Check).
func TestImportNamesValuesNotTaken(t *testing.T) {
	c := localEndpoint(t)
	p, err := c.Process(t.Context(), "synthetic-scene")
	if err != nil {
		t.Fatal(err)
	}
	f := New(p)
	v, warnings, err := f.Import([]byte(`{"inputs":{"area":1,"aoi":{"bbox":[5,45,6,46]},"seed":"three","size":99999,"colour":"red"}}`))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(warnings, "\n")
	for _, want := range []string{`"area" is not an input`, `"colour" is not an input`, `"three" is not an integer. It was imported as it is`, `must be at most`} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if got := v.Inputs["seed"][0].Value; got != "three" {
		t.Errorf("seed imported as %q, want it kept as it is", got)
	}
}
