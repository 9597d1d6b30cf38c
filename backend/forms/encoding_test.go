package forms

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

func TestEncodingNotes(t *testing.T) {
	var p ogcapi.Process
	if err := json.Unmarshal([]byte(`{"id": "p", "version": "1", "inputs": {
		"refs": {"schema": {"type": "string"}, "maxOccurs": "unbounded"},
		"bands": {"schema": {"type": "array", "items": {"type": "string"}}},
		"params": {"schema": {"type": "object"}},
		"many": {"schema": {"type": "object"}, "maxOccurs": 3},
		"area": {"schema": {"allOf": [{"format": "ogc-bbox"}, {"$ref": "../../openapi/schemas/bbox.yaml"}]}},
		"name": {"schema": {"type": "string"}}}}`), &p); err != nil {
		t.Fatal(err)
	}
	notes := func(inputs string) string {
		var ex ogcapi.Execute
		if err := json.Unmarshal([]byte(`{"inputs": `+inputs+`}`), &ex); err != nil {
			t.Fatal(err)
		}
		return strings.Join(EncodingNotes(&p, &ex), "\n")
	}
	for _, tc := range []struct{ inputs, want string }{
		{`{"refs": "https://a/1"}`, `input "refs" takes several values (maxOccurs unbounded): the standard sends them as a JSON array, even one; sent as written`},
		{`{"params": {"a": 1}}`, `input "params" is an object: the standard sends it as {"value": {…}}; sent as written`},
		{`{"many": [{"value": {"a": 1}}, {"a": 2}]}`, `input "many" is an object`},
		// As the standard has them: no note.
		{`{"refs": ["https://a/1"], "bands": ["b1"], "params": {"value": {"a": 1}}, "area": {"bbox": [1, 2, 3, 4]}, "name": "x"}`, ``},
		{`{"params": {"href": "https://a/p.json"}, "many": [{"value": {}}]}`, ``},
	} {
		if got := notes(tc.inputs); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: notes %q, want %q", tc.inputs, got, tc.want)
		}
	}
	// ZOO's water-bodies request (arrays for inputs described as one string) is left alone.
	var zoo ogcapi.Process
	b, err := os.ReadFile("../ogcapi/testdata/zoo/process-description.water-bodies.json")
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &zoo)
	var ex ogcapi.Execute
	b, _ = os.ReadFile("../ogcapi/testdata/zoo/execute-request.water-bodies.sentinel2.json")
	json.Unmarshal(b, &ex)
	if n := EncodingNotes(&zoo, &ex); len(n) != 0 {
		t.Errorf("water-bodies: %q", n)
	}
}
