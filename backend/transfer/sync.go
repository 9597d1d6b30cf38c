package transfer

import "github.com/geojobs/geojobs/backend/transfer/driver"

// SyncFiles makes durable what a download wrote into dest: the files names (paths
// relative to dest, forward slashes), the renames that put them in place, the manifest
// and the local catalog. On Linux that is one syncfs of dest's file system, which
// covers everything written there however many files (names is not needed); elsewhere
// an fsync of each named file, of the manifest and the catalog, and of their folders.
//
// The data of a download is not synced file by file as it arrives: callers sync once
// for all the files that completed together (groupcommit.Batcher), before they report them
// done. An error means the files may not be on disk: Code ResourceExhausted when the
// disk is full, DataLoss for a failed write.
func SyncFiles(dest string, names []string) error {
	err := syncFiles(dest, names)
	if err == nil {
		return nil
	}
	if err := localError("sync", "destination folder", err); Code(err) != Unknown {
		return err
	}
	return driver.Wrap(DataLoss, err, "transfer: the files could not be written to disk")
}
