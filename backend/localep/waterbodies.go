package localep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/geojobs/geojobs/backend/cog"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/waterbodies"
)

// waterBodiesProcess is the EOAP water-bodies application in Go (package
// waterbodies), with the same inputs and output as the application package deployed
// on ZOO-Project-DRU.
func waterBodiesProcess() *process {
	return &process{
		builtin: true, yields: true, run: runWaterBodies,
		desc: ogcapi.Process{
			ProcessSummary: ogcapi.ProcessSummary{
				ID: "water-bodies", Version: "1.0.0",
				DescriptionType: ogcapi.DescriptionType{
					Title: "Water bodies detection based on NDWI and otsu threshold",
					Description: "For each STAC item: crops the green and near-infrared bands to the area of interest (reading only that " +
						"window of the COGs, by HTTP range requests), computes the NDWI and thresholds it with Otsu's method; returns " +
						"the water masks as COGs in a STAC ItemCollection. The inputs are those of the EOAP water-bodies application " +
						"package. Try it on the items of this endpoint's STAC API (/stac/, collection synthetic-s2).",
					Keywords: []string{"water", "ndwi", "otsu", "eoap", "stac"},
				},
				JobControlOptions:  []string{ogcapi.AsyncExecute, ogcapi.Dismiss},
				OutputTransmission: []string{ogcapi.TransmissionValue, ogcapi.TransmissionReference},
			},
			Inputs: map[string]ogcapi.InputDescription{
				"aoi": {
					DescriptionType: ogcapi.DescriptionType{Title: "area of interest", Description: "area of interest as a bounding box: minx,miny,maxx,maxy"},
					Schema:          raw(`{"type":"string","pattern":"^\\s*-?[0-9.eE+-]+\\s*(,\\s*-?[0-9.eE+-]+\\s*){3}$"}`),
				},
				"epsg": {
					DescriptionType: ogcapi.DescriptionType{Title: "EPSG code", Description: "EPSG code of the area of interest"},
					MinOccurs:       intp(0),
					Schema:          raw(`{"type":"string","default":"EPSG:4326"}`),
				},
				"stac_items": {
					DescriptionType: ogcapi.DescriptionType{Title: "Sentinel-2 STAC items", Description: "list of Sentinel-2 COG STAC items"},
					Schema:          raw(`{"type":"array","minItems":1,"items":{"type":"string","format":"uri"}}`),
				},
				"bands": {
					DescriptionType: ogcapi.DescriptionType{Title: "bands used for the NDWI", Description: "bands used for the NDWI (green, then near infrared)"},
					MinOccurs:       intp(0),
					Schema:          raw(`{"type":"array","minItems":2,"maxItems":2,"items":{"type":"string"},"default":["green","nir"]}`),
				},
			},
			Outputs: map[string]ogcapi.OutputDescription{
				"stac_catalog": {
					DescriptionType: ogcapi.DescriptionType{Title: "STAC catalog", Description: "The water masks, one STAC item per input item (a GeoJSON FeatureCollection)."},
					Schema:          raw(`{"type":"object","contentMediaType":"application/geo+json"}`),
				},
			},
		},
	}
}

// stringList reads an array of strings, a single string, or the string "['a', 'b']"
// that ZOO-Project-DRU's descriptions give as the default of a CWL string[].
func stringList(v json.RawMessage) ([]string, error) {
	v = wrapUnwrap(v)
	var arr []string
	if json.Unmarshal(v, &arr) == nil {
		return arr, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("expected an array of strings")
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		for _, p := range strings.Split(s[1:len(s)-1], ",") {
			if p = strings.Trim(strings.TrimSpace(p), `'"`); p != "" {
				arr = append(arr, p)
			}
		}
		return arr, nil
	}
	return []string{s}, nil
}

func runWaterBodies(ctx context.Context, rc *runContext, inputs map[string]json.RawMessage) (map[string]outputValue, error) {
	var in waterbodies.Inputs
	if err := json.Unmarshal(wrapUnwrap(inputs["aoi"]), &in.AOI); err != nil {
		return nil, invalidParameter("input \"aoi\": expected a string minx,miny,maxx,maxy")
	}
	if v, ok := inputs["epsg"]; ok {
		if err := json.Unmarshal(wrapUnwrap(v), &in.EPSG); err != nil {
			return nil, invalidParameter("input \"epsg\": expected a string such as EPSG:4326")
		}
	}
	var err error
	if in.Items, err = stringList(inputs["stac_items"]); err != nil {
		return nil, invalidParameter("input \"stac_items\": %v", err)
	}
	if v, ok := inputs["bands"]; ok {
		if in.Bands, err = stringList(v); err != nil {
			return nil, invalidParameter("input \"bands\": %v", err)
		}
	}
	if _, err := waterbodies.ParseAOI(in.AOI); err != nil {
		return nil, invalidParameter("input \"aoi\": %v", err)
	}
	r := &waterbodies.Reader{Client: rc.s.client}
	rc.Logf("water-bodies: aoi %s (%s), bands %v, %d item(s)", in.AOI, orDefault(in.EPSG, "EPSG:4326"), in.Bands, len(in.Items))
	res, err := r.Detect(ctx, in, func(done, total int, msg string) {
		rc.Progress(done*90/total, fmt.Sprintf("item %d of %d", done+1, total))
		rc.Logf("%s", msg)
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	rc.Logf("read %d bytes in %d range requests", r.Meter.BytesRead.Load(), r.Meter.Requests.Load())
	rc.Progress(90, "writing the masks")
	var features []any
	for _, x := range res {
		name := safeFileName(x.Item.ID) + "-otsu.tif"
		info, err := rc.writeOutput(ctx, name, "image/tiff; application=geotiff; profile=cloud-optimized", func(w io.Writer) error {
			return waterbodies.WriteCOG(w, x.Mask, cog.Uint8)
		})
		if err != nil {
			return nil, err
		}
		rc.Logf("%s: %d×%d pixels, Otsu threshold %.3f, mask %s (%d bytes)", x.Item.ID, x.Mask.Width, x.Mask.Height, x.Threshold, name, info.Size)
		doc := waterbodies.ItemDoc(x, basePlaceholder+"jobs/"+rc.JobID()+"/outputs/"+name, info.Size)
		doc["assets"].(map[string]any)["data"].(map[string]any)["file:checksum"] = info.Checksum
		features = append(features, doc)
	}
	doc, err := json.Marshal(map[string]any{"value": zooShaped(map[string]any{"type": "FeatureCollection", "features": features}, rc.JobID())})
	if err != nil {
		return nil, err
	}
	return map[string]outputValue{"stac_catalog": {Doc: doc, MediaType: "application/geo+json", Rebase: true}}, nil
}

// safeFileName keeps letters, digits, '.', '_' and '-' of s.
func safeFileName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return strings.TrimLeft(string(b), ".")
}

// zooShaped gives a FeatureCollection of results the shape of ZOO-Project-DRU's
// stac_catalog: the collection's id is the job's. (ZOO's items also name a
// collection.json it writes next to them; the built-in endpoint writes no Collection,
// and STAC allows an item's collection field only with a link to it.)
func zooShaped(fc map[string]any, jobID string) map[string]any {
	fc["id"] = jobID
	return fc
}
