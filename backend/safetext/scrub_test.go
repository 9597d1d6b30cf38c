package safetext_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/geojobs/geojobs/backend/safetext"
)

func TestScrubberText(t *testing.T) {
	var s safetext.Scrubber
	s.Add("Bearer s3cr3t-t0ken", "Basic "+base64.StdEncoding.EncodeToString([]byte("ann:pa ss+word")), "en", "api key/with&")
	cases := map[string]string{
		"plain line\n\tindented":                   "plain line\n\tindented",
		"\x1b]0;title\x07\x1b[2Jcleared\r\x9bover": "]0;title[2Jclearedover",
		"evil\u202egnp.exe\u200b":                  "evilgnp.exe",
		"bad\xffutf8 keeps \ufffd":                 "badutf8 keeps \ufffd",
		"Authorization: Bearer s3cr3t-t0ken":       "Authorization: [redacted]",
		"token s3cr3t-t0ken echoed":                "token [redacted] echoed",
		"split s3cr\x1b3t-t0ken by an escape":      "split [redacted] by an escape",
		"password pa ss+word, user ann:pa ss+word": "password [redacted], user [redacted]",
		"query ?k=api+key%2Fwith%26":               "query ?k=[redacted]",
		"json \"api key/with\\u0026\"":             "json \"[redacted]\"",
		"short values stay: en, fr":                "short values stay: en, fr",
	}
	for in, want := range cases {
		if got := s.Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrubberWriter(t *testing.T) {
	var s safetext.Scrubber
	s.Add("X-Api-Key-Value-42")
	var buf bytes.Buffer
	w := s.Writer(&buf)
	if s.Writer(w) != w {
		t.Error("a scrubbing writer was wrapped twice")
	}
	n, err := fmt.Fprintf(w, "server said: %s\x1b[31m\n", "X-Api-Key-Value-42")
	if err != nil || n != len("server said: X-Api-Key-Value-42\x1b[31m\n") {
		t.Fatalf("Fprintf = %d, %v", n, err)
	}
	if got := buf.String(); got != "server said: [redacted][31m\n" {
		t.Errorf("wrote %q", got)
	}
	if w.(*safetext.Writer).Unwrap() != &buf {
		t.Error("Unwrap")
	}
	if strings.Contains(buf.String(), "42") {
		t.Error("secret leaked")
	}
}

// A long secret echoed into a message that was then cut short (Truncate) is not
// whole in the text; its start before the cut is redacted all the same.
func TestScrubberCutSecret(t *testing.T) {
	var s safetext.Scrubber
	tok := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzaWQxIn0.c2lnbmF0dXJl"
	s.Add(tok)
	for _, c := range []struct{ in, want string }{
		{"you sent " + safetext.Truncate(tok, 20), "you sent " + safetext.Redacted + "…"},
		{"running: you sent " + tok[:30] + "… and more…", "running: you sent " + safetext.Redacted + "… and more…"},
		{"eyJhbGc… is short of the minimum", "eyJhbGc… is short of the minimum"},
		{"a plain cut sentence…", "a plain cut sentence…"},
	} {
		if got := s.Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
