// Package markdown renders text that remote servers send (process and input
// descriptions, which may be Markdown or HTML) as sanitised HTML. Nothing a server
// sends reaches a page through any other path than Render, Plain or templ's escaping.
package markdown

import (
	"bytes"
	"context"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

var (
	md = goldmark.New(
		goldmark.WithExtensions(extension.Linkify, extension.Table, extension.Strikethrough),
		// Raw HTML passes through goldmark and is then sanitised: descriptions are
		// often HTML fragments, and dropping them would lose the text.
		goldmark.WithRendererOptions(html.WithUnsafe()),
	)
	// policy allows text markup and links, nothing that loads or runs anything: no
	// images, media, forms, styles, scripts or event handlers.
	policy = func() *bluemonday.Policy {
		p := bluemonday.NewPolicy()
		p.AllowElements("p", "br", "hr", "strong", "em", "b", "i", "u", "s", "del", "code", "pre", "kbd",
			"blockquote", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
			"table", "thead", "tbody", "tr", "th", "td", "sub", "sup", "span", "div")
		p.AllowAttrs("href").OnElements("a")
		p.AllowAttrs("title").Globally()
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireParseableURLs(true)
		p.RequireNoFollowOnLinks(true)
		p.RequireNoReferrerOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
	strict = bluemonday.StrictPolicy()
)

// HTML returns the sanitised HTML of a Markdown or HTML text.
func HTML(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return templ.EscapeString(src)
	}
	return policy.Sanitize(buf.String())
}

// Render is a component writing the sanitised HTML of src.
func Render(src string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, HTML(src))
		return err
	})
}

// Plain returns src as plain text (tags and Markdown markup removed, entities
// decoded by the caller's escaping), cut to at most n runes. Escape it when rendering
// (templ does).
func Plain(src string, n int) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err == nil {
		src = buf.String()
	}
	text := strings.Join(strings.Fields(htmlUnescape(strict.Sanitize(src))), " ")
	if utf8.RuneCountInString(text) > n {
		r := []rune(text)
		text = strings.TrimSpace(string(r[:n])) + "…"
	}
	return text
}
