// Package safetext makes text that a remote server sent safe to show on one line: in a
// terminal (no escape sequences) or a message (no bidi tricks, bounded length). HTML
// escaping is the templates' business, not this package's.
package safetext

import (
	"strings"
	"unicode"
)

// OneLine drops control characters (escape sequences included), zero-width spaces and
// bidi overrides, folds runs of white space into one space, and cuts the result to
// max runes, marking the cut with "…".
func OneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsControl(r) || r == '\u200b' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return -1
		}
		return r
	}, s)
	return Truncate(strings.Join(strings.Fields(s), " "), max)
}

// Truncate cuts s to at most max runes, marking the cut with "…".
func Truncate(s string, max int) string {
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
