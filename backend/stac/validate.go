package stac

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The schemas are stored under schemas/<host>/<path>, i.e. at the URL other schemas
// $ref them by (see schemas/README.md).
//
//go:embed schemas
var schemaFS embed.FS

// ItemCollection schemas are DERIVED from the STAC API fragment (there is no official one).
var itemCollectionSchema = map[string]string{
	Version:    "https://example.invalid/derived/stac/itemcollection-v1.0.0.json",
	Version1_1: "https://example.invalid/derived/stac/itemcollection-v1.1.0.json",
}

func coreSchema(kind Kind, version string) string {
	dir := map[Kind]string{
		KindItem:       "item-spec/json-schema/item.json",
		KindCatalog:    "catalog-spec/json-schema/catalog.json",
		KindCollection: "collection-spec/json-schema/collection.json",
	}[kind]
	return "https://schemas.stacspec.org/v" + version + "/" + dir
}

// validator compiles schemas on first use; jsonschema.Compiler is not safe for
// concurrent use, so one mutex guards it and the cache.
type validator struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
	known    map[string]bool
}

var shared = sync.OnceValues(newValidator)

func newValidator() (*validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	// Nothing is ever loaded from outside the embedded files: no network, no disk.
	c.UseLoader(jsonschema.SchemeURLLoader{})
	c.UseRegexpEngine(compileRegexp)
	v := &validator{compiler: c, compiled: map[string]*jsonschema.Schema{}, known: map[string]bool{}}
	err := fs.WalkDir(schemaFS, "schemas", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		b, err := schemaFS.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		url := "https://" + strings.TrimPrefix(path, "schemas/")
		v.known[url] = true
		return c.AddResource(url, doc)
	})
	if err != nil {
		return nil, fmt.Errorf("stac: embedded schemas: %w", err)
	}
	return v, nil
}

func (v *validator) schema(url string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.compiled[url]; ok {
		return s, nil
	}
	s, err := v.compiler.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("stac: compile embedded schema %s: %w", url, err)
	}
	v.compiled[url] = s
	return s, nil
}

// KnownExtension reports whether Validate checks documents against the extension schema
// at url. Extensions it does not know are skipped, never fetched.
func KnownExtension(url string) bool {
	v, err := shared()
	return err == nil && v.known[strings.TrimSuffix(url, "#")] && strings.HasPrefix(url, "https://stac-extensions.github.io/")
}

// Issue is one schema violation.
type Issue struct {
	Path    string // JSON pointer into the validated document, "" for the root
	Message string
	Schema  string // URL of the schema that was broken
}

func (i Issue) String() string {
	p := i.Path
	if p == "" {
		p = "/"
	}
	return p + ": " + i.Message
}

// ValidationError lists what is wrong with a document. errors.Is(err, ErrInvalid) is true.
type ValidationError struct {
	Kind   Kind
	Issues []Issue
}

const maxShownIssues = 5

func (e *ValidationError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "stac: invalid %s: ", e.Kind)
	for i, is := range e.Issues {
		if i == maxShownIssues {
			fmt.Fprintf(&sb, "; and %d more", len(e.Issues)-i)
			break
		}
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(is.String())
	}
	return sb.String()
}

func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Validate checks a STAC document against the embedded schemas:
//   - an ItemCollection against the derived ItemCollection schema, and each feature as an Item;
//   - an Item against the item.json of its stac_version (1.0.0 or 1.1.0) and against the
//     schema of each stac_extensions entry that KnownExtension reports (others are skipped);
//   - a Catalog or Collection against its core schema and known extensions.
//
// It returns a *ValidationError naming every broken path, or an error wrapping ErrNotSTAC
// or ErrUnsupported (a stac_version other than 1.0.0 or 1.1.0).
func Validate(doc []byte) error {
	kind, err := DetectKind(doc)
	if err != nil {
		return err
	}
	v, err := shared()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("%w: %s", ErrNotSTAC, err)
	}
	var issues []Issue
	if kind == KindItemCollection {
		issues, err = v.itemCollection(inst.(map[string]any))
	} else {
		issues, err = v.object(kind, inst.(map[string]any), "")
	}
	if err != nil {
		return err
	}
	if len(issues) > 0 {
		return &ValidationError{Kind: kind, Issues: issues}
	}
	return nil
}

// itemCollection checks the envelope with the derived schema (features emptied, so
// items of different versions can share a collection), then each item on its own.
func (v *validator) itemCollection(ic map[string]any) ([]Issue, error) {
	features, _ := ic["features"].([]any)
	envelope := make(map[string]any, len(ic))
	for k, val := range ic {
		envelope[k] = val
	}
	envelope["features"] = []any{}
	s, err := v.schema(itemCollectionSchema[Version])
	if err != nil {
		return nil, err
	}
	issues := check(s, envelope, "")
	for i, f := range features {
		fm, _ := f.(map[string]any)
		more, err := v.object(KindItem, fm, fmt.Sprintf("/features/%d", i))
		if err != nil {
			return nil, fmt.Errorf("features[%d]: %w", i, err)
		}
		issues = append(issues, more...)
	}
	return issues, nil
}

func (v *validator) object(kind Kind, obj map[string]any, prefix string) ([]Issue, error) {
	version, _ := obj["stac_version"].(string)
	if version != Version && version != Version1_1 {
		return nil, fmt.Errorf("%w: stac_version %q (want %s or %s)", ErrUnsupported, truncate(version, 20), Version, Version1_1)
	}
	s, err := v.schema(coreSchema(kind, version))
	if err != nil {
		return nil, err
	}
	issues := check(s, obj, prefix)
	exts, _ := obj["stac_extensions"].([]any)
	for _, e := range exts {
		url, _ := e.(string)
		if !KnownExtension(url) {
			continue
		}
		s, err := v.schema(strings.TrimSuffix(url, "#"))
		if err != nil {
			return nil, err
		}
		issues = append(issues, check(s, obj, prefix)...)
	}
	return issues, nil
}

var printer = message.NewPrinter(language.English)

// check validates and flattens the error tree to its leaves, which name the real
// problems; a failed oneOf/anyOf reports its branches' leaves.
func check(s *jsonschema.Schema, inst any, prefix string) []Issue {
	err := s.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			return []Issue{{Path: prefix, Message: err.Error()}}
		}
		return nil
	}
	var issues []Issue
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			is := Issue{Path: prefix + pointer(e.InstanceLocation), Message: e.ErrorKind.LocalizedString(printer), Schema: e.SchemaURL}
			if !slices.ContainsFunc(issues, func(o Issue) bool { return o.Path == is.Path && o.Message == is.Message }) {
				issues = append(issues, is)
			}
			return
		}
		for _, c := range relevantBranches(e) {
			walk(c)
		}
	}
	walk(ve)
	return issues
}

func pointer(loc []string) string {
	var sb strings.Builder
	for _, p := range loc {
		sb.WriteByte('/')
		sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return sb.String()
}

// relevantBranches drops, from a failed oneOf/anyOf, the branches meant for another
// kind of document (those that fail on the "type" member: an extension schema has one
// branch each for Item, Catalog and Collection), as long as some branch is left.
func relevantBranches(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
	default:
		return e.Causes
	}
	typeLoc := append(slices.Clip(e.InstanceLocation), "type")
	var kept []*jsonschema.ValidationError
	for _, branch := range e.Causes {
		if !failsOn(branch, typeLoc) {
			kept = append(kept, branch)
		}
	}
	if len(kept) == 0 {
		return e.Causes
	}
	return kept
}

func failsOn(e *jsonschema.ValidationError, loc []string) bool {
	if len(e.Causes) == 0 {
		switch e.ErrorKind.(type) {
		case *kind.Const, *kind.Enum:
			return slices.Equal(e.InstanceLocation, loc)
		}
		return false
	}
	return slices.ContainsFunc(e.Causes, func(c *jsonschema.ValidationError) bool { return failsOn(c, loc) })
}
