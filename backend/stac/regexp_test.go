package stac

import (
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/dlclark/regexp2"
)

// No pattern of the embedded schemas goes to regexp2, whose match timeout a loaded
// machine reaches: a timed-out match reads as "no match" and refuses valid documents
// (the file extension's ^(?!file:) refused "href" under -race and load, and with it
// every local catalog of a download).
func TestEmbeddedPatternsHaveNoTimeout(t *testing.T) {
	n := 0
	err := fs.WalkDir(schemaFS, "schemas", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schemaFS, path)
		if err != nil {
			return err
		}
		var doc any
		if json.Unmarshal(b, &doc) != nil {
			return nil
		}
		for _, p := range patterns(doc) {
			re, err := compileRegexp(p)
			if err != nil {
				t.Errorf("%s: %q: %v", path, p, err)
				continue
			}
			if _, ok := re.(ecmaRegexp); ok {
				t.Errorf("%s: %q is matched by regexp2, with a timeout", path, p)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no patterns found in the embedded schemas")
	}
}

// patterns lists the "pattern" values and "patternProperties" keys of a schema.
func patterns(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "pattern" {
				out = append(out, s)
			}
			if m, ok := val.(map[string]any); ok && k == "patternProperties" {
				for p := range m {
					out = append(out, p)
				}
			}
			out = append(out, patterns(val)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, patterns(e)...)
		}
	}
	return out
}

// A leading negative look-ahead matched with Go's regexps says what regexp2 says.
func TestNegativeLookaheadAsECMAScript(t *testing.T) {
	inputs := []string{"", "href", "file:size", "file", "File:x", "ab", "abab", "ac", "c", "cx", "x)z", "yz", "z", "[)", "a)b", "\\"}
	for _, p := range []string{`^(?!file:)`, `^(?!a|b)c`, `^(?!(ab)+$)`, `^(?![xy]\))z?`, `^(?![)])`, `^(?!a\)b)`, `^(?!a)(?:c|x)`} {
		re, err := compileRegexp(p)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if _, ok := re.(notAhead); !ok {
			t.Errorf("%q: %T, want Go's regexps", p, re)
		}
		ecma := regexp2.MustCompile(p, regexp2.ECMAScript)
		for _, s := range inputs {
			want, _ := ecma.MatchString(s)
			if got := re.MatchString(s); got != want {
				t.Errorf("%q on %q: %v, ECMAScript says %v", p, s, got, want)
			}
		}
		if re.(interface{ String() string }).String() != p {
			t.Errorf("%q: String() = %q", p, re)
		}
	}
	// Other look-arounds still work, by regexp2.
	for _, p := range []string{`^a(?!b)`, `(?<=a)b`, `^(?!a`} {
		if _, _, ok := cutNegativeLookahead(p); ok && p == `^(?!a` {
			t.Errorf("%q: an unclosed group was cut", p)
		}
		re, err := compileRegexp(p)
		if p == `^(?!a` {
			if err == nil {
				t.Errorf("%q compiled", p)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if _, ok := re.(ecmaRegexp); !ok {
			t.Errorf("%q: %T, want regexp2", p, re)
		}
	}
}
