package results

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

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
// file:size and file:checksum to verify. An asset whose file name is unsafe or clashes
// with another's (case aside) is named after its key (fileName); one whose name is
// still unsafe or taken is left out and reported in the error (Code InvalidArgument),
// next to the ones planned; a ref to no asset is an error wrapping ErrNoAsset.
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
			clean, err := fileName(it.ID, key, a.Href, names)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			names[strings.ToLower(clean)] = ref
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

// fileName is the file an asset is saved as: the href's base name in the item's
// folder; when that is taken by another asset — compared without case, as Windows and
// macOS do — or unsafe (a Windows device name like con.txt), the same prefixed with
// the asset key. names holds the names taken, lower case.
func fileName(itemID, key, href string, names map[string]AssetRef) (string, error) {
	name := transfer.AssetFileName(itemID, key, href)
	clean, err := transfer.SanitizeName(name)
	other, taken := names[strings.ToLower(clean)]
	if err == nil && !taken {
		return clean, nil
	}
	clean, err2 := transfer.SanitizeName(transfer.AssetFileName(itemID, key, key+"-"+path.Base(name)))
	switch {
	case err2 != nil && err != nil:
		return "", fmt.Errorf("asset %s/%s: %w", clean0(itemID), clean0(key), err)
	case err2 != nil:
		return "", fmt.Errorf("asset %s/%s: %w", clean0(itemID), clean0(key), err2)
	}
	if other2, clash := names[strings.ToLower(clean)]; clash {
		if !taken {
			other = other2
		}
		return "", fmt.Errorf("asset %s/%s: same file name as %s/%s", clean0(itemID), clean0(key), clean0(other.Item), clean0(other.Asset))
	}
	return clean, nil
}

func clean0(s string) string { return clean(s, 80) }

var osUserHomeDir = os.UserHomeDir
