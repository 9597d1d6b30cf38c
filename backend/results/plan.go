package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
)

// AssetRef names one asset of an ItemCollection.
type AssetRef struct {
	Item  string `json:"item"`
	Asset string `json:"asset"`
}

// Planned is one asset to download and the request that does it.
type Planned struct {
	AssetRef
	Request transfer.Request
}

// DefaultDir is the default download folder of a job: ~/Downloads/geojobs/<job>.
func DefaultDir(jobID string) string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = "."
	}
	return filepath.Join(home, "Downloads", "geojobs", transfer.ItemFolder(jobID))
}

// Plan lists the downloads of the assets refs (all assets when refs is empty) of ic into
// dest: each to <item folder>/<file name> (transfer.AssetFileName), with the asset's
// file:size and file:checksum to verify. Assets whose name is unsafe or clashes with
// another's are left out and reported in the error (Code InvalidArgument), next to the
// ones planned; a ref to no asset is an error wrapping ErrNoAsset.
func Plan(ic *stac.ItemCollection, dest string, refs []AssetRef) ([]Planned, error) {
	all := len(refs) == 0
	want := map[AssetRef]bool{}
	for _, r := range refs {
		want[r] = true
	}
	var out []Planned
	var errs []error
	names := map[string]AssetRef{}
	for _, it := range ic.Features {
		if it == nil {
			continue
		}
		for _, key := range it.AssetKeys() {
			ref := AssetRef{Item: it.ID, Asset: key}
			if !all && !want[ref] {
				continue
			}
			delete(want, ref)
			a := it.Assets[key]
			name := transfer.AssetFileName(it.ID, key, a.Href)
			if other, ok := names[name]; ok {
				// Two assets with the same file name: the second is named after its key.
				name = transfer.AssetFileName(it.ID, key, key+"-"+filepath.Base(name))
				if _, clash := names[name]; clash {
					errs = append(errs, fmt.Errorf("asset %s/%s: same file name as %s/%s", it.ID, key, other.Item, other.Asset))
					continue
				}
			}
			clean, err := transfer.SanitizeName(name)
			if err != nil {
				errs = append(errs, fmt.Errorf("asset %s/%s: %w", clean0(it.ID), clean0(key), err))
				continue
			}
			names[clean] = ref
			size, ok := a.Size()
			if !ok {
				size = -1
			}
			out = append(out, Planned{AssetRef: ref, Request: transfer.Request{URL: a.Href, Dest: dest, Name: clean, Size: size, Checksum: a.Checksum()}})
		}
	}
	for ref := range want {
		errs = append(errs, fmt.Errorf("%w: %s/%s", ErrNoAsset, clean0(ref.Item), clean0(ref.Asset)))
	}
	return out, errors.Join(errs...)
}

func clean0(s string) string { return clean(s, 80) }

var osUserHomeDir = os.UserHomeDir
