package safetext

import "testing"

func TestOneLine(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 100, "plain"},
		{"a\n\tb   c", 100, "a b c"},
		{"\x1b[31mred\x1b[0m", 100, "[31mred[0m"},
		{"evil\u202egnp.exe", 100, "evilgnp.exe"},
		{"zero\u200bwidth", 100, "zerowidth"},
		{"bad\xffutf8", 100, "badutf8"},
		{"ééééé", 3, "ééé…"},
	}
	for _, c := range cases {
		if got := OneLine(c.in, c.max); got != c.want {
			t.Errorf("OneLine(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
		}
	}
	if got := Truncate("abc", 3); got != "abc" {
		t.Errorf("Truncate at length: %q", got)
	}
}
