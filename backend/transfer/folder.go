package transfer

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// CheckFolder tells whether files of need bytes in all (0 or less: unknown) can be
// downloaded into dir, before anything is queued: dir must be an absolute path to a
// folder that exists or can be created, files must be creatable in it, and its file
// system must have room for need. It creates nothing that stays: writability is probed
// with a temporary file in dir, or in its nearest existing parent when dir does not
// exist yet.
//
// The error has Code InvalidArgument (not an absolute path, or a file is in the way),
// PermissionDenied (not writable) or ResourceExhausted (not enough free space), and a
// message for people that names the folder.
func CheckFolder(dir string, need int64) error {
	if !filepath.IsAbs(dir) {
		return driver.Errorf(InvalidArgument, "the folder %s is not an absolute path", dir)
	}
	dir = filepath.Clean(dir)
	existing := dir
	for {
		fi, err := os.Stat(existing)
		if err == nil {
			if !fi.IsDir() {
				if existing == dir {
					return driver.Errorf(InvalidArgument, "%s is a file, not a folder", dir)
				}
				return driver.Errorf(InvalidArgument, "the folder %s cannot be created: %s is a file", dir, existing)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return driver.Wrap(PermissionDenied, err, "the folder "+dir+" cannot be used")
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return driver.Errorf(InvalidArgument, "the folder %s cannot be created: no part of it exists", dir)
		}
		existing = parent
	}
	f, err := os.CreateTemp(existing, ".geojobs-probe-*")
	if err != nil {
		what := "the folder " + dir + " is not writable"
		if existing != dir {
			what = "the folder " + dir + " cannot be created (" + existing + " is not writable)"
		}
		if isDiskFull(err) {
			return driver.Errorf(ResourceExhausted, "%s: the disk is full", what)
		}
		return driver.Errorf(PermissionDenied, "%s", what)
	}
	f.Close()
	os.Remove(f.Name())
	if free := freeSpace(existing); need > 0 && free >= 0 && free < need {
		return driver.Errorf(ResourceExhausted, "not enough free space for %s: %s needed, %s free", dir, FormatSize(need), FormatSize(free))
	}
	return nil
}
