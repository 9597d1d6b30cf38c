package localep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// runFunc runs a process for one job. inputs are the validated request inputs as sent
// (qualified values, references and arrays kept); missing optional inputs are absent.
// It must return promptly once ctx is done. An error that is a *problem keeps its
// status and type in the job's exception; any other error gives a 500 job failure
// whose message is the error text (processes write those messages for people).
type runFunc func(ctx context.Context, rc *runContext, inputs map[string]json.RawMessage) (map[string]outputValue, error)

// process is one process the endpoint offers: a built-in or a deployed package.
type process struct {
	desc ogcapi.Process // without links: they depend on the request
	run  runFunc
	// builtin processes are immutable (Part 2 deploy/replace/undeploy answer 403).
	builtin bool
	// yields: a deployed package of the same id takes the place of this built-in
	// process until it is undeployed (the EOAP water-bodies package deploys unchanged
	// over the built-in water-bodies).
	yields bool
	// resumable jobs that were running when geojobs stopped are started again from
	// their checkpoint (runContext.State) instead of being marked failed.
	resumable bool
	// acceptsRefs: by-reference input values ({"href": …}) are passed to run as is
	// instead of being refused (the endpoint never fetches them itself).
	acceptsRefs bool
	// schemas are the compiled validators of the inputs.
	schemas map[string]*jsonschema.Schema
	pkg     *deployedPackage // only for deployed processes
}

func (p *process) allows(opt string) bool { return p.desc.Allows(opt) }

func (p *process) allowsTransmission(mode string) bool {
	for _, m := range p.desc.OutputTransmission {
		if m == mode {
			return true
		}
	}
	return false
}

// summary is the process summary with links and the mutable flag, for the list and
// the deploy response.
func (s *Server) summary(r *http.Request, p *process) ogcapi.ProcessSummary {
	sum := p.desc.ProcessSummary
	mutable := !p.builtin
	sum.Mutable = &mutable
	base := s.baseURL(r) + "/processes/" + p.desc.ID
	sum.Links = ogcapi.Links{
		{Href: base, Rel: "self", Type: "application/json", Title: "Process description"},
		{Href: base + "/execution", Rel: ogcapi.RelExecute, Type: "application/json", Title: "Execute"},
	}
	if p.pkg != nil {
		sum.Links = append(sum.Links, ogcapi.Link{Href: base + "/package", Rel: "http://www.opengis.net/def/rel/ogc/1.0/application-package", Type: p.pkg.MediaType, Title: "Application package"})
	}
	return sum
}

func (s *Server) description(r *http.Request, p *process) ogcapi.Process {
	d := p.desc
	d.ProcessSummary = s.summary(r, p)
	return d
}

// prepare compiles the input validators of p; it fails when a schema is unusable.
func prepare(p *process) (*process, error) {
	schemas, err := compileInputs(p.desc)
	if err != nil {
		return nil, fmt.Errorf("process %q: %w", p.desc.ID, err)
	}
	p.schemas = schemas
	return p, nil
}

// builtins returns the processes compiled into the endpoint.
func builtins() []*process {
	return []*process{echoProcess(), countdownProcess(), failProcess(), sceneProcess(), waterBodiesProcess()}
}

// raw turns a JSON literal written in Go source into a RawMessage, checking it.
func raw(s string) json.RawMessage {
	if !json.Valid([]byte(s)) {
		panic("localep: invalid JSON literal: " + s)
	}
	return json.RawMessage(s)
}

func intp(n int) *int { return &n }
