package batchespage

import (
	"bytes"
	"context"
	"errors"
	"strings"

	"github.com/geojobs/geojobs/backend/batch"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/store"
)

// TopicDownloads is the prefix of a batch's download progress topic.
const TopicDownloads = "batch-downloads"

// DownloadsTopic is the hub topic of a batch's download progress.
func DownloadsTopic(batchID string) string { return TopicDownloads + ":" + batchID }

// progressKey is the key of the progress within its topic: a newer one replaces it.
const progressKey = "progress"

// DownloadProgress pushes the download progress of the batches the jobs belong to,
// once per batch (from the application's DownloadProgress events).
func (h *Handler) DownloadProgress(ctx context.Context, jobIDs []string) {
	if h.d.Publisher == nil || h.d.Downloads == nil {
		return
	}
	done := map[string]bool{}
	for _, id := range jobIDs {
		b, err := h.d.Store.JobBatch(ctx, id)
		if err != nil {
			h.logWarn("batch downloads: the job's batch", "job", id, "err", err)
			continue
		}
		if b == "" || done[b] {
			continue
		}
		done[b] = true
		data, err := h.progressFragment(ctx, b)
		if err != nil {
			h.logWarn("batch downloads: render the progress", "batch", b, "err", err)
			continue
		}
		h.d.Publisher.PublishBytes(DownloadsTopic(b), progressKey, data)
	}
}

// Snapshot is the current state of one of the page's live topics (the hub's Snapshot
// for DownloadsTopic): the batch's download progress, nothing for a batch that is not
// stored. ok is false for a topic that is not the page's.
func (h *Handler) Snapshot(ctx context.Context, topic string) (msgs []hub.Message, ok bool, err error) {
	id, found := strings.CutPrefix(topic, TopicDownloads+":")
	if !found {
		return nil, false, nil
	}
	if h.d.Downloads == nil {
		return nil, true, nil
	}
	if _, err := h.d.Store.Batch(ctx, id); errors.Is(err, store.ErrNotFound) {
		return nil, true, nil
	} else if err != nil {
		return nil, true, err
	}
	data, err := h.progressFragment(ctx, id)
	if err != nil {
		return nil, true, err
	}
	return []hub.Message{{Key: progressKey, Data: data}}, true, nil
}

// progressFragment renders the batch's download progress to swap out of band.
func (h *Handler) progressFragment(ctx context.Context, batchID string) ([]byte, error) {
	p, err := batch.Progress(ctx, h.d.Store, h.d.Downloads, batchID)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := DownloadsProgressOOB(DownloadsModel{BatchID: batchID, Progress: p}).Render(ctx, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (h *Handler) logWarn(msg string, args ...any) {
	if h.d.Logger != nil {
		h.d.Logger.Warn(msg, args...)
	}
}
