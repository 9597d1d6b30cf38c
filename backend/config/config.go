// Package config knows where geojobs keeps its files and sets up logging. It holds no
// user settings of its own (those live in the database).
package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// AppName names the folders geojobs creates.
const AppName = "geojobs"

// DefaultDataDir is the per-user data folder: $XDG_DATA_HOME/geojobs (default
// ~/.local/share/geojobs) on Linux and BSD, ~/Library/Application Support/geojobs on macOS,
// %LocalAppData%\geojobs on Windows. It falls back to a folder under the temp dir when the
// home folder is unknown (containers running as an arbitrary UID without HOME).
func DefaultDataDir() string {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, AppName)
		}
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, "Library", "Application Support", AppName)
		}
	default:
		if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, AppName)
		}
		if h, err := os.UserHomeDir(); err == nil && h != "" && h != "/" {
			return filepath.Join(h, ".local", "share", AppName)
		}
	}
	return filepath.Join(os.TempDir(), AppName+"-"+userTag())
}

func userTag() string {
	return fmt.Sprint(os.Getuid())
}

// Paths are the files and folders inside a data dir.
type Paths struct{ Root string }

func (p Paths) Database() string      { return filepath.Join(p.Root, "geojobs.db") }
func (p Paths) LocalEndpoint() string { return filepath.Join(p.Root, "local-endpoint") }
func (p Paths) Logs() string          { return filepath.Join(p.Root, "logs") }
func (p Paths) LogFile() string       { return filepath.Join(p.Logs(), "geojobs.log") }

// Ensure creates the data dir with owner-only permissions.
func (p Paths) Ensure() error {
	if err := os.MkdirAll(p.Root, 0o700); err != nil {
		return fmt.Errorf("cannot create the data folder %s: %w", p.Root, err)
	}
	return nil
}

// ParseLevel reads debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return 0, fmt.Errorf("log level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// Logger returns a structured logger writing text to stderr and, when logFile is not
// empty, JSON lines to that file (appended, created 0600). The returned closer closes the file.
func Logger(stderr io.Writer, logFile string, level slog.Level) (*slog.Logger, io.Closer, error) {
	opts := &slog.HandlerOptions{Level: level}
	handlers := []slog.Handler{slog.NewTextHandler(stderr, opts)}
	var closer io.Closer = io.NopCloser(nil)
	if logFile != "" {
		if err := os.MkdirAll(filepath.Dir(logFile), 0o700); err != nil {
			return nil, nil, fmt.Errorf("cannot create the log folder: %w", err)
		}
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot open the log file: %w", err)
		}
		handlers = append(handlers, slog.NewJSONHandler(f, opts))
		closer = f
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closer, nil
}
