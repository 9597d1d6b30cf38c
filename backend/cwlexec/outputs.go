package cwlexec

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Publish makes a local file of the run available under a flat name and returns the
// href at which it is served.
type Publish func(localPath, name, mediaType string) (href string, err error)

// Output is one output of a run: a STAC ItemCollection for File and Directory outputs,
// a value for the others.
type Output struct {
	STAC  map[string]any // a GeoJSON FeatureCollection of STAC items, or nil
	Value any
}

// Outputs converts cwltool's output object. A Directory holding a STAC catalog
// (catalog.json, as EOAP packages write) becomes the catalog's items, their assets
// published; another Directory becomes one item with every file as an asset; a File
// becomes one item with the file as its asset. Items made here have no geometry.
func Outputs(out map[string]any, publish Publish) (map[string]Output, error) {
	res := map[string]Output{}
	names := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(out)) {
		c := collector{id: id, publish: publish, names: names}
		v := out[id]
		if !c.hasFiles(v) {
			res[id] = Output{Value: v}
			continue
		}
		if err := c.add(v); err != nil {
			return nil, fmt.Errorf("output %q: %w", id, err)
		}
		res[id] = Output{STAC: map[string]any{"type": "FeatureCollection", "features": c.features}}
	}
	return res, nil
}

type collector struct {
	id       string
	publish  Publish
	names    map[string]bool
	features []any
}

func class(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["class"].(string)
	return s
}

func (c *collector) hasFiles(v any) bool {
	switch class(v) {
	case "File", "Directory":
		return true
	}
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if c.hasFiles(e) {
				return true
			}
		}
	}
	return false
}

func localPath(m map[string]any) (string, error) {
	if p, ok := m["path"].(string); ok && p != "" {
		return p, nil
	}
	loc, _ := m["location"].(string)
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "file" {
		return "", fmt.Errorf("cwltool gave no local path for %q", loc)
	}
	return u.Path, nil
}

func (c *collector) add(v any) error {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			if err := c.add(e); err != nil {
				return err
			}
		}
		return nil
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil
	}
	p, err := localPath(m)
	if err != nil {
		return err
	}
	switch class(v) {
	case "File":
		a, err := c.asset(p, filepath.Base(p), "")
		if err != nil {
			return err
		}
		c.features = append(c.features, plainItem(c.id+"-"+filepath.Base(p), map[string]any{assetKey(filepath.Base(p)): a}))
	case "Directory":
		if _, err := os.Stat(filepath.Join(p, "catalog.json")); err == nil {
			return c.catalog(p, filepath.Join(p, "catalog.json"), map[string]bool{})
		}
		assets := map[string]any{}
		err := filepath.WalkDir(p, func(fp string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(p, fp)
			a, err := c.asset(fp, filepath.Base(p)+"/"+filepath.ToSlash(rel), "")
			if err != nil {
				return err
			}
			assets[assetKey(filepath.ToSlash(rel))] = a
			return nil
		})
		if err != nil {
			return err
		}
		c.features = append(c.features, plainItem(c.id+"-"+filepath.Base(p), assets))
	}
	return nil
}

// catalog adds the items of a STAC catalog file, following child and item links
// that stay inside root.
func (c *collector) catalog(root, file string, seen map[string]bool) error {
	if seen[file] || len(seen) > 10000 {
		return nil
	}
	seen[file] = true
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s is not JSON: %v", filepath.Base(file), err)
	}
	if doc["type"] == "Feature" {
		return c.item(root, file, doc)
	}
	if doc["type"] == "FeatureCollection" {
		feats, _ := doc["features"].([]any)
		for _, f := range feats {
			if m, ok := f.(map[string]any); ok {
				if err := c.item(root, file, m); err != nil {
					return err
				}
			}
		}
		return nil
	}
	links, _ := doc["links"].([]any)
	for _, l := range links {
		lm, _ := l.(map[string]any)
		rel, _ := lm["rel"].(string)
		href, _ := lm["href"].(string)
		if rel != "item" && rel != "child" {
			continue
		}
		next, ok := inside(root, file, href)
		if !ok {
			continue
		}
		if err := c.catalog(root, next, seen); err != nil {
			return err
		}
	}
	return nil
}

// inside resolves a relative href of file and reports whether it stays within root.
func inside(root, file, href string) (string, bool) {
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "" && u.Scheme != "file" {
		return "", false
	}
	p := u.Path
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(file), filepath.FromSlash(p))
	}
	p = filepath.Clean(p)
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return p, true
}

func (c *collector) item(root, file string, it map[string]any) error {
	assets, _ := it["assets"].(map[string]any)
	for k, a := range assets {
		am, _ := a.(map[string]any)
		href, _ := am["href"].(string)
		p, ok := inside(root, file, href)
		if !ok {
			continue // a URL elsewhere stays as it is
		}
		rel, _ := filepath.Rel(root, p)
		typ, _ := am["type"].(string)
		pub, err := c.asset(p, filepath.ToSlash(rel), typ)
		if err != nil {
			return err
		}
		for pk, pv := range pub {
			if _, has := am[pk]; !has || pk == "href" {
				am[pk] = pv
			}
		}
		assets[k] = am
	}
	// Links to files of the run's folder mean nothing to the client.
	var keep []any
	links, _ := it["links"].([]any)
	for _, l := range links {
		lm, _ := l.(map[string]any)
		href, _ := lm["href"].(string)
		if u, err := url.Parse(href); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			keep = append(keep, l)
		}
	}
	if keep == nil {
		keep = []any{}
	}
	it["links"] = keep
	c.features = append(c.features, it)
	return nil
}

// asset publishes a file and describes it.
func (c *collector) asset(p, rel, typ string) (map[string]any, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		typ = mediaType(p)
	}
	name := flatName(c.id + "-" + rel)
	for i := 2; c.names[name]; i++ {
		name = flatName(fmt.Sprintf("%s-%d-%s", c.id, i, rel))
	}
	c.names[name] = true
	href, err := c.publish(p, name, typ)
	if err != nil {
		return nil, err
	}
	return map[string]any{"href": href, "type": typ, "roles": []string{"data"}, "file:size": fi.Size(), "title": rel}, nil
}

func plainItem(id string, assets map[string]any) map[string]any {
	return map[string]any{
		"type": "Feature", "stac_version": "1.0.0", "id": flatName(id),
		"geometry": nil, "properties": map[string]any{"datetime": time.Now().UTC().Format(time.RFC3339)},
		"links": []any{}, "assets": assets,
	}
}

// flatName turns a relative path into a file name of letters, digits, '.', '_' and '-'.
func flatName(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			b[i] = '-'
		}
	}
	return strings.TrimLeft(string(b), ".-")
}

func assetKey(rel string) string {
	k := strings.TrimSuffix(rel, filepath.Ext(rel))
	if k == "" {
		k = rel
	}
	return strings.ReplaceAll(k, "/", "-")
}

func mediaType(p string) string {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".tif", ".tiff":
		return "image/tiff; application=geotiff"
	case ".json":
		return "application/json"
	case ".geojson":
		return "application/geo+json"
	case ".txt", ".log":
		return "text/plain; charset=utf-8"
	case ".cwl", ".yaml", ".yml":
		return "application/yaml"
	}
	if t := mime.TypeByExtension(filepath.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}
