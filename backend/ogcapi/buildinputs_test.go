package ogcapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// BuildInputs (tests only: the execution form builds its request with BuildInput)
// encodes the values of several inputs of process p (values[id] are the
// occurrences of input id; see BuildInput). It fails on an unknown id and on a missing
// required input that has no default; optional inputs without values are left out.
func BuildInputs(p *Process, values map[string][]any) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(values))
	for _, id := range slices.Sorted(maps.Keys(values)) {
		if _, ok := p.Inputs[id]; !ok {
			known := slices.Sorted(maps.Keys(p.Inputs))
			return nil, &InputError{Input: id, Err: fmt.Errorf("process %s has no such input (inputs: %s)", p.ID, strings.Join(known, ", "))}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(p.Inputs)) {
		raw, err := BuildInput(p.Inputs[id], values[id]...)
		if err != nil {
			var ie *InputError
			if errors.As(err, &ie) && ie.Input == "" {
				ie.Input = id
			}
			return nil, err
		}
		if raw != nil {
			out[id] = raw
		}
	}
	return out, nil
}
