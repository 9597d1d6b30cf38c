package netpolicy

import (
	"net/url"
	"strings"
)

// refusal is a refusal with its own words; it is ErrRefused for errors.Is.
type refusal string

func (r refusal) Error() string        { return string(r) }
func (r refusal) Is(target error) bool { return target == ErrRefused }

// ErrLocalFile is the refusal of a file: URL that came from a server, directly or
// through a redirect: a remote result never makes geojobs read this computer's files.
// Only a document the user opened from their own disk may name files.
var ErrLocalFile error = refusal("a server's result may not point at files on this computer")

// LocalFile reports whether u names a file on this computer (the file: scheme).
func LocalFile(u *url.URL) bool { return u != nil && strings.EqualFold(u.Scheme, "file") }
