package stac

import (
	"regexp"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// STAC extension schemas use ECMAScript look-aheads (`^(?!file:)`) that Go's regexp
// lacks. Patterns Go can compile use Go's linear-time engine; only the others go to
// regexp2, with a match timeout because the strings matched come from remote servers.

const regexpTimeout = 100 * time.Millisecond

type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }

func compileRegexp(s string) (jsonschema.Regexp, error) {
	if re, err := regexp.Compile(s); err == nil {
		return re, nil
	}
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexpTimeout
	return ecmaRegexp{re}, nil
}
