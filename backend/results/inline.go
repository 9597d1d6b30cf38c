package results

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Outputs a server sent in-line (an image, a CSV) become files of the job item with a
// relative href ("./name", stac.JobItem). The Service keeps them under
// ServiceOptions.InlineDir/<job id>/ and serves them like any asset.

// inlineDir is where a job's in-line outputs are kept; "" when they are not kept.
func (s *Service) inlineDir(jobID string) string {
	if s.o.InlineDir == "" || jobID == "" || strings.ContainsAny(jobID, `/\`) || jobID == "." || jobID == ".." {
		return ""
	}
	return filepath.Join(s.o.InlineDir, jobID)
}

// inlineFile is the file an asset href names when it is a kept in-line output:
// "./name" with a plain name (stac.JobItem's), nothing else.
func (s *Service) inlineFile(jobID, href string) (string, bool) {
	dir := s.inlineDir(jobID)
	rest, ok := strings.CutPrefix(href, "./")
	if dir == "" || !ok {
		return "", false
	}
	name, err := url.PathUnescape(rest)
	if err != nil || name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") {
		return "", false
	}
	return filepath.Join(dir, name), true
}

// serveInline serves a kept in-line output with the headers of ServeAsset.
func (s *Service) serveInline(w http.ResponseWriter, r *http.Request, path, mediaType string) error {
	f, err := os.Open(path)
	if err != nil {
		return driver.Errorf(transfer.NotFound, "results: in-line output not kept: %v", err)
	}
	defer f.Close()
	h := w.Header()
	mt, _, _ := mime.ParseMediaType(mediaType)
	if t, ok := inlineTypes[mt]; ok {
		h.Set("Content-Type", t)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", "attachment; filename="+quoteName(filepath.Base(path)))
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=300")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}

func quoteName(s string) string {
	return `"` + strings.NewReplacer(`"`, "_", "\\", "_").Replace(s) + `"`
}

// readInline reads a kept in-line output, up to limit bytes.
func readInline(_ context.Context, path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, driver.Errorf(transfer.NotFound, "results: in-line output not kept: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, driver.Errorf(transfer.ResourceExhausted, "results: asset larger than %d bytes", limit)
	}
	return b, nil
}
