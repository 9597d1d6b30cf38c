package safetext

import "net/url"

// URL renders u for errors and logs: without user info and fragment, and with its
// query (which may hold a signature or a token) shown as "?…". A nil u is "".
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" || c.ForceQuery {
		c.RawQuery, c.ForceQuery = "", false
		return c.String() + "?…"
	}
	return c.String()
}
