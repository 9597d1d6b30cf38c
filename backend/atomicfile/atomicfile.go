// Package atomicfile writes whole files so that a crash at any moment leaves either the
// old content or the new, never a truncated file: a temporary file beside the target is
// written, synced and renamed over it, and the folder is synced where the file system
// allows. Write is for small state files (keystore, job state, preferences); Stream
// writes data as it comes.
package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/afero"
)

// Write replaces path's content with data, with permissions perm. The folder must exist.
func Write(fsys afero.Fs, path string, data []byte, perm fs.FileMode) error {
	return Stream(fsys, path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Stream replaces path's content with what write writes, with permissions perm: when
// write fails, path is left as it was and write's error is returned. The folder must
// exist. It suits data streamed from elsewhere (the transfer file driver's Put).
func Stream(fsys afero.Fs, path string, perm fs.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := afero.TempFile(fsys, dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = fsys.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = fsys.Chmod(tmp, perm); err != nil {
		return err
	}
	if err = fsys.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(fsys, dir)
	return nil
}

// WriteOS is Write on the operating system's file system.
func WriteOS(path string, data []byte, perm fs.FileMode) error {
	return Write(afero.NewOsFs(), path, data, perm)
}

// syncDir makes the rename durable where the file system supports it.
func syncDir(fsys afero.Fs, dir string) {
	if _, ok := fsys.(*afero.OsFs); !ok {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
