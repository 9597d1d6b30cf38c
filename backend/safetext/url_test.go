package safetext

import (
	"net/url"
	"testing"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@example.com/a/b?X-Amz-Signature=s3cret#frag": "https://example.com/a/b?…",
		"s3://bucket/key":             "s3://bucket/key",
		"https://example.com/p?":      "https://example.com/p?…",
		"https://example.com/p#token": "https://example.com/p",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := URL(u); got != want {
			t.Errorf("URL(%s) = %q, want %q", in, got, want)
		}
	}
	if got := URL(nil); got != "" {
		t.Errorf("URL(nil) = %q", got)
	}
}
