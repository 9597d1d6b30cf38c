package stac

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/spf13/afero"
)

func testJob() Job {
	t0 := time.Date(2025, 8, 20, 10, 0, 0, 0, time.UTC)
	return Job{
		ID: "68046976-7dcb", ProcessID: "water-bodies", Endpoint: "https://user:pw@zoo.example/acme/ogc-api",
		JobURL: "https://zoo.example/acme/ogc-api/jobs/68046976-7dcb", Created: t0, Started: t0.Add(time.Second), Finished: t0.Add(time.Minute),
		Outputs: []Output{
			{ID: "mask", Href: "https://zoo.example/results/mask.tif", MediaType: "image/tiff; application=geotiff", Title: "Water mask"},
			{ID: "area_km2", Inline: json.RawMessage(`12.5`)},
			{ID: "stats", Inline: json.RawMessage(`{"min":0,"max":1}`), MediaType: "application/json"},
			{ID: "outline", Inline: json.RawMessage(`{"type":"FeatureCollection","features":[]}`), MediaType: "application/geo+json"},
			{ID: "quick/look", Bytes: []byte("\x89PNG fake"), MediaType: "image/png", Title: "Quicklook"},
		},
	}
}

func TestJobItem(t *testing.T) {
	fsys := afero.NewMemMapFs()
	it, err := JobItem(testJob(), fsys, "/out/job1")
	if err != nil {
		t.Fatal(err)
	}
	doc := mustJSON(t, it)
	if err := Validate(doc); err != nil {
		t.Fatalf("JobItem output does not validate: %v\n%s", err, doc)
	}
	if ts, ok := it.Datetime(); !ok || !ts.Equal(testJob().Finished) {
		t.Errorf("datetime %v", ts)
	}
	if string(it.Geometry) != "null" || it.BBox != nil {
		t.Errorf("geometry %s bbox %v", it.Geometry, it.BBox)
	}
	if a := it.Assets["mask"]; a.Href != "https://zoo.example/results/mask.tif" || a.Title != "Water mask" || len(a.Roles) != 1 || a.Roles[0] != "data" {
		t.Errorf("mask asset %+v", a)
	}
	var outs map[string]any
	json.Unmarshal(it.Properties[PropOutputs], &outs)
	if outs["area_km2"] != 12.5 || outs["stats"] == nil || outs["outline"] != nil {
		t.Errorf("%s = %v", PropOutputs, outs)
	}
	if strings.Contains(string(doc), "pw@") {
		t.Error("endpoint credentials leaked into the item")
	}
	for key, want := range map[string]string{"quick/look": "quick_look.png", "outline": "outline.geojson"} {
		a, ok := it.Assets[key]
		if !ok || a.Href != "./"+want {
			t.Fatalf("asset %s: %+v", key, a)
		}
		data, err := afero.ReadFile(fsys, "/out/job1/"+want)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if n, _ := a.Size(); n != int64(len(data)) || a.Checksum() != multihash.Encode(multihash.SHA2_256, sum[:]) {
			t.Errorf("asset %s: size %d checksum %s", key, n, a.Checksum())
		}
	}
	if len(it.StacExtensions) != 1 || it.StacExtensions[0] != FileExtension {
		t.Errorf("stac_extensions %v", it.StacExtensions)
	}
	if len(it.Links) != 1 || it.Links[0].Rel != "via" {
		t.Errorf("links %+v", it.Links)
	}
}

func TestJobItemWithoutFiles(t *testing.T) {
	job := testJob()
	job.Outputs = job.Outputs[:2]
	job.Started, job.Created, job.JobURL = time.Time{}, time.Time{}, ""
	it, err := JobItem(job, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(mustJSON(t, it)); err != nil {
		t.Fatal(err)
	}
	if it.StacExtensions != nil || it.Properties["start_datetime"] != nil {
		t.Errorf("unexpected %v %s", it.StacExtensions, it.Properties["start_datetime"])
	}
}

func TestJobItemRejectsBadInput(t *testing.T) {
	for name, mod := range map[string]func(*Job){
		"no id":           func(j *Job) { j.ID = "" },
		"not finished":    func(j *Job) { j.Finished = time.Time{} },
		"duplicate":       func(j *Job) { j.Outputs = append(j.Outputs, Output{ID: "mask", Href: "x"}) },
		"empty output":    func(j *Job) { j.Outputs = append(j.Outputs, Output{ID: "z"}) },
		"bad inline json": func(j *Job) { j.Outputs = append(j.Outputs, Output{ID: "z", Inline: json.RawMessage(`{`)}) },
	} {
		job := testJob()
		mod(&job)
		if _, err := JobItem(job, afero.NewMemMapFs(), "/out"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := JobItem(testJob(), nil, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("inline bytes without fs: %v", err)
	}
}

// An output kept as a file is named by its media type the same way on every system
// (Go's table gives text/html .ehtml first, the system's tables may add others).
func TestJobItemFileExtensions(t *testing.T) {
	fsys := afero.NewMemMapFs()
	j := testJob()
	j.Outputs = []Output{
		{ID: "report", Bytes: []byte("<html></html>"), MediaType: "text/html; charset=utf-8"},
		{ID: "raster", Bytes: []byte("II*\x00"), MediaType: "image/tiff; application=geotiff"},
		{ID: "table", Bytes: []byte("a,b\n"), MediaType: "text/csv"},
	}
	it, err := JobItem(j, fsys, "/out")
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"report": "./report.html", "raster": "./raster.tif", "table": "./table.csv"} {
		if got := it.Assets[key].Href; got != want {
			t.Errorf("asset %s href %q, want %q", key, got, want)
		}
	}
}
