package stac

import (
	"regexp"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// STAC extension schemas use ECMAScript look-aheads (`^(?!file:)`) that Go's regexp
// lacks. A pattern that starts with a negative look-ahead, ^(?!X)Y, is two Go regexps
// (no prefix matching X, and Y matching from the start): linear time, with no
// timeout. Only other patterns go to regexp2, with a match timeout because the
// strings matched come from remote servers; a match that times out counts as no
// match, which a loaded machine can reach with any pattern (under -race and load the
// file extension's ^(?!file:) timed out on "href", and local catalogs were refused).

const regexpTimeout = 100 * time.Millisecond

type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool {
	ok, err := r.re.MatchString(s)
	return err == nil && ok
}

func (r ecmaRegexp) String() string { return r.re.String() }

// notAhead is ^(?!X)Y: not (a prefix matches X), and Y matches from the start.
type notAhead struct {
	src      string
	not, and *regexp.Regexp
}

func (r notAhead) MatchString(s string) bool { return !r.not.MatchString(s) && r.and.MatchString(s) }

func (r notAhead) String() string { return r.src }

func compileRegexp(s string) (jsonschema.Regexp, error) {
	if re, err := regexp.Compile(s); err == nil {
		return re, nil
	}
	if x, y, ok := cutNegativeLookahead(s); ok {
		not, err1 := regexp.Compile(`^(?:` + x + `)`)
		and, err2 := regexp.Compile(`^(?:` + y + `)`)
		if err1 == nil && err2 == nil {
			return notAhead{s, not, and}, nil
		}
	}
	re, err := regexp2.Compile(s, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexpTimeout
	return ecmaRegexp{re}, nil
}

// cutNegativeLookahead splits ^(?!X)Y into X and Y: the group closes at the first
// unescaped ")" outside a character class that balances its "(".
func cutNegativeLookahead(s string) (x, y string, ok bool) {
	const open = "^(?!"
	if len(s) < len(open) || s[:len(open)] != open {
		return "", "", false
	}
	depth, class := 1, false
	for i := len(open); i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case class:
			class = c != ']'
		case c == '[':
			class = true
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth == 0 {
				return s[len(open):i], s[i+1:], true
			}
		}
	}
	return "", "", false
}
