package batch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
)

// Members reads a batch's members (*store.Store).
type Members interface {
	BatchMembers(ctx context.Context, id string) ([]store.BatchMember, error)
}

// Downloader is what a batch download needs of the download orchestrator
// (*results.Downloads): every file goes through it, as a single job's do.
type Downloader interface {
	Start(ctx context.Context, jobID, dest string, refs []results.AssetRef) (int, error)
	View(jobID string) results.JobProgress
}

// MemberFolder is the sub-folder of a batch download that holds one member's results:
// its line and label ("3-Lake B"), made safe as a folder name.
func MemberFolder(m store.BatchMember) string {
	name := fmt.Sprintf("%d", m.Line)
	if m.Label != "" {
		name += "-" + m.Label
	}
	return transfer.ItemFolder(name)
}

// DownloadAll queues the results of every succeeded member of a batch for download
// into dest, one sub-folder per member (MemberFolder). It returns how many members'
// results and files were queued; members whose results could not be queued are
// reported in the error beside positive counts. A folder that cannot take the files
// stops it at the first member: the error wraps results.ErrBadFolder.
func DownloadAll(ctx context.Context, st Members, d Downloader, batchID, dest string) (members, files int, err error) {
	ms, err := st.BatchMembers(ctx, batchID)
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, m := range ms {
		if m.State() != "succeeded" {
			continue
		}
		n, err := d.Start(ctx, m.JobID, filepath.Join(dest, MemberFolder(m)), nil)
		if errors.Is(err, results.ErrBadFolder) {
			return members, files, err
		}
		if errors.Is(err, results.ErrNotReady) {
			continue // ended a moment ago: its results are being stored
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", m.Line, err))
		}
		if n > 0 {
			members++
			files += n
		}
	}
	return members, files, errors.Join(errs...)
}

// DownloadProgress is the state of a batch's downloads, summed over its members.
type DownloadProgress struct {
	Members                          int // members with downloads
	Files, Completed, Failed, Active int
	Done, Size                       int64 // Size -1 when a size is unknown
}

// Progress sums the download progress of a batch's members.
func Progress(ctx context.Context, st Members, d Downloader, batchID string) (DownloadProgress, error) {
	ms, err := st.BatchMembers(ctx, batchID)
	if err != nil {
		return DownloadProgress{}, err
	}
	var p DownloadProgress
	var size transfer.SizeTotal
	for _, m := range ms {
		if m.JobID == "" {
			continue
		}
		jp := d.View(m.JobID)
		if len(jp.Files) == 0 {
			continue
		}
		p.Members++
		p.Files += len(jp.Files)
		p.Completed += jp.Completed
		p.Failed += jp.Failed
		p.Active += jp.Active
		p.Done += jp.Done
		size.Add(jp.Size)
	}
	p.Size = size.Size()
	return p, nil
}
