package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/geojobs/geojobs/backend/atomicfile"
)

// SessionFile is the name, in the data folder, of the file that keeps the browser
// session across launches (so a tab left open reconnects after a restart). It is
// readable by its owner only.
const SessionFile = "ui-session"

// LoadSession returns the session kept in path, or makes one and keeps it there (mode
// 0600). A file readable by others is not trusted: a new session replaces it.
func LoadSession(path string) (string, error) {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 == 0 {
		b, err := os.ReadFile(path)
		if err == nil {
			if s := strings.TrimSpace(string(b)); len(s) >= 32 {
				return s, nil
			}
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("session file: %w", err)
	}
	s := NewToken()
	if err := atomicfile.WriteOS(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("session file: %w", err)
	}
	return s, nil
}
