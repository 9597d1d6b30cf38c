package batchespage

import (
	"net/url"
	"strconv"

	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/store"
)

// Model is a batch's page.
type Model struct {
	Batch    store.Batch
	Endpoint string
	Members  []store.BatchMember
	Limit    int
	// State filters the member table: waiting, running, succeeded, failed, canceled.
	State  string
	Notice string
	// Downloads is the Download all card; nil when downloads are not available.
	Downloads *DownloadsModel
}

// DownloadsModel is the batch's Download all card.
type DownloadsModel struct {
	BatchID  string
	Dest     string // the default folder
	Ready    bool   // some member succeeded
	Progress batch.DownloadProgress
}

func (m Model) title() string {
	if m.Batch.Title != "" {
		return m.Batch.Title
	}
	return m.Batch.ProcessID + " × " + strconv.Itoa(m.Batch.Counts.Total)
}

// shown are the members the table lists.
func (m Model) shown() []store.BatchMember {
	if m.State == "" {
		return m.Members
	}
	var out []store.BatchMember
	for _, x := range m.Members {
		if x.State() == m.State {
			out = append(out, x)
		}
	}
	return out
}

// percent of members that ended.
func percent(c store.BatchCounts) int {
	if c.Total == 0 {
		return 100
	}
	return (c.Succeeded + c.Failed + c.Canceled) * 100 / c.Total
}

func titleOf(b store.Batch) string { return Model{Batch: b}.title() }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
