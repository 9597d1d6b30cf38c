package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/spf13/afero"
)

// ParseHeaders reads "Name: value" lines (the --header flag, curl's syntax) into a
// header set. Errors name the offending entry by position and header name only: a
// value is never repeated (it is usually a token). Hop-by-hop and framing headers that
// would break the exchange are refused.
func ParseHeaders(lines []string) (http.Header, error) {
	h := http.Header{}
	for i, line := range lines {
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, errorf(ExitUsage, nil, "header %d: want \"Name: value\"", i+1)
		}
		if !validHeaderName(name) {
			return nil, errorf(ExitUsage, nil, "header %d: %q is not a valid header name", i+1, truncate(name, 40))
		}
		value = strings.TrimSpace(value)
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, errorf(ExitUsage, nil, "header %s: the value contains a line break or NUL", http.CanonicalHeaderKey(name))
		}
		switch strings.ToLower(name) {
		case "host", "content-length", "content-type", "transfer-encoding", "connection", "te", "upgrade", "trailer", "accept", "prefer":
			return nil, errorf(ExitUsage, nil, "header %s is set by geojobs and cannot be given", http.CanonicalHeaderKey(name))
		}
		h.Add(name, value)
	}
	return h, nil
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

// headerCredentials sends fixed headers with every request to the endpoint; the
// ogcapi client treats them as secrets (never logged, removed from errors, not sent
// to other origins).
type headerCredentials http.Header

func (h headerCredentials) Apply(req *http.Request) error {
	for name, values := range h {
		req.Header.Del(name)
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	return nil
}

// chainCredentials applies several credentials in order.
type chainCredentials []ogcapi.Credentials

func (c chainCredentials) Apply(req *http.Request) error {
	for _, cr := range c {
		if err := cr.Apply(req); err != nil {
			return fmt.Errorf("credentials: %w", err)
		}
	}
	return nil
}

// Renew renews the credentials that can be (ogcapi.Renewer).
func (c chainCredentials) Renew(req *http.Request) (bool, error) {
	for _, cr := range c {
		if rn, ok := cr.(ogcapi.Renewer); ok {
			return rn.Renew(req)
		}
	}
	return false, nil
}

// credentials combines the --header values and the Options' credentials; nil when none.
func credentials(h http.Header, cr ogcapi.Credentials) ogcapi.Credentials {
	var chain chainCredentials
	if len(h) > 0 {
		chain = append(chain, headerCredentials(h))
	}
	if cr != nil {
		chain = append(chain, cr)
	}
	switch len(chain) {
	case 0:
		return nil
	case 1:
		return chain[0]
	}
	return chain
}

// maxHeaderFile caps a header file.
const maxHeaderFile = 64 << 10

// LoadHeaderLines reads a header file: one "Name: value" per line; blank lines and
// lines starting with # are skipped. Errors never quote the file's content.
func LoadHeaderLines(fsys afero.Fs, path string) ([]string, error) {
	b, err := afero.ReadFile(fsys, path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf(ExitUsage, nil, "header file %s does not exist", path)
		}
		return nil, errorf(ExitUsage, err, "header file")
	}
	if len(b) > maxHeaderFile {
		return nil, errorf(ExitUsage, nil, "header file %s is larger than %d KiB", path, maxHeaderFile>>10)
	}
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			lines = append(lines, t)
		}
	}
	return lines, nil
}
