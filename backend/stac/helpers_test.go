package stac

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zooInline is the STAC ItemCollection inside the ZOO job results document.
func zooInline(t *testing.T) []byte {
	t.Helper()
	var res struct {
		StacCatalog struct {
			Value json.RawMessage `json:"value"`
		} `json:"stac_catalog"`
	}
	if err := json.Unmarshal(readFile(t, "job-results.stac_catalog-inline.json"), &res); err != nil {
		t.Fatal(err)
	}
	return res.StacCatalog.Value
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
