//go:build !linux

package transfer

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"runtime"
)

func syncFiles(dest string, names []string) error {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return err
	}
	defer root.Close()
	dirs := map[string]bool{".": true}
	var errs []error
	for _, name := range append(names, ManifestName, CatalogName) {
		f, err := root.OpenFile(filepath.FromSlash(name), os.O_WRONLY, 0)
		if os.IsNotExist(err) {
			continue
		}
		if err == nil {
			err = f.Sync()
			f.Close()
		}
		errs = append(errs, err)
		dirs[path.Dir(name)] = true
	}
	if runtime.GOOS != "windows" { // Windows cannot open a folder to flush it
		for dir := range dirs {
			if d, err := root.Open(filepath.FromSlash(dir)); err == nil {
				_ = d.Sync() // some file systems refuse to sync a folder
				d.Close()
			}
		}
	}
	return errors.Join(errs...)
}
