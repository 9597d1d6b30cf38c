// Package folderlock makes one geojobs process at a time the user of a data folder:
// `serve`, the default command, the desktop app and `local-endpoint` take an OS file
// lock on <data folder>/geojobs.lock for as long as they run. A second process is told
// which one holds the folder. The lock goes with the process, however it ends.
package folderlock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileName is the lock file in the data folder.
const FileName = "geojobs.lock"

// ErrHeld is wrapped by Acquire's error when another process holds the folder.
var ErrHeld = errors.New("the data folder is in use by another geojobs process")

// Lock is a held data-folder lock.
type Lock struct {
	f *os.File
}

// Acquire locks dir for this process, which runs as what (e.g. "geojobs serve"). When
// another process holds it, the error wraps ErrHeld and names that process (its pid,
// command and start time, as it recorded them).
func Acquire(dir, what string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, FileName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		b, _ := os.ReadFile(p)
		f.Close()
		holder := strings.TrimSpace(string(b))
		if holder == "" {
			holder = "another process"
		}
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w (%s): %s; stop it first, or give another folder with --data-dir", ErrHeld, dir, holder)
		}
		return nil, fmt.Errorf("data folder lock %s: %w", p, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d, %s, since %s\n", os.Getpid(), what, time.Now().Format(time.RFC3339))), 0)
	}
	return &Lock{f: f}, nil
}

// Release unlocks the folder (closing the file releases the OS lock).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}

// Wait locks the file at path (creating it) for a short read-modify-write, waiting
// while another process holds it. Call release when done.
func Wait(path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := waitFile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
