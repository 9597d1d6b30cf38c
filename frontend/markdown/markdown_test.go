package markdown

import (
	"strings"
	"testing"
)

func TestHTMLSanitises(t *testing.T) {
	for _, src := range []string{
		`<script>alert(1)</script>Hello`,
		`<img src=x onerror="alert(1)">Hello`,
		`[click](javascript:alert(1)) Hello`,
		`<a href="https://example.com" onclick="alert(1)">Hello</a>`,
		`<iframe src="https://evil.example"></iframe>Hello <style>body{}</style>`,
		`<svg onload=alert(1)>Hello`,
	} {
		got := HTML(src)
		low := strings.ToLower(got)
		for _, bad := range []string{"<script", "onerror", "javascript:", "onclick", "<iframe", "<img", "<style", "onload", "<svg"} {
			if strings.Contains(low, bad) {
				t.Errorf("%q rendered as %q: contains %q", src, got, bad)
			}
		}
		if !strings.Contains(got, "Hello") {
			t.Errorf("%q lost its text: %q", src, got)
		}
	}
}

func TestHTMLKeepsMarkup(t *testing.T) {
	got := HTML("Water **bodies** from <em>NDWI</em>, see https://example.com/doc")
	for _, want := range []string{"<strong>bodies</strong>", "<em>NDWI</em>", `href="https://example.com/doc"`, `rel="nofollow noreferrer noopener"`, `target="_blank"`} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

func TestPlain(t *testing.T) {
	if got := Plain("**Bold** <b>x</b> &amp; <script>y</script>", 100); got != "Bold x &" {
		t.Errorf("plain %q", got)
	}
	if got := Plain(strings.Repeat("word ", 50), 12); got != "word word wo…" {
		t.Errorf("cut %q", got)
	}
}
