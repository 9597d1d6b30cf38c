package stac

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Fields that are not typed are kept in an Extra map of raw JSON. decodeExtra and
// encodeExtra do the bookkeeping for every type; T is a method-less alias of the type.

var knownFields sync.Map // reflect.Type → []string

func fieldNames(t reflect.Type) []string {
	if v, ok := knownFields.Load(t); ok {
		return v.([]string)
	}
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	knownFields.Store(t, names)
	return names
}

// decodeExtra decodes data into dst and returns the members dst has no field for.
func decodeExtra[T any](data []byte, dst *T) (map[string]json.RawMessage, error) {
	if err := json.Unmarshal(data, dst); err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, err
	}
	// encoding/json matches names case-insensitively, so drop those spellings too.
	for _, name := range fieldNames(reflect.TypeFor[T]()) {
		for k := range all {
			if strings.EqualFold(k, name) {
				delete(all, k)
			}
		}
	}
	if len(all) == 0 {
		return nil, nil
	}
	return all, nil
}

// encodeExtra encodes v and adds the extra members; typed fields win over extras.
func encodeExtra(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, raw := range extra {
		if _, typed := all[k]; !typed {
			all[k] = raw
		}
	}
	return json.Marshal(all)
}
