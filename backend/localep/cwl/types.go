package cwl

import (
	"fmt"
	"strings"
)

var simpleTypes = map[string]bool{
	"string": true, "int": true, "long": true, "float": true, "double": true,
	"boolean": true, "File": true, "Directory": true, "Any": true,
}

// parseType reads the forms a CWL type takes: "string", "string?", "string[]",
// "File[]?", ["null", T], {type: array, items: T}, {type: enum, symbols: […]},
// {type: record, …}.
func parseType(v any) (Type, error) {
	switch t := v.(type) {
	case string:
		s := strings.TrimSpace(t)
		var typ Type
		if strings.HasSuffix(s, "?") {
			typ.Optional = true
			s = strings.TrimSuffix(s, "?")
		}
		if strings.HasSuffix(s, "[]") {
			item, err := parseType(strings.TrimSuffix(s, "[]"))
			if err != nil {
				return Type{}, err
			}
			typ.Name, typ.Items = "array", &item
			return typ, nil
		}
		if s == "null" {
			return Type{Name: "null", Optional: true}, nil
		}
		if !simpleTypes[s] {
			return Type{}, fmt.Errorf("unsupported type %q", t)
		}
		typ.Name = s
		return typ, nil
	case []any:
		var opt bool
		var rest []Type
		for _, e := range t {
			et, err := parseType(e)
			if err != nil {
				return Type{}, err
			}
			if et.Name == "null" {
				opt = true
				continue
			}
			rest = append(rest, et)
		}
		var typ Type
		switch len(rest) {
		case 0:
			return Type{}, fmt.Errorf("a union of null only")
		case 1:
			typ = rest[0]
		default: // a union of several types: accept anything
			typ = Type{Name: "Any"}
		}
		typ.Optional = typ.Optional || opt
		return typ, nil
	case map[string]any:
		switch str(t["type"]) {
		case "array":
			item, err := parseType(t["items"])
			if err != nil {
				return Type{}, err
			}
			return Type{Name: "array", Items: &item}, nil
		case "enum":
			syms, _ := t["symbols"].([]any)
			if len(syms) == 0 {
				return Type{}, fmt.Errorf("an enum without symbols")
			}
			typ := Type{Name: "enum"}
			for _, s := range syms {
				typ.Symbols = append(typ.Symbols, shortID(str(s)))
			}
			return typ, nil
		case "record":
			return Type{Name: "record"}, nil
		}
		return parseType(t["type"])
	case nil:
		return Type{}, fmt.Errorf("no type")
	}
	return Type{}, fmt.Errorf("unsupported type %v", v)
}
