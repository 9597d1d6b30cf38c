package web

import "strconv"

// Count writes n with the noun in its singular or plural form: Count(1, "item",
// "items") is "1 item", Count(2, "asset", "assets") is "2 assets" (and so is 0).
func Count(n int, singular, plural string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + singular
	}
	return strconv.Itoa(n) + " " + plural
}
