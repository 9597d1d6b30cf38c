package runner

import (
	"strconv"
	"strings"

	"github.com/geojobs/geojobs/backend/safetext"
)

// clean makes text a server sent safe to print on a terminal.
func clean(s string, max int) string { return safetext.OneLine(s, max) }

// truncate cuts s to at most max runes, marking the cut with "…".
func truncate(s string, max int) string { return safetext.Truncate(s, max) }

// quoteList quotes up to max strings, comma-separated, with "…" when there are more.
func quoteList(items []string, max int) string {
	var b strings.Builder
	for i, s := range items {
		if i == max {
			b.WriteString(", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(truncate(s, 60)))
	}
	return b.String()
}
