// Package pagetest holds what the tests of pages and components share: rendering a
// component, or reading an answer, into a goquery document to select from.
package pagetest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/frontend/web"
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

// Mux serves the page handlers of routes (pattern → handler) as frontend/webapp's
// routes do, for a test to request the few a page test needs.
func Mux(routes map[string]web.HandlerFunc) *http.ServeMux {
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.Handle(pattern, web.Handle(slog.Default(), h))
	}
	return mux
}
