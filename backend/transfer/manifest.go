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

// writePace and writeGap space the writes of a folder's manifest (groupcommit.Group
// Pace and Gap): while files keep completing, they take at most a ninth of the time and
// come at most once a second; the last file of a burst has it written at once.
const (
	writePace = 8
	writeGap  = time.Second
)

// record adds a completed download to its folder's manifest, and returns once the
// manifest on disk lists it. Files that complete while the manifest is being written
// go into the next write together, and writes are spaced (groupcommit, writePace, writeGap):
// rewriting the whole manifest for each of 2,000 small files made the work grow with
// the square of their number.
// last says no other file is on its way into dest: the write starts at once.
func (m *Manager) record(dest string, r Result, last bool) error {
	e := ManifestEntry{Name: r.Name, URL: r.URL, Size: r.Size, Checksum: r.Checksum, Verified: r.Verified, StateCompleted: time.Now().UTC()}
	m.manifestMu.Lock()
	if m.unrecorded == nil {
		m.unrecorded = map[string][]ManifestEntry{}
	}
	m.unrecorded[dest] = append(m.unrecorded[dest], e)
	m.manifestMu.Unlock()
	do := m.manifests.Do
	if last {
		do = m.manifests.DoNow
	}
	return do(dest, func() error {
		m.manifestMu.Lock()
		add := m.unrecorded[dest]
		delete(m.unrecorded, dest)
		m.manifestMu.Unlock()
		if len(add) == 0 {
			return nil // written by the previous write
		}
		man, err := ReadManifest(dest)
		if err != nil {
			man = Manifest{} // a damaged manifest is rebuilt
		}
		at := make(map[string]int, len(man.Files))
		for i, f := range man.Files {
			at[f.Name] = i
		}
		for _, e := range add {
			if i, ok := at[e.Name]; ok {
				man.Files[i] = e
				continue
			}
			at[e.Name] = len(man.Files)
			man.Files = append(man.Files, e)
		}
		if err := WriteManifest(dest, man); err != nil {
			// Callers of the next write may have recorded some of these: it tries again.
			m.manifestMu.Lock()
			m.unrecorded[dest] = append(add, m.unrecorded[dest]...)
			m.manifestMu.Unlock()
			return err
		}
		return nil
	})
}
