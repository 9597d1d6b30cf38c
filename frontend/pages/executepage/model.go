package executepage

import (
	"github.com/geojobs/geojobs/backend/prefs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Model is the execution form of one process.
type Model struct {
	// Map holds the map preferences (online tiles, AOI size warning).
	Map      prefs.Prefs
	Endpoint store.Endpoint
	Process  *ogcapi.Process
	Form     *forms.Form
	Values   forms.Values
	Problems forms.Problems
	// Notice is a short success message ("The request is valid.").
	Notice   string
	Warnings []string
	// ImportErr says why an imported request could not be read.
	ImportErr string
	// SubmitErr/SubmitDetail say why the server refused the job; JobID names the
	// stored (failed) job when there is one.
	SubmitErr, SubmitDetail string
	JobID                   string
	Export                  *Export
	// Batch is the "Run as a batch" card (batch.go).
	Batch BatchState
	// FindItems offers "Find items" next to inputs that take STAC items (finder.go).
	FindItems bool
}

// Export is the form as an execute request and as commands.
type Export struct {
	JSON, Curl, Run string
	FileName        string
	// Token is whether Curl sends $GEOJOBS_TOKEN (the endpoint needs credentials).
	Token bool
}

// execMode is the execution mode the form asked for (ogcapi.SyncExecute or
// ogcapi.AsyncExecute; empty: the process's choice).
func execMode(jobControl string) ogcapi.Mode {
	switch jobControl {
	case ogcapi.SyncExecute:
		return ogcapi.Sync
	case ogcapi.AsyncExecute:
		return ogcapi.Async
	}
	return ogcapi.Auto
}

func (m Model) action() string {
	return "/endpoints/" + url.PathEscape(m.Endpoint.ID) + "/processes/" + url.PathEscape(m.Process.ID) + "/execute"
}

func (m Model) detailURL() string {
	return "/endpoints/" + url.PathEscape(m.Endpoint.ID) + "/processes/" + url.PathEscape(m.Process.ID)
}

func (m Model) listURL() string { return "/processes?endpoint=" + url.QueryEscape(m.Endpoint.ID) }

func (m Model) title() string {
	if m.Process.Title != "" {
		return m.Process.Title
	}
	return m.Process.ID
}

// rows are the occurrences shown for a field: at least one.
func (m Model) rows(fl forms.Field) []forms.Occurrence {
	occ := m.Values.Inputs[fl.ID]
	if len(occ) == 0 {
		o := forms.Occurrence{}
		if len(fl.MediaTypes) > 0 {
			o.Media = fl.MediaTypes[0]
		}
		occ = []forms.Occurrence{o}
	}
	return occ
}

func (m Model) canAdd(fl forms.Field) bool {
	return fl.Many() && (fl.Max == forms.Unbounded || len(m.Values.Inputs[fl.ID]) < fl.Max)
}

func (m Model) canRemove(fl forms.Field) bool {
	return fl.Many() && len(m.Values.Inputs[fl.ID]) > max(fl.Min, 1)
}

func (m Model) problemCount() int { return len(m.Problems) }

// onMap reports whether value n of fl is an area of interest shown on a map (given
// in-line, not by reference): the map says the value's problems.
func (m Model) onMap(fl forms.Field, n int) bool {
	rows := m.rows(fl)
	return fl.AOI != "" && n < len(rows) && !rows[n].Ref
}

// inputProblems are the problems of input fl as a whole, said above its values. Those
// of a single area of interest on a map are the map's to say (rowProblems): the map
// checks the same text as it is typed, and one problem is said once (F-17).
func (m Model) inputProblems(fl forms.Field) []string {
	if !fl.Many() && m.onMap(fl, 0) {
		return nil
	}
	return m.Problems.Of(fl.ID, -1)
}

// rowProblems are the problems of value n of fl, with those of the whole input when
// the map of its single value says them.
func (m Model) rowProblems(fl forms.Field, n int) []string {
	ps := m.Problems.Of(fl.ID, n)
	if n == 0 && !fl.Many() && m.onMap(fl, 0) {
		ps = append(m.Problems.Of(fl.ID, -1), ps...)
	}
	return ps
}

func (m Model) output(o forms.Output) forms.OutputChoice { return m.Values.Outputs[o.ID] }

// refable: kinds that may be given by reference in the form (the others are small
// literals nobody links to).
func refable(fl forms.Field) bool {
	switch fl.Kind {
	case forms.KindText, forms.KindURI, forms.KindJSON, forms.KindGeoJSON, forms.KindBinary, forms.KindList:
		return fl.ByRef
	}
	return false
}

func fieldID(fl forms.Field) string { return "in-" + strconv.Itoa(fl.Index) }

func addOp(fl forms.Field) string { return "add:" + strconv.Itoa(fl.Index) }

func removeOp(fl forms.Field, n int) string {
	return "remove:" + strconv.Itoa(fl.Index) + ":" + strconv.Itoa(n)
}

// dateTimeLocal shows an RFC 3339 value in a datetime-local control (UTC).
func dateTimeLocal(v string) string {
	if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v)); err == nil {
		return t.UTC().Format("2006-01-02T15:04:05")
	}
	return v
}

func kindHint(fl forms.Field) string {
	switch fl.Kind {
	case forms.KindNumber, forms.KindInteger:
		h := "An integer"
		if fl.Kind == forms.KindNumber {
			h = "A number"
		}
		if fl.Minimum != "" {
			if fl.ExclMin {
				h += " greater than " + fl.Minimum
			} else {
				h += " from " + fl.Minimum
			}
		}
		if fl.Maximum != "" {
			if fl.ExclMax {
				h += " less than " + fl.Maximum
			} else if fl.Minimum != "" {
				h += " to " + fl.Maximum
			} else {
				h += " up to " + fl.Maximum
			}
		}
		return h + "."
	case forms.KindList:
		return "Several " + string(fl.ItemKind) + " values, separated by commas (or a JSON array)."
	}
	return kindText(fl, hints)
}

func placeholder(fl forms.Field) string { return kindText(fl, placeholders) }

// bboxText keys the texts of an area of interest given as a bbox string (a text input
// the map fills), which has no kind of its own.
const bboxText forms.Kind = "aoi:" + forms.AOIBBoxString

// kindText is the text of fl's kind in texts, or of a bbox string (bboxText).
func kindText(fl forms.Field, texts map[forms.Kind]string) string {
	if t, ok := texts[fl.Kind]; ok {
		return t
	}
	if fl.AOI == forms.AOIBBoxString {
		return texts[bboxText]
	}
	return ""
}

// hints explain the values of an input's kind.
var hints = map[forms.Kind]string{
	forms.KindBBox:     `minx,miny,maxx,maxy in degrees (CRS84), or {"bbox": […], "crs": "…"}; or draw it on the map.`,
	forms.KindGeoJSON:  "GeoJSON; or draw it on the map.",
	forms.KindJSON:     "A JSON value.",
	forms.KindDateTime: "Date and time in UTC.",
	forms.KindBinary:   "Choose a file; it is sent base64-encoded.",
	bboxText:           "minx,miny,maxx,maxy in degrees; or draw it on the map.",
}

// placeholders are examples of the values of an input's kind.
var placeholders = map[forms.Kind]string{
	forms.KindBBox:    `{"bbox": [5.9, 45.8, 10.5, 47.8], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}`,
	forms.KindGeoJSON: `{"type": "Polygon", "coordinates": [[[…]]]}`,
	forms.KindJSON:    `{ }`,
	forms.KindList:    "a, b, c",
	forms.KindURI:     "https://",
	bboxText:          "minx,miny,maxx,maxy",
}

func jsonRows(fl forms.Field) string {
	if fl.Kind == forms.KindBBox {
		return "3"
	}
	return "6"
}

func transmissionLabel(t string) string {
	switch t {
	case ogcapi.TransmissionValue:
		return "by value"
	case ogcapi.TransmissionReference:
		return "by reference"
	}
	return t
}

func modeLabel(m string) string {
	if m == ogcapi.SyncExecute {
		return "Synchronous: wait for the results"
	}
	return "Asynchronous: run as a job"
}

// fileStatus says what a binary field holds: the file's name (when known) and size.
func fileStatus(o forms.Occurrence) string {
	size := b64Size(o.Value)
	switch {
	case size == "":
		return "No file yet."
	case o.FileName != "":
		return o.FileName + " · " + size
	}
	return size
}

func b64Size(v string) string {
	n := len(strings.TrimRight(strings.Join(strings.Fields(v), ""), "=")) * 3 / 4
	switch {
	case n == 0:
		return ""
	case n < 1024:
		return strconv.Itoa(n) + " bytes loaded"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KiB loaded"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB loaded"
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// propInputMode is the on-screen keyboard of a number property.
func propInputMode(p forms.Field) string {
	if p.Kind == forms.KindInteger {
		return "numeric"
	}
	return "decimal"
}
