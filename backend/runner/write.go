package runner

import (
	"encoding/json"
	"io"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/atomicfile"

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

func atomicWrite(fsys afero.Fs, path string, data []byte) error {
	if err := fsys.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(fsys, path, data, 0o644)
}
