package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/geojobs/geojobs/backend/transfer/driver"
)

const (
	maxComponent = 200  // bytes; file systems allow 255, leaving room for ".part.json.tmp"
	maxName      = 1024 // bytes, whole relative path
	maxDepth     = 32
)

// SanitizeName turns an untrusted name (a STAC asset key, the path of an href) into a
// clean relative path with forward slashes, or fails with Code InvalidArgument.
//
// It refuses empty names, NUL bytes, absolute paths (leading / or \), drive letters and
// UNC prefixes, ".." components (even those that would stay inside), reserved Windows
// device names (CON, NUL, COM1, …, with any extension), and paths deeper than 32 or
// longer than 1024 bytes. It sanitises the rest: both / and \ separate components,
// "." components are dropped, control characters and <>:"|?* become "_", invalid UTF-8
// is replaced, trailing dots and spaces are trimmed (Windows would drop them), and a
// component longer than 200 bytes is shortened, keeping its extension, with a hash of
// the original so that two long names stay distinct.
func SanitizeName(name string) (string, error) {
	bad := func(why string) (string, error) {
		return "", driver.Errorf(InvalidArgument, "transfer: unsafe file name %.80q: %s", name, why)
	}
	switch {
	case name == "":
		return bad("empty")
	case strings.IndexByte(name, 0) >= 0:
		return bad("contains NUL")
	case len(name) > 4*maxName:
		return bad("too long")
	case name[0] == '/' || name[0] == '\\':
		return bad("absolute path")
	case len(name) >= 2 && name[1] == ':' && isLetter(name[0]):
		return bad("drive letter")
	}
	var parts []string
	for _, c := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		switch c {
		case ".":
			continue
		case "..":
			return bad(`".." component`)
		}
		c = sanitizeComponent(c)
		if reservedWindowsName(c) {
			return bad("reserved device name on Windows")
		}
		parts = append(parts, c)
	}
	switch {
	case len(parts) == 0:
		return bad("no file name")
	case len(parts) > maxDepth:
		return bad("too deep")
	}
	rel := strings.Join(parts, "/")
	if len(rel) > maxName {
		return bad("too long")
	}
	if !filepath.IsLocal(filepath.FromSlash(rel)) { // belt and braces
		return bad("not a local path")
	}
	return rel, nil
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func sanitizeComponent(c string) string {
	orig := c
	c = strings.ToValidUTF8(c, "_")
	c = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`<>:"|?*`, r) {
			return '_'
		}
		return r
	}, c)
	c = strings.TrimRight(c, ". ")
	if c == "" {
		c = "_"
	}
	if len(c) > maxComponent {
		sum := sha256.Sum256([]byte(orig))
		tag := "~" + hex.EncodeToString(sum[:4])
		ext := path.Ext(c)
		if len(ext) > 16 {
			ext = ""
		}
		keep := maxComponent - len(tag) - len(ext)
		for keep > 0 && !utf8.RuneStart(c[keep]) {
			keep--
		}
		c = c[:keep] + tag + ext
	}
	return c
}

func reservedWindowsName(c string) bool {
	base, _, _ := strings.Cut(c, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		return base[3] >= '0' && base[3] <= '9'
	}
	if strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT") {
		switch base[3:] {
		case "¹", "²", "³":
			return true
		}
	}
	return false
}
