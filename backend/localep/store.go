package localep

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"

	"github.com/geojobs/geojobs/backend/atomicfile"

	"github.com/spf13/afero"
)

// store keeps the endpoint's state as files under one directory of an afero.Fs:
//
//	jobs/{jobID}/job.json          the job record (status, request, results)
//	jobs/{jobID}/log.txt           the job's log (served at /jobs/{id}/log)
//	jobs/{jobID}/outputs/{name}    output files (served at /jobs/{id}/outputs/{name})
//	processes/{processID}.json     a deployed application package
//
// Every JSON document is written to a temporary file and renamed over the old one, so
// a crash leaves either the old or the new version, never a torn file.
type store struct {
	fs  afero.Fs
	dir string
}

func (st *store) path(elem ...string) string {
	return path.Join(append([]string{st.dir}, elem...)...)
}

func (st *store) outputDir(id string) string     { return st.path("jobs", id, "outputs") }
func (st *store) logPath(id string) string       { return st.path("jobs", id, "log.txt") }
func (st *store) processPath(id string) string   { return st.path("processes", id+".json") }
func (st *store) jobRecordPath(id string) string { return st.path("jobs", id, "job.json") }

// writeJSON stores v at name atomically (temporary file + rename).
func (st *store) writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path.Base(name), err)
	}
	return st.writeFile(name, b)
}

func (st *store) writeFile(name string, b []byte) error {
	if err := st.fs.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("create state directory: %w", err)
	}
	if err := atomicfile.Write(st.fs, name, b, 0o644); err != nil {
		return fmt.Errorf("write state %s: %w", path.Base(name), err)
	}
	return nil
}

func (st *store) readJSON(name string, v any) error {
	f, err := st.fs.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// newJobID returns a random UUID (version 4) as job id.
func newJobID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
