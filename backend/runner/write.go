package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/spf13/afero"
)

// writeCollection validates the ItemCollection and writes it to path atomically (a
// temporary file in the same folder, then a rename), or to stdout for "-". A file
// that does not validate is not written.
func writeCollection(fsys afero.Fs, path string, stdout io.Writer, ic *stac.ItemCollection) error {
	b, err := json.MarshalIndent(ic, "", "  ")
	if err != nil {
		return errorf(ExitOutput, err, "encode the ItemCollection")
	}
	b = append(b, '\n')
	if err := stac.Validate(b); err != nil {
		return errorf(ExitOutput, err, "the results do not make a valid STAC ItemCollection")
	}
	if path == "-" {
		if _, err := stdout.Write(b); err != nil {
			return errorf(ExitOutput, err, "write the ItemCollection")
		}
		return nil
	}
	if err := atomicWrite(fsys, path, b); err != nil {
		return errorf(ExitOutput, err, "write %s", path)
	}
	return nil
}

func atomicWrite(fsys afero.Fs, path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return err
	}
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
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return fsys.Rename(tmp, path)
}
