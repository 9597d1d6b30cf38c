//go:build windows

package keystore

import (
	"os"

	"golang.org/x/sys/windows"
)

// lockOSFile takes an exclusive lock on f, waiting for it.
func lockOSFile(f *os.File) error {
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, new(windows.Overlapped))
}

func unlockOSFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
