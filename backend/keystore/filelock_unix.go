//go:build !windows

package keystore

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockOSFile takes an exclusive advisory lock on f, waiting for it.
func lockOSFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_EX) }

func unlockOSFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }
