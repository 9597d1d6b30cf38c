-- Results as STAC, and the download manager's record of its downloads.

-- The job's results as one STAC ItemCollection (backend/results), once computed.
ALTER TABLE jobs ADD COLUMN items TEXT;
ALTER TABLE jobs ADD COLUMN items_at INTEGER;

-- One file being (or having been) downloaded by the app. Unfinished rows are added to
-- the download manager again on start, which resumes them from their .part files.
CREATE TABLE downloads (
    id         INTEGER PRIMARY KEY,
    job_id     TEXT NOT NULL DEFAULT '',              -- local job id, '' when not from a job
    item_id    TEXT NOT NULL DEFAULT '',
    asset_key  TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL,                         -- the asset href (never with credentials)
    dest       TEXT NOT NULL,                         -- destination folder
    name       TEXT NOT NULL,                         -- relative path inside dest
    size       INTEGER NOT NULL DEFAULT -1,
    checksum   TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL DEFAULT 'active',        -- active, paused, completed, failed, canceled
    error      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX downloads_target ON downloads (dest, name);
CREATE INDEX downloads_job ON downloads (job_id, id);
CREATE INDEX downloads_open ON downloads (id) WHERE state IN ('active', 'paused');
