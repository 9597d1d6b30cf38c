// Package pagetest holds what the tests of pages and components share: rendering a
// component, or reading an answer, into a goquery document to select from.
package pagetest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// Render renders c and parses the HTML; it fails t when either fails.
func Render(t testing.TB, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return Parse(t, &buf)
}

// Parse parses the HTML read from r; it fails t when that fails.
func Parse(t testing.TB, r io.Reader) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
