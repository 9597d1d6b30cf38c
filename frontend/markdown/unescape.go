package markdown

import "html"

// htmlUnescape decodes entities left by the strict policy ("&amp;" → "&"); the
// result is plain text and is escaped again when rendered.
func htmlUnescape(s string) string { return html.UnescapeString(s) }
