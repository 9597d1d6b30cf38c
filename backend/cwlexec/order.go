package cwlexec

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/geojobs/geojobs/backend/localep/cwl"
)

// Order turns the inputs of an execute request into a CWL job order for params:
// literals as they are, qualified values unwrapped, arrays element by element, File
// inputs — given by reference (a URI string or {"href": …}), or uploaded in-line
// ({"value": …}, base64 with "encoding": "base64") — as {"class": "File", "path": …},
// and Directory inputs given by reference (see Transfer) as {"class": "Directory",
// "path": …}. References are staged into dir/inputs by stage, after every input has
// been checked: an input refused leaves nothing downloaded. Absent inputs are left
// out, so cwltool applies the package's defaults.
func Order(ctx context.Context, inputs map[string]json.RawMessage, params []cwl.Param, dir string, stage Stager) (map[string]any, error) {
	order := map[string]any{}
	var pending []func() error
	for _, p := range params {
		raw, ok := inputs[p.ID]
		if !ok || strings.TrimSpace(string(raw)) == "null" {
			continue
		}
		var v any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("input %q is not JSON: %v", p.ID, err)
		}
		c := converter{ctx: ctx, dir: filepath.Join(dir, "inputs", p.ID), stage: stage}
		cv, err := c.convert(p.Type, v, "")
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", p.ID, err)
		}
		order[p.ID] = cv
		for _, f := range c.pending {
			pending = append(pending, func() error {
				if err := f(); err != nil {
					return fmt.Errorf("input %q: %w", p.ID, err)
				}
				return nil
			})
		}
	}
	for _, f := range pending {
		if err := f(); err != nil {
			return nil, err
		}
	}
	return order, nil
}

type converter struct {
	ctx     context.Context
	dir     string
	stage   Stager
	n       int
	pending []func() error // downloads, run once every input is checked
}

func unwrap(v any) (inner any, qualified map[string]any) {
	if m, ok := v.(map[string]any); ok {
		if in, ok := m["value"]; ok {
			return in, m
		}
	}
	return v, nil
}

func (c *converter) convert(t cwl.Type, v any, where string) (any, error) {
	switch t.Name {
	case "File":
		return c.file(v, where)
	case "Directory":
		return c.directory(v, where)
	case "array":
		inner, _ := unwrap(v)
		arr, ok := inner.([]any)
		if !ok {
			arr = []any{inner} // a single value for an array input
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			cv, err := c.convert(*t.Items, e, fmt.Sprintf("value %d: ", i+1))
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	}
	inner, _ := unwrap(v)
	switch t.Name {
	case "string", "enum":
		s, ok := inner.(string)
		if !ok {
			return nil, fmt.Errorf("%sexpected a string", where)
		}
		if t.Name == "enum" && len(t.Symbols) > 0 && !contains(t.Symbols, s) {
			return nil, fmt.Errorf("%s%q is not one of %s", where, s, strings.Join(t.Symbols, ", "))
		}
		return s, nil
	case "int", "long":
		n, ok := inner.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%sexpected an integer", where)
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) {
			return nil, fmt.Errorf("%sexpected an integer, got %s", where, n)
		}
		return int64(f), nil
	case "float", "double":
		n, ok := inner.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%sexpected a number", where)
		}
		f, err := n.Float64()
		if err != nil {
			return nil, fmt.Errorf("%sexpected a number, got %s", where, n)
		}
		return f, nil
	case "boolean":
		b, ok := inner.(bool)
		if !ok {
			return nil, fmt.Errorf("%sexpected true or false", where)
		}
		return b, nil
	}
	return inner, nil // record, Any
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// file makes a CWL File of a reference or an upload.
func (c *converter) file(v any, where string) (any, error) {
	c.n++
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, err
	}
	href := ""
	switch t := v.(type) {
	case string:
		href = t
	case map[string]any:
		if h, ok := t["href"].(string); ok {
			href = h
			break
		}
		inner, q := unwrap(t)
		if q == nil {
			return nil, fmt.Errorf("%sa File is a URI, {\"href\": URI} or an upload {\"value\": …}", where)
		}
		var body []byte
		switch x := inner.(type) {
		case string:
			body = []byte(x)
			if enc, _ := q["encoding"].(string); strings.EqualFold(enc, "base64") {
				b, err := base64.StdEncoding.DecodeString(x)
				if err != nil {
					return nil, fmt.Errorf("%sthe upload is not base64: %v", where, err)
				}
				body = b
			}
		default:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, err
			}
			body = b
		}
		name := filepath.Join(c.dir, fmt.Sprintf("%d-upload%s", c.n, extFor(q["mediaType"])))
		if err := os.WriteFile(name, body, 0o644); err != nil {
			return nil, err
		}
		return map[string]any{"class": "File", "path": name}, nil
	default:
		return nil, fmt.Errorf("%sa File is a URI, {\"href\": URI} or an upload {\"value\": …}", where)
	}
	if c.stage == nil {
		return nil, fmt.Errorf("%sinputs given by reference cannot be read here", where)
	}
	if err := c.stage.CheckFile(href); err != nil {
		return nil, fmt.Errorf("%s%w", where, err)
	}
	u, _ := url.Parse(href)
	dest := filepath.Join(c.dir, fmt.Sprintf("%d-%s", c.n, safeBase(u.Path, "input")))
	c.pending = append(c.pending, func() error {
		if err := c.stage.File(c.ctx, href, dest); err != nil {
			return fmt.Errorf("%sdownloading %s: %w", where, u.Redacted(), err)
		}
		return nil
	})
	return map[string]any{"class": "File", "path": dest}, nil
}

// directory makes a CWL Directory of a reference.
func (c *converter) directory(v any, where string) (any, error) {
	c.n++
	href := ""
	switch t := v.(type) {
	case string:
		href = t
	case map[string]any:
		href, _ = t["href"].(string)
	}
	if href == "" {
		return nil, fmt.Errorf("%sa Directory is given by reference (a URI or {\"href\": URI}) to a folder geojobs can list (s3://, dav://, davs://) or to a STAC catalog; it cannot be uploaded in-line", where)
	}
	if c.stage == nil {
		return nil, fmt.Errorf("%sinputs given by reference cannot be read here", where)
	}
	if err := c.stage.CheckDirectory(href); err != nil {
		return nil, fmt.Errorf("%s%w", where, err)
	}
	u, _ := url.Parse(href)
	name := safeBase(strings.TrimSuffix(u.Path, "/"), "folder")
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		name = safeBase(path.Dir(u.Path), "catalog") // the catalog's folder
	}
	dest := filepath.Join(c.dir, fmt.Sprintf("%d-%s", c.n, name))
	c.pending = append(c.pending, func() error {
		if err := c.stage.Directory(c.ctx, href, dest); err != nil {
			return fmt.Errorf("%sstaging %s: %w", where, u.Redacted(), err)
		}
		return nil
	})
	return map[string]any{"class": "Directory", "path": dest}, nil
}

// safeBase is the last element of p made safe as a file name, or def.
func safeBase(p, def string) string {
	base := path.Base(p)
	if base == "/" || base == "." || base == "" || base == ".." {
		return def
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, base)
}

func extFor(mt any) string {
	s, _ := mt.(string)
	switch {
	case strings.Contains(s, "json"):
		return ".json"
	case strings.Contains(s, "tiff"):
		return ".tif"
	case strings.Contains(s, "png"):
		return ".png"
	case strings.HasPrefix(s, "text/"):
		return ".txt"
	case strings.Contains(s, "yaml"):
		return ".yaml"
	}
	return ""
}
