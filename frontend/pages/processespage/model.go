package processespage

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/geojobs/geojobs/backend/forms"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/processes"
	"github.com/geojobs/geojobs/backend/store"
)

// ListModel is the process list of the selected endpoint.
type ListModel struct {
	Endpoints []store.Endpoint
	Endpoint  store.Endpoint
	Search    string
	Page      processes.ProcessPage
	// ErrTitle/ErrDetail say why the list could not be read (the page still renders).
	ErrTitle, ErrDetail string
	CanDeploy           bool
}

// DetailModel is one process described.
type DetailModel struct {
	Endpoint  store.Endpoint
	Process   *ogcapi.Process
	Inputs    []InputDoc
	Outputs   []OutputDoc
	CanDeploy bool // the endpoint declares Part 2 (deploy, replace, undeploy)
}

// UndeployModel is the question asked before undeploying a process.
type UndeployModel struct {
	Endpoint store.Endpoint
	Process  *ogcapi.Process
}

// InputDoc documents one input.
type InputDoc struct {
	ID, Title, Description string
	Type                   string
	Occurs                 string
	Required               bool
	Formats                []string
	Default                string
	AOI                    bool
}

// OutputDoc documents one output.
type OutputDoc struct {
	ID, Title, Description string
	Type                   string
	Formats                []string
}

// DeployModel is the deploy (or replace) page.
type DeployModel struct {
	Endpoint store.Endpoint
	Replace  string // the process to replace; "" to deploy a new one
	Source   string // "file", "text" or "url"
	Text     string
	URL      string
	Workflow string
	FileName string

	Preview       *ogcapi.Process
	PreviewInputs []InputDoc
	PreviewOuts   []OutputDoc

	Deployed *ogcapi.ProcessSummary // the server's answer to a deploy
	Replaced bool

	ErrTitle, ErrDetail string
	Caps                ogcapi.Capabilities
	CapsErr             string
}

// Docs documents the inputs and outputs of p, in id order.
func Docs(p *ogcapi.Process) ([]InputDoc, []OutputDoc) {
	f := forms.New(p)
	ins := make([]InputDoc, 0, len(f.Fields))
	for _, fl := range f.Fields {
		d := InputDoc{ID: fl.ID, Title: fl.Title, Description: fl.Description, Type: typeOf(fl),
			Occurs: occurs(fl), Required: fl.Required, Formats: fl.MediaTypes, AOI: fl.AOI != ""}
		if d.Title == d.ID {
			d.Title = ""
		}
		d.Default = fl.Default
		if len(fl.Defaults) > 0 {
			d.Default = strings.Join(fl.Defaults, ", ")
		}
		ins = append(ins, d)
	}
	outs := make([]OutputDoc, 0, len(f.Outputs))
	for _, o := range f.Outputs {
		outs = append(outs, OutputDoc{ID: o.ID, Title: o.Title, Description: o.Description,
			Type: outputType(p.Outputs[o.ID].Schema), Formats: o.MediaTypes})
	}
	return ins, outs
}

func typeOf(fl forms.Field) string {
	switch fl.Kind {
	case forms.KindEnum:
		return "one of: " + strings.Join(fl.Enum, " | ")
	case forms.KindNumber, forms.KindInteger:
		t := string(fl.Kind)
		switch {
		case fl.Minimum != "" && fl.Maximum != "":
			t += fmt.Sprintf(" %s%s … %s%s", bracket(fl.ExclMin, "(", "["), fl.Minimum, fl.Maximum, bracket(fl.ExclMax, ")", "]"))
		case fl.Minimum != "":
			t += " " + bracket(fl.ExclMin, "> ", "≥ ") + fl.Minimum
		case fl.Maximum != "":
			t += " " + bracket(fl.ExclMax, "< ", "≤ ") + fl.Maximum
		}
		return t
	case forms.KindDate:
		return "string (date)"
	case forms.KindDateTime:
		return "string (date-time)"
	case forms.KindEmail:
		return "string (email)"
	case forms.KindURI:
		return "string (URI)"
	case forms.KindList:
		return "array of " + string(fl.ItemKind)
	case forms.KindObject:
		return "object"
	case forms.KindJSON:
		return "JSON"
	case forms.KindBBox:
		return "bounding box"
	case forms.KindGeoJSON:
		if fl.AOI == forms.AOIFeature {
			return "GeoJSON feature"
		}
		return "GeoJSON geometry"
	case forms.KindBinary:
		return "binary (base64)"
	case forms.KindBoolean:
		return "boolean"
	}
	if fl.AOI != "" {
		return "string (bbox: minx,miny,maxx,maxy)"
	}
	return "string"
}

func bracket(excl bool, a, b string) string {
	if excl {
		return a
	}
	return b
}

func occurs(fl forms.Field) string {
	max := strconv.Itoa(fl.Max)
	if fl.Max == forms.Unbounded {
		max = "∞"
	}
	switch {
	case fl.Min == 1 && fl.Max == 1:
		return "1"
	case fl.Min == fl.Max:
		return strconv.Itoa(fl.Min)
	}
	return strconv.Itoa(fl.Min) + " … " + max
}

func outputType(raw json.RawMessage) string {
	var s struct {
		Type             string `json:"type"`
		Format           string `json:"format"`
		ContentMediaType string `json:"contentMediaType"`
		OneOf            []json.RawMessage
	}
	_ = json.Unmarshal(raw, &s)
	t := s.Type
	if t == "" && len(s.OneOf) > 0 {
		parts := make([]string, 0, len(s.OneOf))
		for _, o := range s.OneOf {
			parts = append(parts, outputType(o))
		}
		t = strings.Join(parts, " | ")
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if s.ContentMediaType != "" {
		t += " · " + s.ContentMediaType
	}
	if t == "" {
		t = "any"
	}
	return t
}

// Paths.

// endpointURL is the endpoint's page (its settings and connection test).
func endpointURL(endpointID string) string { return "/endpoints/" + url.PathEscape(endpointID) }

func detailURL(endpointID, processID string) string {
	return "/endpoints/" + url.PathEscape(endpointID) + "/processes/" + url.PathEscape(processID)
}

func executeURL(endpointID, processID string) string {
	return detailURL(endpointID, processID) + "/execute"
}

func deployURL(endpointID, replace string) string {
	u := "/endpoints/" + url.PathEscape(endpointID) + "/deploy"
	if replace != "" {
		u += "?replace=" + url.QueryEscape(replace)
	}
	return u
}

func listURL(endpointID, search string, page int) string {
	q := url.Values{"endpoint": {endpointID}}
	if search != "" {
		q.Set("q", search)
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return "/processes?" + q.Encode()
}

func modeLabel(m string) string {
	switch m {
	case ogcapi.SyncExecute:
		return "sync"
	case ogcapi.AsyncExecute:
		return "async"
	}
	return m
}

func (m DeployModel) title() string {
	if m.Replace != "" {
		return "Replace " + m.Replace
	}
	return "Deploy an application package"
}

func (m DeployModel) source(s string) bool {
	if m.Source == "" {
		return s == "file"
	}
	return m.Source == s
}

// relLabel is a link relation as a word: the last part of an OGC relation URI
// ("http://www.opengis.net/def/rel/ogc/1.0/execute" is "execute"), or the relation itself.
func relLabel(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); strings.HasPrefix(rel, "http") && i >= 0 && i < len(rel)-1 {
		return rel[i+1:]
	}
	return rel
}
