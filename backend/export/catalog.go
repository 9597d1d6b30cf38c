package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
)

// CatalogName is the exported catalog's file name in the destination folder.
const CatalogName = transfer.CatalogName

// writeCatalog uploads the STAC catalog of what was exported: catalog.json and one
// <item folder>/<item folder>.json per item with an exported asset, whose exported
// assets have hrefs relative to it (a self-contained catalog that stays valid
// wherever the folder is copied) and the verified file:size and file:checksum.
// Assets not exported keep their hrefs. Every document is validated first; nothing
// is uploaded when one does not validate. It returns catalog.json's URL.
func (e *Exporter) writeCatalog(ctx context.Context, r *run, ic *stac.ItemCollection) (string, error) {
	p := r.view()
	byRef := map[[2]string]File{}
	for _, f := range p.Files {
		if f.State == Done {
			byRef[[2]string{f.Item, f.Asset}] = f
		}
	}
	if len(byRef) == 0 {
		return "", errors.New("no file was exported, so no catalog was written")
	}
	cat := stac.Catalog{Type: "Catalog", StacVersion: stac.Version, ID: "geojobs-export-" + transfer.ItemFolder(r.jobID),
		Title: "Results of geojobs job " + r.jobID, Description: "Results exported by geojobs",
		Links: []stac.Link{{Rel: "root", Href: "./" + CatalogName, Type: "application/json"}}}
	type doc struct {
		rel string
		b   []byte
	}
	var docs []doc
	used := map[string]bool{}
	for _, src := range ic.Features {
		if src == nil {
			continue
		}
		it, err := copyItem(src)
		if err != nil {
			return "", err
		}
		folder := transfer.ItemFolder(src.ID)
		for used[folder] {
			folder += "_"
		}
		n := 0
		for key, a := range it.Assets {
			f, ok := byRef[[2]string{src.ID, key}]
			if !ok {
				continue
			}
			n++
			if rest, ok := strings.CutPrefix(f.Name, folder+"/"); ok {
				a.Href = "./" + rest
			} else {
				a.Href = "../" + f.Name
			}
			a.Set("file:size", f.Size)
			if f.Checksum != "" {
				a.Set("file:checksum", f.Checksum)
			}
			delete(a.Extra, "alternate") // the server's other locations are not this copy's
			for k := range a.Extra {
				if strings.HasPrefix(k, "storage:") { // they described the server's bucket
					delete(a.Extra, k)
				}
			}
			it.Assets[key] = a
		}
		if n == 0 {
			continue
		}
		used[folder] = true
		it.AddExtension(stac.FileExtension)
		links := []stac.Link{{Rel: "root", Href: "../" + CatalogName, Type: "application/json"},
			{Rel: "parent", Href: "../" + CatalogName, Type: "application/json"}}
		for _, l := range it.Links {
			switch l.Rel {
			case "self", "root", "parent", "collection":
				continue // they point into the server's catalog, not this copy
			}
			links = append(links, l)
		}
		it.Links, it.Collection = links, ""
		rel := folder + "/" + folder + ".json"
		b, err := json.MarshalIndent(it, "", "  ")
		if err != nil {
			return "", err
		}
		if err := stac.Validate(b); err != nil {
			return "", fmt.Errorf("exported item %s: %w", folder, err)
		}
		docs = append(docs, doc{rel, append(b, '\n')})
		cat.Links = append(cat.Links, stac.Link{Rel: "item", Href: "./" + rel, Type: "application/geo+json", Title: it.ID})
	}
	b, err := json.MarshalIndent(cat, "", "  ")
	if err != nil {
		return "", err
	}
	if err := stac.Validate(b); err != nil {
		return "", fmt.Errorf("exported catalog: %w", err)
	}
	docs = append(docs, doc{CatalogName, append(b, '\n')}) // last: a catalog.json means a complete export
	for _, d := range docs {
		if err := r.dest.Put(ctx, d.rel, bytes.NewReader(d.b), int64(len(d.b)), "application/json"); err != nil {
			return "", fmt.Errorf("uploading %s: %w", d.rel, err)
		}
	}
	return r.dest.URL(CatalogName), nil
}

// copyItem deep-copies an item, so the results' own items are never changed.
func copyItem(src *stac.Item) (*stac.Item, error) {
	raw, err := json.Marshal(src)
	if err != nil {
		return nil, err
	}
	it := new(stac.Item)
	if err := json.Unmarshal(raw, it); err != nil {
		return nil, err
	}
	return it, nil
}
