package cwlexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Stager puts the File and Directory inputs given by reference into the run's working
// folder before cwltool starts.
type Stager interface {
	// CheckFile must return an error saying why href cannot be read as a File (a
	// scheme without a driver, a malformed URL) without reading anything.
	CheckFile(href string) error
	// CheckDirectory is CheckFile for a Directory.
	CheckDirectory(href string) error
	// File downloads the file at href to the file dest.
	File(ctx context.Context, href, dest string) error
	// Directory copies the folder at href into the folder dest.
	Directory(ctx context.Context, href, dest string) error
}

// Transfer stages inputs through the transfer drivers, with their credentials (the
// keystore's keys, for the app's Mux): http(s) files, s3:// and dav(s):// files and
// folders, and STAC catalogs.
//
// A Directory given by reference is either a folder whose driver lists it (s3://,
// dav://, davs://: everything under it is copied, at most MaxFiles files and MaxBytes
// bytes), or a STAC catalog: an href ending in .json whose document is a Catalog or
// Collection (catalog.json, as EOAP packages exchange their results). The catalog is
// copied with the children, items and assets it links to by relative hrefs that stay
// in its folder; links elsewhere are kept as absolute URLs. Anything else is refused,
// before any download, with the reason.
type Transfer struct {
	Sources *transfer.Mux
	// Scope limits the addresses reached (see netpolicy.Scope); nil: no limit.
	Scope *netpolicy.Scope
	// MaxFiles and MaxBytes bound a Directory input; defaults 10,000 files and 64 GiB.
	MaxFiles int
	MaxBytes int64
}

var _ Stager = (*Transfer)(nil)

// maxDoc bounds a STAC document read while staging a catalog.
const maxDoc = 16 << 20

func (t *Transfer) parse(href, what string) (*url.URL, driver.Source, error) {
	u, err := url.Parse(href)
	if err != nil || u.Scheme == "" {
		return nil, nil, fmt.Errorf("a %s reference must be a URL (%s), got %q", what, t.schemes(), href)
	}
	src, err := t.Sources.Source(u)
	if err != nil {
		return nil, nil, fmt.Errorf("a %s reference must be a URL (%s): geojobs does not read %s: URLs here", what, t.schemes(), u.Scheme)
	}
	if u.Host == "" {
		return nil, nil, fmt.Errorf("a %s reference must be a URL (%s), got %q", what, t.schemes(), href)
	}
	return u, src, nil
}

func (t *Transfer) schemes() string {
	s := t.Sources.Schemes()
	for i := range s {
		s[i] += "://"
	}
	return strings.Join(s, ", ")
}

// CheckFile implements Stager.
func (t *Transfer) CheckFile(href string) error {
	_, _, err := t.parse(href, "File")
	return err
}

// CheckDirectory implements Stager.
func (t *Transfer) CheckDirectory(href string) error {
	u, src, err := t.parse(href, "Directory")
	if err != nil {
		return err
	}
	if isJSON(u) {
		return nil
	}
	if _, ok := src.(driver.Lister); !ok {
		return fmt.Errorf("a Directory given by reference is a folder geojobs can list (s3://, dav://, davs://) or a STAC catalog (an href ending in .json); %s: folders cannot be listed", u.Scheme)
	}
	return nil
}

func isJSON(u *url.URL) bool { return strings.HasSuffix(strings.ToLower(u.Path), ".json") }

func (t *Transfer) ctx(ctx context.Context) context.Context {
	if t.Scope != nil {
		return netpolicy.WithScope(ctx, *t.Scope)
	}
	return ctx
}

func (t *Transfer) limits() (int, int64) {
	files, bytes := t.MaxFiles, t.MaxBytes
	if files <= 0 {
		files = 10000
	}
	if bytes <= 0 {
		bytes = 64 << 30
	}
	return files, bytes
}

// File implements Stager.
func (t *Transfer) File(ctx context.Context, href, dest string) error {
	return t.download(ctx, href, filepath.Dir(dest), filepath.Base(dest), -1)
}

func (t *Transfer) download(ctx context.Context, href, dir, name string, size int64) error {
	_, err := transfer.Download(t.ctx(ctx), transfer.Request{URL: href, Dest: dir, Name: name, Size: size, Scope: t.Scope},
		transfer.Options{Sources: t.Sources, MaxFiles: 1})
	if err != nil {
		return errors.New(transfer.Reason(err, "download"))
	}
	return nil
}

// Directory implements Stager.
func (t *Transfer) Directory(ctx context.Context, href, dest string) error {
	u, src, err := t.parse(href, "Directory")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	if isJSON(u) {
		return t.catalog(ctx, u, src, dest)
	}
	l, ok := src.(driver.Lister)
	if !ok {
		return t.CheckDirectory(href)
	}
	type file struct {
		rel  string
		u    *url.URL
		size int64
	}
	var files []file
	var total int64
	maxFiles, maxBytes := t.limits()
	var walk func(dir *url.URL, rel string, depth int) error
	walk = func(dir *url.URL, rel string, depth int) error {
		if depth > 32 {
			return fmt.Errorf("%s: folders nested more than 32 deep", driver.RedactURL(dir))
		}
		entries, more, err := l.List(t.ctx(ctx), dir, maxFiles+1)
		if err != nil {
			return errors.New(transfer.Reason(err, "download"))
		}
		if more {
			return fmt.Errorf("%s holds more than %d entries: a Directory input is at most %d files", driver.RedactURL(dir), maxFiles, maxFiles)
		}
		for _, e := range entries {
			child := *dir
			child.Path = strings.TrimSuffix(dir.Path, "/") + "/" + e.Name
			child.RawPath = ""
			if e.IsDir {
				child.Path += "/"
				if err := walk(&child, path.Join(rel, e.Name), depth+1); err != nil {
					return err
				}
				continue
			}
			files = append(files, file{path.Join(rel, e.Name), &child, e.Info.Size})
			total += max(e.Info.Size, 0)
			if len(files) > maxFiles || total > maxBytes {
				return fmt.Errorf("%s is larger than a Directory input may be (%d files, %d bytes)", driver.RedactURL(u), maxFiles, maxBytes)
			}
		}
		return nil
	}
	root := *u
	if !strings.HasSuffix(root.Path, "/") {
		root.Path += "/"
		root.RawPath = ""
	}
	if err := walk(&root, "", 0); err != nil {
		return err
	}
	for _, f := range files {
		if err := t.download(ctx, f.u.String(), dest, f.rel, f.size); err != nil {
			return fmt.Errorf("%s: %w", f.rel, err)
		}
	}
	return nil
}

// catalog copies the STAC catalog at u, and what it links to inside its folder, into dest.
func (t *Transfer) catalog(ctx context.Context, u *url.URL, src driver.Source, dest string) error {
	base := *u
	base.Path = path.Dir(u.Path) + "/"
	base.RawPath, base.RawQuery, base.Fragment = "", "", ""
	maxFiles, _ := t.limits()
	seen := map[string]bool{}
	n := 0
	var visit func(u *url.URL, rel string, root bool) error
	visit = func(u *url.URL, rel string, root bool) error {
		if seen[rel] {
			return nil
		}
		seen[rel] = true
		if n++; n > maxFiles {
			return fmt.Errorf("the STAC catalog %s links more than %d documents and files", driver.RedactURL(&base), maxFiles)
		}
		doc, err := t.readDoc(ctx, src, u)
		if err != nil {
			return err
		}
		kind, _ := doc["type"].(string)
		if root && kind != "Catalog" && kind != "Collection" {
			return fmt.Errorf("%s is not a STAC catalog (its type is %q): a Directory given by reference is a folder geojobs can list or a STAC catalog", driver.RedactURL(u), kind)
		}
		// Links and assets: relative hrefs inside the catalog's folder are copied,
		// the others become absolute.
		var follow []string
		var assets [][2]string
		fix := func(m map[string]any, isAsset bool, rel2 string) {
			h, _ := m["href"].(string)
			if h == "" {
				return
			}
			ref, err := url.Parse(h)
			if err != nil {
				return
			}
			abs := u.ResolveReference(ref)
			local, inside := within(&base, abs)
			if ref.IsAbs() || !inside {
				m["href"] = abs.String()
				return
			}
			if isAsset {
				assets = append(assets, [2]string{abs.String(), local})
				return
			}
			switch rel2 {
			case "child", "item":
				follow = append(follow, local)
			}
		}
		links, _ := doc["links"].([]any)
		for _, l := range links {
			if m, ok := l.(map[string]any); ok {
				r, _ := m["rel"].(string)
				fix(m, false, r)
			}
		}
		if as, ok := doc["assets"].(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(as)) {
				if m, ok := as[k].(map[string]any); ok {
					fix(m, true, "")
				}
			}
		}
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return err
		}
		for _, a := range assets {
			if seen[a[1]] {
				continue
			}
			seen[a[1]] = true
			if n++; n > maxFiles {
				return fmt.Errorf("the STAC catalog %s links more than %d documents and files", driver.RedactURL(&base), maxFiles)
			}
			if err := t.download(ctx, a[0], dest, a[1], -1); err != nil {
				return fmt.Errorf("%s: %w", a[1], err)
			}
		}
		for _, f := range follow {
			next := base
			next.Path += f
			if err := visit(&next, f, false); err != nil {
				return err
			}
		}
		return nil
	}
	return visit(u, path.Base(u.Path), true)
}

// within returns the path of u relative to the folder base, and whether u is in it.
func within(base, u *url.URL) (string, bool) {
	if !netpolicy.Under(u, base) || u.RawQuery != "" {
		return "", false
	}
	p, ok := netpolicy.CleanPath(u)
	if !ok {
		return "", false
	}
	bp, _ := netpolicy.CleanPath(base)
	rel := strings.TrimPrefix(p, strings.TrimSuffix(bp, "/")+"/")
	if rel == "" || rel == p || strings.HasSuffix(rel, "/") {
		return "", false
	}
	return rel, true
}

func (t *Transfer) readDoc(ctx context.Context, src driver.Source, u *url.URL) (map[string]any, error) {
	r, err := src.ReadRange(t.ctx(ctx), u, 0, -1, nil)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %s", driver.RedactURL(u), transfer.Reason(err, "download"))
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxDoc+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", driver.RedactURL(u), err)
	}
	if len(b) > maxDoc {
		return nil, fmt.Errorf("%s is larger than %d bytes: not a STAC document", driver.RedactURL(u), maxDoc)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object: %v", driver.RedactURL(u), err)
	}
	return doc, nil
}
