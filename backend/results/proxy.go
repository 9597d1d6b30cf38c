package results

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// ErrRange: the Range header asks for bytes the asset does not have.
var ErrRange = errs.New(errs.InvalidArgument, "results: range not satisfiable")

// inlineTypes are the media types the proxy serves as themselves, for <img> and the
// map; anything else is sent as an attachment of type application/octet-stream, so a
// remote server cannot make the app's origin render its HTML or SVG.
var inlineTypes = map[string]string{
	"image/png": "image/png", "image/jpeg": "image/jpeg", "image/jpg": "image/jpeg", "image/webp": "image/webp",
	"image/gif": "image/gif", "image/tiff": "image/tiff", "application/geo+json": "application/geo+json",
	"application/json": "application/json",
}

// ServeAsset streams an asset of a job's results to w, with the credentials its href
// needs (added in the backend: the page only ever sees this same-origin URL). A single
// byte range (Range: bytes=a-b, a-, -n) is passed through to the source, so a
// Cloud-Optimized GeoTIFF is previewed by range reads; GET and HEAD are answered.
// Errors come before anything is written: ErrNoAsset, ErrNotReady, ErrRange, or a
// classified transfer error (transfer.Code) from the source.
func (s *Service) ServeAsset(w http.ResponseWriter, r *http.Request, jobID, itemID, key string) error {
	// A large asset streams for longer than the UI server's write timeout allows.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	ctx := s.Scoped(r.Context(), jobID)
	_, a, err := s.Asset(ctx, jobID, itemID, key)
	if err != nil {
		return err
	}
	if path, ok := s.inlineFile(jobID, a.Href); ok {
		return s.serveInline(w, r, path, a.Type)
	}
	u, src, err := s.source(a.Href)
	if err != nil {
		return err
	}
	info, err := src.Stat(ctx, u)
	if err != nil {
		return err
	}
	if info.Size >= 0 {
		s.sizes.Store(a.Href, info.Size)
	}
	off, n, partial, err := parseRange(r.Header.Get("Range"), info.Size)
	if err != nil {
		w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(info.Size, 10))
		return err
	}
	if partial && off > 0 && !info.AcceptRanges {
		partial, off, n = false, 0, -1
	}
	h := w.Header()
	mt, _, _ := mime.ParseMediaType(a.Type)
	if strings.HasPrefix(mt, "image/tiff") {
		mt = "image/tiff"
	}
	if t, ok := inlineTypes[mt]; ok {
		h.Set("Content-Type", t)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", "attachment")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=300")
	if info.ETag != "" {
		h.Set("ETag", info.ETag)
	}
	if info.AcceptRanges && info.Size >= 0 {
		h.Set("Accept-Ranges", "bytes")
	}
	status := http.StatusOK
	switch {
	case partial:
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, info.Size))
		h.Set("Content-Length", strconv.FormatInt(n, 10))
	case info.Size >= 0:
		h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	body, err := src.ReadRange(ctx, u, off, n, &driver.ReadOptions{IfMatch: info.ETag})
	if err != nil {
		h.Del("Content-Length")
		h.Del("Content-Range")
		return err
	}
	defer body.Close()
	w.WriteHeader(status)
	if _, err := io.Copy(w, body); err != nil && ctx.Err() == nil {
		// Headers are gone: the client sees a short body. Log-worthy only.
		s.log.Debug("results: asset proxy copy", "asset", key, "err", err)
	}
	return nil
}

// parseRange reads a single-range Range header against size (-1: unknown). partial is
// false when the whole object is to be sent (no header, several ranges, unknown size).
func parseRange(h string, size int64) (off, n int64, partial bool, err error) {
	if h == "" || size < 0 {
		return 0, -1, false, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, -1, false, nil
	}
	a, b, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, -1, false, nil
	}
	switch {
	case a == "": // suffix: the last b bytes
		k, err := strconv.ParseInt(b, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, false, ErrRange
		}
		k = min(k, size)
		return size - k, k, true, nil
	default:
		start, err := strconv.ParseInt(a, 10, 64)
		if err != nil || start < 0 || start >= size {
			return 0, 0, false, ErrRange
		}
		end := size - 1
		if b != "" {
			e, err := strconv.ParseInt(b, 10, 64)
			if err != nil || e < start {
				return 0, 0, false, ErrRange
			}
			end = min(e, size-1)
		}
		return start, end - start + 1, true, nil
	}
}

// Status maps a ServeAsset (or Items) error to an HTTP status and a short text for
// people; the source's own message is not included (it may name internal hosts).
func Status(err error) (int, string) {
	switch {
	case errors.Is(err, ErrNoAsset):
		return http.StatusNotFound, "No such asset in the job's results."
	case errors.Is(err, ErrNotReady):
		return http.StatusNotFound, "The job has no results."
	case errors.Is(err, ErrRange):
		return http.StatusRequestedRangeNotSatisfiable, "The requested range is outside the file."
	case errors.Is(err, context.Canceled):
		return 499, "Canceled."
	}
	var nk *keystore.NoKeyError
	if errors.As(err, &nk) {
		return http.StatusForbidden, nk.Message("show") + "."
	}
	switch transfer.Code(err) {
	case transfer.NotFound:
		return http.StatusNotFound, "The file is no longer on the server."
	case transfer.PermissionDenied:
		return http.StatusBadGateway, "The server refused access to the file; add a key for it in the keystore."
	case transfer.InvalidArgument:
		return http.StatusBadRequest, "This asset cannot be shown here (its URL is not http, https or s3)."
	case transfer.Unavailable:
		return http.StatusBadGateway, "The file's server is unavailable."
	case transfer.Changed:
		return http.StatusConflict, "The file changed on the server."
	}
	return http.StatusBadGateway, "The file could not be read."
}

// ReadAsset reads a whole asset of a job's results, up to limit bytes (an error wrapping
// transfer's ResourceExhausted code beyond), with the credentials its href needs.
func (s *Service) ReadAsset(ctx context.Context, jobID, itemID, key string, limit int64) ([]byte, error) {
	ctx = s.Scoped(ctx, jobID)
	_, a, err := s.Asset(ctx, jobID, itemID, key)
	if err != nil {
		return nil, err
	}
	if path, ok := s.inlineFile(jobID, a.Href); ok {
		return readInline(ctx, path, limit)
	}
	u, src, err := s.source(a.Href)
	if err != nil {
		return nil, err
	}
	rc, err := src.ReadRange(ctx, u, 0, -1, nil)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, driver.Errorf(transfer.ResourceExhausted, "results: asset larger than %d bytes", limit)
	}
	return b, nil
}
