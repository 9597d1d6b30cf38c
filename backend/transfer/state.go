package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"time"

	"github.com/geojobs/geojobs/backend/transfer/driver"
)

const stateVersion = 1

// sidecar is <name>.part.json: what is needed to resume <name>.part safely.
type sidecar struct {
	Version int `json:"version"`
	// URL is redacted (no query: it may hold a signature); URLHash identifies the full URL.
	URL      string     `json:"url"`
	URLHash  string     `json:"urlSha256"`
	Size     int64      `json:"size"`
	ETag     string     `json:"etag,omitempty"`
	ModTime  time.Time  `json:"modTime,omitzero"`
	Checksum string     `json:"checksum,omitempty"`
	Done     [][2]int64 `json:"done"`
}

func urlHash(u *url.URL) string {
	s := sha256.Sum256([]byte(u.String()))
	return hex.EncodeToString(s[:])
}

func newSidecar(u *url.URL, info driver.Info, checksum string, done rangeSet) *sidecar {
	s := &sidecar{Version: stateVersion, URL: driver.RedactURL(u), URLHash: urlHash(u), Size: info.Size,
		ETag: info.ETag, ModTime: info.ModTime.UTC(), Checksum: checksum, Done: make([][2]int64, 0, len(done))}
	for _, sp := range done {
		s.Done = append(s.Done, [2]int64{sp.Start, sp.End})
	}
	return s
}

// resumable reports whether the partial data described by s belongs to the object
// now described by info: same URL and size, and the same version where the source
// tells one (ETag, else modification time). The checksum need not match: the data is
// hashed whole before it is accepted anyway.
func (s *sidecar) resumable(u *url.URL, info driver.Info) bool {
	switch {
	case s == nil, s.Version != stateVersion, s.URLHash != urlHash(u),
		info.Size < 0, s.Size != info.Size, !info.AcceptRanges:
		return false
	case s.ETag != "" || info.ETag != "":
		return s.ETag == info.ETag
	case !s.ModTime.IsZero() || !info.ModTime.IsZero():
		return s.ModTime.Equal(info.ModTime)
	}
	return true
}

func (s *sidecar) done() rangeSet {
	var r rangeSet
	for _, d := range s.Done {
		r = r.add(d[0], d[1])
	}
	return r.clip(s.Size)
}

// loadSidecar returns nil when there is no usable state file.
func loadSidecar(root *os.Root, name string) *sidecar {
	s, _ := readSidecar(root, name)
	return s
}

// readSidecar is loadSidecar that also says whether a file of that name is there
// (usable or not).
func readSidecar(root *os.Root, name string) (_ *sidecar, found bool) {
	f, err := root.Open(name)
	if err != nil {
		return nil, !errors.Is(err, fs.ErrNotExist)
	}
	defer f.Close()
	var s sidecar
	dec := json.NewDecoder(limitReader(f, 1<<20))
	if err := dec.Decode(&s); err != nil {
		return nil, true
	}
	return &s, true
}

// writeAtomic replaces name in root with data: a temp file, fsynced, renamed.
func writeAtomic(root *os.Root, name string, data []byte) error {
	return replaceFile(root, name, data, true)
}

// writeReplace replaces name in root with data, a temp file renamed, without waiting
// for the disk: a crash of the process leaves the old or the new file; the files a
// download writes are made durable together once they are all there (SyncFiles).
func writeReplace(root *os.Root, name string, data []byte) error {
	return replaceFile(root, name, data, false)
}

func replaceFile(root *os.Root, name string, data []byte, sync bool) error {
	tmp := name + ".tmp"
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return localError("write", tmp, err)
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
		return localError("write", name, err)
	}
	return nil
}

func (s *sidecar) save(root *os.Root, name string) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeAtomic(root, name, data)
}

func removeIfExists(root *os.Root, name string) error {
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return localError("remove", name, err)
	}
	return nil
}

// saveEvery calls save every interval until the returned stop is called, and hands
// a failed save to fail (which cancels the download: state that cannot be written
// is a full or broken disk). stop returns once no save runs any more.
func saveEvery(interval time.Duration, save func() error, fail func(error)) (stop func()) {
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if err := save(); err != nil {
					fail(err)
				}
			case <-quit:
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
