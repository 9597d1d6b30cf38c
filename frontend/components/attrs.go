package components

import "github.com/a-h/templ"

// With returns a with the attributes of pairs (name, value, name, value, …) added; an
// empty value leaves its name out.
func With(a templ.Attributes, pairs ...string) templ.Attributes {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			a[pairs[i]] = pairs[i+1]
		}
	}
	return a
}

// Percent is how much of size done is, 0 to 100, for Progress; -1 when the size is
// not known.
func Percent(done, size int64) int {
	if size <= 0 {
		return -1
	}
	return int(min(100, done*100/size))
}
