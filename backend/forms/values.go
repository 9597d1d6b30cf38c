package forms

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// Values are the state of a form: what the user entered.
type Values struct {
	// Inputs are the occurrences of each input, by input id.
	Inputs map[string][]Occurrence
	// Outputs are the output choices, by output id.
	Outputs map[string]OutputChoice
	// Mode is ogcapi.AsyncExecute or ogcapi.SyncExecute.
	Mode string
}

// Occurrence is one value of an input.
type Occurrence struct {
	Value string            // the value as text (JSON for JSON, bbox and GeoJSON fields; base64 for binary)
	Props map[string]string // the property values of an object field
	Ref   bool              // given by reference: Href holds the URL
	Href  string
	Media string // the chosen media type of a mixed-format input
	// FileName is the name of the file a binary value was read from, shown beside it
	// (the browser's file control forgets it when the form is drawn again).
	FileName string
}

// empty reports an occurrence the user left blank.
func (o Occurrence) empty() bool {
	if o.Ref {
		return strings.TrimSpace(o.Href) == ""
	}
	if strings.TrimSpace(o.Value) != "" {
		return false
	}
	for _, v := range o.Props {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// OutputChoice is what the user chose for one output.
type OutputChoice struct {
	Include      bool
	Transmission string // "" for the server's default
	Format       string // media type, "" for the default
}

// Names of the form controls. Inputs and outputs are named by position, never by id:
// ids come from the server and may hold any character.

// Name is the name of occurrence n's control part ("v", "src", "href", "media",
// and for a binary field "file" and "fname").
func (f Field) Name(n int, part string) string {
	return "i" + strconv.Itoa(f.Index) + "." + strconv.Itoa(n) + "." + part
}

// PropName is the name of property p's control in occurrence n of an object field.
func (f Field) PropName(n int, p Field) string {
	return f.Name(n, "p"+strconv.Itoa(p.Index))
}

// RowsName is the name of the hidden control holding the number of occurrences.
func (f Field) RowsName() string { return "i" + strconv.Itoa(f.Index) + ".rows" }

// ControlID is the HTML id of occurrence n's value control (the map component's "for").
func (f Field) ControlID(n int) string {
	return "f-i" + strconv.Itoa(f.Index) + "-" + strconv.Itoa(n)
}

// PropID is the HTML id of a property control.
func (f Field) PropID(n int, p Field) string {
	return f.ControlID(n) + "-p" + strconv.Itoa(p.Index)
}

// Name is the name of an output's control part ("on", "tm", "fmt").
func (o Output) Name(part string) string { return "o" + strconv.Itoa(o.Index) + "." + part }

// ControlID is the HTML id of an output's control part.
func (o Output) ControlID(part string) string { return "f-o" + strconv.Itoa(o.Index) + "-" + part }

// Mode names and control names outside fields.
const (
	ModeName    = "mode"
	SubmittedAs = "form" // hidden control present in every submitted form
)

// maxRows bounds the rows a submitted form may claim (a hostile or broken client).
const maxRows = 1000

// Defaults are the values of a fresh form: defaults prefilled, the minimum number of
// rows, every output included, the first allowed mode.
func (f *Form) Defaults() Values {
	v := Values{Inputs: map[string][]Occurrence{}, Outputs: map[string]OutputChoice{}}
	for _, fl := range f.Fields {
		var occ []Occurrence
		switch {
		case len(fl.Defaults) > 0:
			for _, d := range fl.Defaults {
				occ = append(occ, Occurrence{Value: d})
			}
		default:
			o := Occurrence{Value: fl.Default}
			if fl.Kind == KindObject {
				o.Props = map[string]string{}
				for _, p := range fl.Props {
					o.Props[p.ID] = p.Default
				}
			}
			occ = append(occ, o)
			for len(occ) < fl.Min {
				occ = append(occ, Occurrence{})
			}
		}
		if len(fl.MediaTypes) > 0 {
			for i := range occ {
				occ[i].Media = fl.MediaTypes[0]
			}
		}
		v.Inputs[fl.ID] = occ
	}
	for _, o := range f.Outputs {
		v.Outputs[o.ID] = OutputChoice{Include: true}
	}
	if len(f.Modes) > 0 {
		v.Mode = f.Modes[0]
	}
	return v
}

// Parse reads submitted form controls. files holds uploaded file contents by control
// name (a binary field's "file" part); an upload replaces the field's value.
func (f *Form) Parse(form url.Values, files map[string][]byte) Values {
	v := Values{Inputs: map[string][]Occurrence{}, Outputs: map[string]OutputChoice{}, Mode: form.Get(ModeName)}
	for _, fl := range f.Fields {
		rows := 1
		if fl.Many() {
			if n, err := strconv.Atoi(form.Get(fl.RowsName())); err == nil && n >= 0 {
				rows = min(n, maxRows)
			}
		}
		occ := make([]Occurrence, 0, rows)
		for n := 0; n < rows; n++ {
			o := Occurrence{
				Value: form.Get(fl.Name(n, "v")),
				Ref:   form.Get(fl.Name(n, "src")) == "ref",
				Href:  strings.TrimSpace(form.Get(fl.Name(n, "href"))),
				Media: form.Get(fl.Name(n, "media")),
			}
			if fl.Kind == KindBinary {
				o.FileName = form.Get(fl.Name(n, "fname"))
			}
			if b, ok := files[fl.Name(n, "file")]; ok && len(b) > 0 {
				o.Value = base64.StdEncoding.EncodeToString(b)
			}
			if fl.Kind == KindObject {
				o.Props = map[string]string{}
				for _, p := range fl.Props {
					o.Props[p.ID] = form.Get(fl.PropName(n, p))
				}
			}
			occ = append(occ, o)
		}
		v.Inputs[fl.ID] = occ
	}
	for _, o := range f.Outputs {
		v.Outputs[o.ID] = OutputChoice{Include: form.Get(o.Name("on")) != "",
			Transmission: form.Get(o.Name("tm")), Format: form.Get(o.Name("fmt"))}
	}
	return v
}

// AddRow adds an empty occurrence to a multi-value input, up to its maximum.
func (f *Form) AddRow(v Values, id string) {
	fl, ok := f.Field(id)
	if !ok || !fl.Many() || (fl.Max != Unbounded && len(v.Inputs[id]) >= fl.Max) || len(v.Inputs[id]) >= maxRows {
		return
	}
	o := Occurrence{}
	if len(fl.MediaTypes) > 0 {
		o.Media = fl.MediaTypes[0]
	}
	v.Inputs[id] = append(v.Inputs[id], o)
}

// RemoveRow removes occurrence n of an input, keeping at least its minimum (and one row).
func (f *Form) RemoveRow(v Values, id string, n int) {
	occ := v.Inputs[id]
	fl, ok := f.Field(id)
	if !ok || n < 0 || n >= len(occ) || len(occ) <= max(fl.Min, 1) {
		return
	}
	v.Inputs[id] = append(occ[:n:n], occ[n+1:]...)
}
