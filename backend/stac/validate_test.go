package stac

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestValidateFixtures(t *testing.T) {
	docs := map[string][]byte{"zoo inline results": zooInline(t)}
	for _, name := range []string{
		"stac-itemcollection.water-bodies.landsat.json", "itemcollection-sample-full.json",
		"core-item.json", "file-extension-item.json", "catalog.json", "collection.json",
	} {
		docs[name] = readFile(t, name)
	}
	// The 1.0.0 core item, moved to STAC 1.1.0, validates against the 1.1.0 schema.
	docs["core-item 1.1.0"] = bytes.Replace(readFile(t, "core-item.json"), []byte(`"1.0.0"`), []byte(`"1.1.0"`), 1)
	for name, doc := range docs {
		if err := Validate(doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateReportsPaths(t *testing.T) {
	item := `{"type":"Feature","stac_version":"1.0.0","id":"x","geometry":null,"properties":{"datetime":"2024-01-02T03:04:05Z"},"links":[],"assets":{"a":{"href":"a.tif"}}}`
	for _, tc := range []struct {
		name, doc string
		want      []string // paths with issues
	}{
		{"bad datetime", strings.Replace(item, "2024-01-02T03:04:05Z", "yesterday", 1), []string{"/properties/datetime"}},
		{"missing id", strings.Replace(item, `"id":"x",`, "", 1), []string{"/"}},
		{"asset without href", strings.Replace(item, `{"href":"a.tif"}`, `{"title":"A"}`, 1), []string{"/assets/a"}},
		{"version mismatch", strings.Replace(item, `"1.0.0"`, `"1.1.0"`, 1) + "", nil},
		{"file extension fields", strings.Replace(strings.Replace(item, `{"href":"a.tif"}`, `{"href":"a.tif","file:size":-1,"file:checksum":"XYZ"}`, 1),
			`"links"`, `"stac_extensions":["`+FileExtension+`"],"links"`, 1), []string{"/assets/a/file:size", "/assets/a/file:checksum"}},
		{"second feature of a collection", `{"type":"FeatureCollection","features":[` + item + `,` + strings.Replace(item, `"links":[]`, `"links":[{"rel":"self"}]`, 1) + `]}`,
			[]string{"/features/1/links/0"}},
		{"collection envelope", `{"type":"FeatureCollection","features":[],"numberMatched":-3}`, []string{"/numberMatched"}},
	} {
		err := Validate([]byte(tc.doc))
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want a ValidationError", tc.name, err)
			continue
		}
		for _, p := range tc.want {
			found := false
			for _, is := range ve.Issues {
				found = found || is.Path == p || (p == "/" && is.Path == "")
			}
			if !found {
				t.Errorf("%s: no issue at %s in %v", tc.name, p, ve.Issues)
			}
		}
		if !strings.Contains(err.Error(), tc.want[0]) {
			t.Errorf("%s: message %q does not name %s", tc.name, err, tc.want[0])
		}
	}
}

func TestValidateUnsupportedAndUnknown(t *testing.T) {
	old := `{"type":"Feature","stac_version":"0.9.0","id":"x","geometry":null,"properties":{"datetime":null},"links":[],"assets":{}}`
	if err := Validate([]byte(old)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("0.9.0: %v, want ErrUnsupported", err)
	}
	if err := Validate([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature"}]}`)); !errors.Is(err, ErrNotSTAC) {
		t.Errorf("features without stac_version: %v, want ErrNotSTAC", err)
	}
	// Extensions we do not ship are skipped, never fetched (the ZOO fixtures use projection
	// and raster, which would fail loudly here if the validator tried the network).
	const proj = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
	if KnownExtension(proj) || !KnownExtension(FileExtension) || KnownExtension("https://schemas.stacspec.org/v1.0.0/item-spec/json-schema/item.json") {
		t.Error("KnownExtension is wrong")
	}
	item := `{"type":"Feature","stac_version":"1.0.0","stac_extensions":["` + proj + `"],"id":"x","geometry":null,"properties":{"datetime":null,"start_datetime":"2020-01-01T00:00:00Z","end_datetime":"2020-01-02T00:00:00Z"},"links":[],"assets":{}}`
	if err := Validate([]byte(item)); err != nil {
		t.Error(err)
	}
}
