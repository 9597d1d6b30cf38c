package transfer

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"sort"
	"time"
)

// ManifestName is the manifest's file name in a destination folder.
const ManifestName = "geojobs-manifest.json"

// Manifest lists the files downloaded into a folder.
type Manifest struct {
	Files []ManifestEntry `json:"files"`
}

// ManifestEntry is one downloaded file.
type ManifestEntry struct {
	Name           string    `json:"name"` // relative path, forward slashes
	URL            string    `json:"url"`  // redacted
	Size           int64     `json:"size"`
	Checksum       string    `json:"checksum,omitempty"`
	Verified       bool      `json:"verified"`
	StateCompleted time.Time `json:"completed"`
}

// ReadManifest reads the manifest of dest; a missing manifest is empty.
func ReadManifest(dest string) (Manifest, error) {
	var m Manifest
	root, err := os.OpenRoot(dest)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return m, nil
		}
		return m, localError("open", "destination folder", err)
	}
	defer root.Close()
	f, err := root.Open(ManifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	} else if err != nil {
		return m, localError("read", ManifestName, err)
	}
	defer f.Close()
	if err := json.NewDecoder(limitReader(f, 64<<20)).Decode(&m); err != nil {
		return m, localError("read", ManifestName, err)
	}
	return m, nil
}

// WriteManifest replaces the manifest of dest atomically.
func WriteManifest(dest string, m Manifest) error {
	root, err := os.OpenRoot(dest)
	if err != nil {
		return localError("open", "destination folder", err)
	}
	defer root.Close()
	sort.Slice(m.Files, func(i, k int) bool { return m.Files[i].Name < m.Files[k].Name })
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(root, ManifestName, append(data, '\n'))
}

// record adds a completed download to its folder's manifest.
func (m *Manager) record(dest string, r Result) error {
	m.manifestMu.Lock()
	defer m.manifestMu.Unlock()
	man, err := ReadManifest(dest)
	if err != nil {
		man = Manifest{} // a damaged manifest is rebuilt
	}
	e := ManifestEntry{Name: r.Name, URL: r.URL, Size: r.Size, Checksum: r.Checksum, Verified: r.Verified, StateCompleted: time.Now().UTC()}
	replaced := false
	for i := range man.Files {
		if man.Files[i].Name == e.Name {
			man.Files[i], replaced = e, true
		}
	}
	if !replaced {
		man.Files = append(man.Files, e)
	}
	return WriteManifest(dest, man)
}
