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

// WriteManifest replaces the manifest of dest atomically, without waiting for the disk:
// SyncFiles makes it durable with the files it lists.
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
	return writeReplace(root, ManifestName, append(data, '\n'))
}

// writePace and writeGap space the writes of a folder's manifest (groupcommit.Batcher
// Pace and Gap): while files keep completing, they take at most a ninth of the time and
// come at most once a second; the last file of a burst has it written at once.
const (
	writePace = 8
	writeGap  = time.Second
)

// record adds completed downloads to their folder's manifest, and then ends their
// tasks (groupcommit.Batchers: the files that complete while the manifest is being
// written, or while the next write waits for writePace and writeGap, go into the next
// write together; rewriting the whole manifest for each of 2,000 small files made the
// work grow with the square of their number). The last file on its way into the folder
// has the write start at once.
func (m *Manager) record(dest string, batch []recorded) {
	now := time.Now().UTC()
	man, err := ReadManifest(dest)
	if err != nil {
		man = Manifest{} // a damaged manifest is rebuilt
	}
	at := make(map[string]int, len(man.Files))
	for i, f := range man.Files {
		at[f.Name] = i
	}
	for _, b := range batch {
		r := b.res
		e := ManifestEntry{Name: r.Name, URL: r.URL, Size: r.Size, Checksum: r.Checksum, Verified: r.Verified, StateCompleted: now}
		if i, ok := at[e.Name]; ok {
			man.Files[i] = e
			continue
		}
		at[e.Name] = len(man.Files)
		man.Files = append(man.Files, e)
	}
	m.finish(batch, WriteManifest(dest, man), false)
}
