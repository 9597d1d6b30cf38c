package transfer

import (
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// CatalogName is the local STAC catalog's file name in a destination folder.
const CatalogName = "catalog.json"

// CatalogInfo names the local catalog.
type CatalogInfo struct {
	ID          string // default "geojobs-downloads"
	Title       string
	Description string // default "Files downloaded by geojobs"
}

// ItemFolder is the folder (relative to the destination, one component) that holds an
// item's JSON and, by convention, its downloaded assets: the item id made safe.
func ItemFolder(itemID string) string {
	name, err := SanitizeName(strings.NewReplacer("/", "_", `\`, "_").Replace(itemID))
	if err != nil {
		return "item-" + urlHash(&url.URL{Opaque: itemID})[:12]
	}
	return name
}

// AssetFileName is where an asset of an item is downloaded, relative to the destination:
// <item folder>/<the href's base name>, or the asset key when the href has no usable
// name. Callers must still pass it through SanitizeName (Manager.Add does).
func AssetFileName(itemID, assetKey, href string) string {
	base := ""
	if u, err := url.Parse(href); err == nil {
		base = path.Base(u.Path)
	}
	if base == "" || base == "." || base == "/" || base == ".." {
		base = assetKey
	}
	if base == CatalogName || strings.HasSuffix(base, ".part") || strings.HasSuffix(base, ".part.json") {
		base = assetKey + "-" + base
	}
	return ItemFolder(itemID) + "/" + base
}

// WriteLocalCatalog writes what describes the files downloaded into dest beside them
// (m is dest's manifest, kept by a Manager with Options.Manifest): a STAC catalog of the items in ic that have a downloaded asset —
// catalog.json, and one <item folder>/<item folder>.json per item — in which the hrefs
// of downloaded assets are rewritten to the local files (relative), with their verified
// size and checksum. A downloaded asset is one whose href, redacted, is the URL of a
// manifest entry. Assets not downloaded keep their remote hrefs. Every document is
// checked with stac.Validate before it is written; an item that does not validate is
// an error with Code InvalidArgument, and nothing of the catalog is written. The
// documents are replaced atomically, without waiting for the disk (see SyncFiles).
func WriteLocalCatalog(dest string, m Manifest, ic *stac.ItemCollection, info CatalogInfo) error {
	if ic == nil {
		return nil
	}
	if info.ID == "" {
		info.ID = "geojobs-downloads"
	}
	if info.Description == "" {
		info.Description = "Files downloaded by geojobs"
	}
	byURL := make(map[string]ManifestEntry, len(m.Files))
	for _, e := range m.Files {
		byURL[e.URL] = e
	}
	cat := stac.Catalog{Type: "Catalog", StacVersion: stac.Version, ID: info.ID, Title: info.Title, Description: info.Description,
		Links: []stac.Link{{Rel: "root", Href: "./" + CatalogName, Type: "application/json"}}}
	docs := map[string][]byte{} // relative path → document
	used := map[string]bool{}
	for _, src := range ic.Features {
		if src == nil {
			continue
		}
		it, local, err := localItem(src, byURL)
		if err != nil {
			return err
		}
		if len(local) == 0 {
			continue
		}
		folder := ItemFolder(src.ID)
		for used[folder] {
			folder += "_"
		}
		used[folder] = true
		// Assets were written under their own item folder; hrefs are relative to this one.
		for key, name := range local {
			a := it.Assets[key]
			if rest, ok := strings.CutPrefix(name, folder+"/"); ok {
				a.Href = "./" + rest
			} else {
				a.Href = "../" + name
			}
			it.Assets[key] = a
		}
		rel := folder + "/" + folder + ".json"
		b, err := json.MarshalIndent(it, "", "  ")
		if err != nil {
			return driver.Wrap(InvalidArgument, err, "transfer: encode item "+folder)
		}
		if err := stac.Validate(b); err != nil && sourceValid(src) {
			// Only our copy is wrong: a bug here, not the server's deviation.
			return driver.Wrap(InvalidArgument, err, "transfer: local STAC item "+folder)
		}
		docs[rel] = append(b, '\n')
		cat.Links = append(cat.Links, stac.Link{Rel: "item", Href: "./" + rel, Type: "application/geo+json", Title: it.ID})
	}
	b, err := json.MarshalIndent(cat, "", "  ")
	if err != nil {
		return err
	}
	if err := stac.Validate(b); err != nil {
		return driver.Wrap(InvalidArgument, err, "transfer: local STAC catalog")
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return localError("open", "destination folder", err)
	}
	defer root.Close()
	for rel, doc := range docs {
		if err := root.MkdirAll(path.Dir(rel), 0o755); err != nil {
			return localError("create", path.Dir(rel), err)
		}
		if err := writeReplace(root, rel, doc); err != nil {
			return err
		}
	}
	return writeReplace(root, CatalogName, append(b, '\n'))
}

// localItem copies src with the downloaded assets' size and checksum, and returns the
// manifest names (relative to dest) of the downloaded assets by asset key; none when
// no asset of src was downloaded.
func localItem(src *stac.Item, byURL map[string]ManifestEntry) (*stac.Item, map[string]string, error) {
	// A copy of what changes (the assets, their extra members, the extensions and the
	// links); the rest is shared with src and not modified. (Encoding and decoding the
	// whole item to copy it cost more than the rest of a catalog write of an item with
	// thousands of assets.)
	it := new(stac.Item)
	*it = *src
	it.StacExtensions = slices.Clone(src.StacExtensions)
	it.Assets = make(map[string]stac.Asset, len(src.Assets))
	for k, a := range src.Assets {
		it.Assets[k] = a
	}
	local := map[string]string{}
	for key, a := range it.Assets {
		u, err := url.Parse(a.Href)
		if err != nil {
			continue
		}
		e, ok := byURL[driver.RedactURL(u)]
		if !ok {
			continue
		}
		local[key] = e.Name
		a.Extra = maps.Clone(a.Extra)
		if e.Size >= 0 {
			a.Set("file:size", e.Size)
		}
		if e.Checksum != "" && e.Verified {
			a.Set("file:checksum", e.Checksum)
		}
		if a.Extra["file:size"] != nil || a.Extra["file:checksum"] != nil {
			it.AddExtension(stac.FileExtension)
		}
		it.Assets[key] = a
	}
	if len(local) == 0 {
		return nil, nil, nil
	}
	// Links to the remote catalog no longer describe this copy; keep the others.
	links := []stac.Link{{Rel: "root", Href: "../" + CatalogName, Type: "application/json"},
		{Rel: "parent", Href: "../" + CatalogName, Type: "application/json"}}
	for _, l := range it.Links {
		switch l.Rel {
		case "self", "root", "parent":
			continue
		}
		links = append(links, l)
	}
	it.Links = links
	return it, local, nil
}

// sourceValid reports whether the server's item itself is valid STAC. A local copy of
// an item the server sent invalid (a geometry without its bbox, a field of the wrong
// type) is written as it came, hrefs made local: the files are verified on disk, and
// the catalog lists them with what the server said about them, changed in nothing else.
func sourceValid(src *stac.Item) bool {
	b, err := json.Marshal(src)
	return err == nil && stac.Validate(b) == nil
}
