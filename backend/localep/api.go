package localep

import (
	"net/http"
)

// apiDoc is GET /api: a small OpenAPI 3.0 document listing the operations of the
// endpoint. It describes paths and responses, not every schema: the process
// descriptions at /processes/{id} are the authority on inputs and outputs.
func (s *Server) apiDoc(w http.ResponseWriter, r *http.Request) error {
	op := func(summary string, codes ...string) map[string]any {
		resp := map[string]any{}
		for _, c := range codes {
			resp[c] = map[string]any{"description": http.StatusText(atoi(c))}
		}
		return map[string]any{"summary": summary, "responses": resp}
	}
	idParam := func(name string) []any {
		return []any{map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}}}
	}
	withParams := func(m map[string]any, params []any) map[string]any { m["parameters"] = params; return m }
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       s.title,
			"version":     "1.0.0",
			"description": "OGC API – Processes Part 1: Core 1.0 (job list, dismiss) and Part 2: Deploy, Replace, Undeploy for CWL packages.",
		},
		"servers": []any{map[string]any{"url": s.baseURL(r)}},
		"paths": map[string]any{
			"/":            map[string]any{"get": op("Landing page", "200")},
			"/api":         map[string]any{"get": op("This API definition", "200")},
			"/conformance": map[string]any{"get": op("Conformance classes", "200")},
			"/processes": map[string]any{
				"get":  op("List processes (limit, next/prev links)", "200", "400"),
				"post": op("Deploy a CWL application package (application/cwl+yaml, application/cwl, application/cwl+json, application/ogcapppkg+json; w picks the workflow)", "201", "400", "403", "409", "415"),
			},
			"/processes/{processID}": withParams(map[string]any{
				"get":    op("Describe a process", "200", "404"),
				"put":    op("Replace a deployed process", "204", "400", "403", "404", "415"),
				"delete": op("Undeploy a deployed process", "204", "403", "404"),
			}, idParam("processID")),
			"/processes/{processID}/package":   withParams(map[string]any{"get": op("The deployed application package", "200", "404")}, idParam("processID")),
			"/processes/{processID}/execution": withParams(map[string]any{"post": op("Execute a process (Prefer: respond-async for a job)", "200", "201", "204", "400", "404", "500")}, idParam("processID")),
			"/jobs":                            map[string]any{"get": op("List jobs (processID, status, type, datetime, minDuration, maxDuration, limit)", "200", "400")},
			"/jobs/{jobID}": withParams(map[string]any{
				"get":    op("Job status", "200", "404"),
				"delete": op("Dismiss a job", "200", "404"),
			}, idParam("jobID")),
			"/jobs/{jobID}/results":          withParams(map[string]any{"get": op("Job results, or the failure of a failed job", "200", "204", "404", "500")}, idParam("jobID")),
			"/jobs/{jobID}/results/{output}": withParams(map[string]any{"get": op("One output, raw (the target of by-reference results)", "200", "404")}, append(idParam("jobID"), idParam("output")...)),
			"/jobs/{jobID}/log":              withParams(map[string]any{"get": op("The job's log (text/plain)", "200", "404")}, idParam("jobID")),
			"/jobs/{jobID}/outputs/{name}":   withParams(map[string]any{"get": op("An output file (HEAD, Range, ETag)", "200", "206", "304", "404")}, append(idParam("jobID"), idParam("name")...)),
		},
	}
	w.Header().Set("Content-Type", "application/vnd.oai.openapi+json;version=3.0")
	return writeJSONBody(w, http.StatusOK, doc)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
