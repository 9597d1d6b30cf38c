package cwl

import "encoding/json"

// ContainersAsHints returns the document as JSON with every DockerRequirement listed
// under a process's requirements moved to its hints, and whether there was one.
// cwltool --no-container refuses to run a process that requires a container, and
// ignores a hinted one: running a package with the tools installed on this computer
// takes the container as a hint.
func (d *Document) ContainersAsHints() ([]byte, bool) {
	var root any
	if err := json.Unmarshal(d.Canonical(), &root); err != nil {
		return d.Canonical(), false
	}
	moved := false
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if dock, ok := takeDocker(t); ok {
				addHint(t, dock)
				moved = true
			}
			for _, e := range t {
				walk(e)
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(root)
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return d.Canonical(), false
	}
	return b, moved
}

// takeDocker removes the DockerRequirement from m's requirements (a list of objects
// with a class, or a map by class) and returns it as an object with its class.
func takeDocker(m map[string]any) (map[string]any, bool) {
	switch reqs := m["requirements"].(type) {
	case []any:
		for i, r := range reqs {
			if rm, ok := r.(map[string]any); ok && str(rm["class"]) == "DockerRequirement" {
				m["requirements"] = append(reqs[:i:i], reqs[i+1:]...)
				return rm, true
			}
		}
	case map[string]any:
		if r, ok := reqs["DockerRequirement"]; ok {
			delete(reqs, "DockerRequirement")
			rm, _ := r.(map[string]any)
			out := map[string]any{"class": "DockerRequirement"}
			for k, v := range rm {
				out[k] = v
			}
			return out, true
		}
	}
	return nil, false
}

// addHint adds a requirement object (with its class) to m's hints, in their form.
func addHint(m, req map[string]any) {
	switch hints := m["hints"].(type) {
	case map[string]any:
		body := map[string]any{}
		for k, v := range req {
			if k != "class" {
				body[k] = v
			}
		}
		hints[str(req["class"])] = body
	case []any:
		m["hints"] = append(hints, req)
	default:
		m["hints"] = []any{req}
	}
}
