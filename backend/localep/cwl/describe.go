package cwl

import (
	"encoding/json"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

// Process returns the OGC process description of the workflow: CWL labels and docs
// become titles and descriptions, optional parameters and parameters with a default
// get minOccurs 0, CWL arrays become array schemas (one input value that is a JSON
// array), and File/Directory inputs are URI strings (hrefs to the data).
// Links, job control options and the mutable flag are left to the caller.
func (w *Workflow) Process() ogcapi.Process {
	version := w.Version
	if version == "" {
		version = "1.0.0"
	}
	p := ogcapi.Process{
		ProcessSummary: ogcapi.ProcessSummary{
			ID:              w.ID,
			Version:         version,
			DescriptionType: ogcapi.DescriptionType{Title: w.Label, Description: w.Doc},
		},
		Inputs:  map[string]ogcapi.InputDescription{},
		Outputs: map[string]ogcapi.OutputDescription{},
	}
	for _, in := range w.Inputs {
		schema := inputSchema(in.Type)
		if in.HasDefault {
			schema["default"] = in.Default
		}
		d := ogcapi.InputDescription{
			DescriptionType: ogcapi.DescriptionType{Title: in.Label, Description: in.Doc},
			Schema:          mustJSON(schema),
		}
		if in.Type.Optional || in.HasDefault {
			zero := 0
			d.MinOccurs = &zero
		}
		p.Inputs[in.ID] = d
	}
	for _, out := range w.Outputs {
		p.Outputs[out.ID] = ogcapi.OutputDescription{
			DescriptionType: ogcapi.DescriptionType{Title: out.Label, Description: out.Doc},
			Schema:          mustJSON(outputSchema(out.Type)),
		}
	}
	return p
}

// inputSchema is the OpenAPI 3.0 schema of a CWL input type.
func inputSchema(t Type) map[string]any {
	switch t.Name {
	case "string":
		return map[string]any{"type": "string"}
	case "int", "long":
		return map[string]any{"type": "integer"}
	case "float", "double":
		return map[string]any{"type": "number"}
	case "boolean":
		return map[string]any{"type": "boolean"}
	case "File", "Directory":
		return map[string]any{"type": "string", "format": "uri"}
	case "enum":
		syms := make([]any, len(t.Symbols))
		for i, s := range t.Symbols {
			syms[i] = s
		}
		return map[string]any{"type": "string", "enum": syms}
	case "array":
		return map[string]any{"type": "array", "items": inputSchema(*t.Items)}
	case "record":
		return map[string]any{"type": "object"}
	}
	return map[string]any{} // Any
}

// outputSchema describes what a run of the package returns: File and Directory
// outputs are STAC (an ItemCollection whose assets are the files, returned in-line as
// an object, or as a link), as ZOO-Project-DRU returns stac_catalog.
func outputSchema(t Type) map[string]any {
	switch t.Name {
	case "Directory", "File":
		return map[string]any{"type": "object", "contentMediaType": "application/json"}
	case "array":
		return map[string]any{"type": "array", "items": outputSchema(*t.Items)}
	}
	return inputSchema(t)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of plain values reach here
	}
	return b
}
