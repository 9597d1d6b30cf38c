package stac

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/spf13/afero"
)

// Job describes a finished OGC API – Processes job whose outputs are not STAC. It is
// independent of the ogcapi types on purpose; callers copy the fields over.
type Job struct {
	ID        string // job id; becomes the Item id
	ProcessID string
	Endpoint  string // the server's base URL
	JobURL    string // optional: the job's status URL, linked as rel "via"
	Created   time.Time
	Started   time.Time
	Finished  time.Time // required: the Item's datetime
	Outputs   []Output
}

// Output is one job output. Exactly one of Href, Inline and Bytes should be set.
type Output struct {
	ID        string
	Href      string // by reference: becomes an asset
	MediaType string // of the referenced or inline value
	Title     string
	Inline    json.RawMessage // inline JSON value: a property, or a file when it is a complex value
	Bytes     []byte          // inline binary value: always a file
}

// Property names JobItem writes, namespaced under "geojobs:".
const (
	PropProcess  = "geojobs:process"
	PropEndpoint = "geojobs:endpoint"
	PropJob      = "geojobs:job"
	PropOutputs  = "geojobs:outputs" // object: output id → inline literal value
)

// maxInlineProperty is the largest inline literal kept in the Item's properties;
// larger ones are written to a file like complex values.
const maxInlineProperty = 64 << 10

// JobItem builds one STAC Item (version 1.0.0, null geometry) for a job:
//   - outputs by reference become assets {href, type, title, roles ["data"]};
//   - inline literals (JSON without a media type, or application/json or text/plain,
//     up to 64 KiB) go to properties["geojobs:outputs"][id];
//   - inline bytes and other inline values are written to fsys under dir, one file per
//     output, and become assets with a relative href ("./<name>"), file:size and a
//     sha2-256 file:checksum. So dir must be where the Item (collection) file is saved.
//
// The Item's datetime is job.Finished. Errors wrap ErrInvalid (bad input) or come from fsys.
func JobItem(job Job, fsys afero.Fs, dir string) (*Item, error) {
	if job.ID == "" {
		return nil, fmt.Errorf("%w: job id is required", ErrInvalid)
	}
	if job.Finished.IsZero() {
		return nil, fmt.Errorf("%w: job %s has no finished time", ErrInvalid, job.ID)
	}
	it := &Item{
		Type:        "Feature",
		StacVersion: Version,
		ID:          job.ID,
		Geometry:    json.RawMessage("null"),
		Properties:  map[string]json.RawMessage{},
		Links:       []Link{},
		Assets:      map[string]Asset{},
	}
	it.SetProperty("datetime", job.Finished.UTC().Format(time.RFC3339Nano))
	if !job.Created.IsZero() {
		it.SetProperty("created", job.Created.UTC().Format(time.RFC3339Nano))
	}
	if !job.Started.IsZero() && !job.Started.After(job.Finished) {
		it.SetProperty("start_datetime", job.Started.UTC().Format(time.RFC3339Nano))
		it.SetProperty("end_datetime", job.Finished.UTC().Format(time.RFC3339Nano))
	}
	it.SetProperty(PropJob, job.ID)
	if job.ProcessID != "" {
		it.SetProperty(PropProcess, job.ProcessID)
	}
	if job.Endpoint != "" {
		it.SetProperty(PropEndpoint, stripUserinfo(job.Endpoint))
	}
	if job.JobURL != "" {
		it.Links = append(it.Links, Link{Href: stripUserinfo(job.JobURL), Rel: "via", Type: "application/json", Title: "OGC API job status"})
	}
	literals := map[string]json.RawMessage{}
	used := map[string]bool{}
	for _, o := range job.Outputs {
		if o.ID == "" {
			return nil, fmt.Errorf("%w: job %s has an output without id", ErrInvalid, job.ID)
		}
		if _, dup := it.Assets[o.ID]; dup || literals[o.ID] != nil {
			return nil, fmt.Errorf("%w: job %s has output %q twice", ErrInvalid, job.ID, o.ID)
		}
		switch {
		case o.Href != "":
			it.Assets[o.ID] = Asset{Href: o.Href, Type: o.MediaType, Title: o.Title, Roles: []string{"data"}}
		case o.Bytes != nil:
			if err := saveOutput(it, fsys, dir, o, o.Bytes, used); err != nil {
				return nil, err
			}
		case o.Inline != nil:
			if !json.Valid(o.Inline) {
				return nil, fmt.Errorf("%w: output %q: inline value is not JSON", ErrInvalid, o.ID)
			}
			if isLiteral(o.MediaType) && len(o.Inline) <= maxInlineProperty {
				literals[o.ID] = o.Inline
				continue
			}
			if err := saveOutput(it, fsys, dir, o, o.Inline, used); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: output %q has no value", ErrInvalid, o.ID)
		}
	}
	if len(literals) > 0 {
		it.SetProperty(PropOutputs, literals)
	}
	return it, nil
}

func isLiteral(mediaType string) bool {
	mt, _, _ := mime.ParseMediaType(mediaType)
	return mediaType == "" || mt == "application/json" || mt == "text/plain"
}

// saveOutput writes data to dir/<name> and adds the asset.
func saveOutput(it *Item, fsys afero.Fs, dir string, o Output, data []byte, used map[string]bool) error {
	if fsys == nil {
		return fmt.Errorf("%w: output %q is inline and no file system was given to save it", ErrInvalid, o.ID)
	}
	name := fileName(o.ID, o.MediaType)
	for i := 2; used[name]; i++ {
		ext := path.Ext(name)
		name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(fileName(o.ID, o.MediaType), ext), i, ext)
	}
	used[name] = true
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("stac: save output %q: %w", o.ID, err)
	}
	if err := afero.WriteFile(fsys, filepath.Join(dir, name), data, 0o644); err != nil {
		return fmt.Errorf("stac: save output %q: %w", o.ID, err)
	}
	sum := sha256.Sum256(data)
	mediaType := o.MediaType
	if mediaType == "" && o.Bytes == nil {
		mediaType = "application/json"
	}
	a := Asset{Href: "./" + (&url.URL{Path: name}).EscapedPath(), Type: mediaType, Title: o.Title, Roles: []string{"data"}}
	a.Set("file:size", len(data))
	a.Set("file:checksum", multihash.Encode(multihash.SHA2_256, sum[:]))
	it.Assets[o.ID] = a
	it.AddExtension(FileExtension)
	return nil
}

// fileName makes a safe file name from an output id and an extension for its media type.
func fileName(id, mediaType string) string {
	var sb strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	base := strings.Trim(sb.String(), ".")
	if base == "" || len(base) > 100 {
		base = "output"
	}
	return base + extension(mediaType)
}

var extensions = map[string]string{
	"image/tiff": ".tif", "image/png": ".png", "image/jpeg": ".jpg",
	"application/json": ".json", "application/geo+json": ".geojson", "text/plain": ".txt",
	"text/csv": ".csv", "text/html": ".html", "application/xml": ".xml", "text/xml": ".xml", "application/zip": ".zip",
	"application/x-netcdf": ".nc", "application/netcdf": ".nc", "application/octet-stream": ".bin",
}

func extension(mediaType string) string {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil || mediaType == "" {
		return ".bin"
	}
	if ext, ok := extensions[mt]; ok {
		return ext
	}
	if strings.HasSuffix(mt, "+json") {
		return ".json"
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

func stripUserinfo(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}
