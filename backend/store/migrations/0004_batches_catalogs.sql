-- Batches (one process run over many items, areas or dates) and saved STAC catalogs.

-- A batch: the base execute request and its members. Its member jobs are ordinary
-- jobs; batch_members ties them to it.
CREATE TABLE batches (
    id                 TEXT PRIMARY KEY,
    endpoint_id        TEXT NOT NULL REFERENCES endpoints (id) ON DELETE RESTRICT,
    process_id         TEXT NOT NULL,
    title              TEXT NOT NULL DEFAULT '',
    kind               TEXT NOT NULL DEFAULT 'sweep',   -- items, features, dates, sweep
    request            TEXT NOT NULL,                   -- the base execute request JSON
    description_sha256 TEXT NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    hidden_at          INTEGER
) STRICT;

CREATE INDEX batches_created ON batches (created_at DESC);

-- One job of a batch. job_id is written (durably) before its execute request leaves,
-- so a restart neither loses nor repeats a submission; a job_id with no jobs row is a
-- submission that never started.
CREATE TABLE batch_members (
    batch_id   TEXT NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    line       INTEGER NOT NULL,                 -- 1-based position (sweep line, item, feature, window)
    label      TEXT NOT NULL DEFAULT '',         -- item id, date window, feature name
    inputs     TEXT NOT NULL,                    -- JSON object of input overrides
    aoi        TEXT,                             -- GeoJSON footprint, for the batch map
    job_id     TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER,                          -- the server asked to wait (Retry-After)
    canceled   INTEGER NOT NULL DEFAULT 0 CHECK (canceled IN (0, 1)),
    PRIMARY KEY (batch_id, line)
) STRICT;

CREATE INDEX batch_members_job ON batch_members (job_id) WHERE job_id <> '';
CREATE INDEX batch_members_waiting ON batch_members (batch_id, line) WHERE canceled = 0;

-- A saved STAC API or static catalog, like an endpoint.
CREATE TABLE stac_catalogs (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    url            TEXT NOT NULL,
    kind           TEXT NOT NULL DEFAULT 'api' CHECK (kind IN ('api', 'static')),
    credential_key TEXT NOT NULL DEFAULT '',     -- a keystore key name, never a secret
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
