-- Times are Unix milliseconds (UTC). NULL means "not yet" / "unknown".

CREATE TABLE endpoints (
    id             TEXT PRIMARY KEY,
    title          TEXT NOT NULL,
    url            TEXT NOT NULL DEFAULT '',       -- empty for the built-in endpoint
    credential_key TEXT NOT NULL DEFAULT '',       -- a keystore key name, never a secret
    headers        TEXT NOT NULL DEFAULT '{}',     -- JSON object of non-secret extra headers
    builtin        INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

INSERT INTO endpoints (id, title, url, builtin, created_at, updated_at)
VALUES ('local', 'Built-in endpoint', '', 1,
        CAST(unixepoch('subsec') * 1000 AS INTEGER), CAST(unixepoch('subsec') * 1000 AS INTEGER));

CREATE TRIGGER endpoints_keep_builtin BEFORE DELETE ON endpoints
WHEN OLD.builtin = 1
BEGIN
    SELECT RAISE(ABORT, 'built-in endpoint cannot be deleted');
END;

CREATE TABLE jobs (
    seq                INTEGER PRIMARY KEY,          -- insertion order; keyset tie-breaker
    id                 TEXT NOT NULL UNIQUE,         -- local id (UUID)
    endpoint_id        TEXT NOT NULL REFERENCES endpoints (id) ON DELETE RESTRICT,
    process_id         TEXT NOT NULL,
    description_sha256 TEXT NOT NULL DEFAULT '',     -- of the process description JSON
    request            TEXT,                         -- the exact execute request JSON
    aoi                TEXT,                         -- GeoJSON
    remote_id          TEXT NOT NULL DEFAULT '',     -- the server's job id
    job_url            TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    progress           INTEGER,
    message            TEXT NOT NULL DEFAULT '',
    origin             TEXT NOT NULL DEFAULT 'submitted',
    rerun_of           TEXT NOT NULL DEFAULT '',     -- local id of the job this one re-runs
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    finished_at        INTEGER,
    updated_at         INTEGER NOT NULL,
    last_polled_at     INTEGER,
    unreachable_since  INTEGER,
    unreachable_reason TEXT NOT NULL DEFAULT '',
    lost_at            INTEGER,                      -- the server forgot the job (404)
    results            TEXT,                         -- results document, or the failure's exception body
    results_at         INTEGER,
    error              TEXT NOT NULL DEFAULT '',
    hidden_at          INTEGER                       -- dismissed locally
) STRICT;

CREATE INDEX jobs_created ON jobs (created_at DESC, seq DESC);
CREATE INDEX jobs_endpoint_created ON jobs (endpoint_id, created_at DESC, seq DESC);
CREATE INDEX jobs_process_created ON jobs (process_id, created_at DESC, seq DESC);
CREATE INDEX jobs_status_created ON jobs (status, created_at DESC, seq DESC);
CREATE UNIQUE INDEX jobs_remote ON jobs (endpoint_id, remote_id) WHERE remote_id <> '';
CREATE INDEX jobs_open ON jobs (seq)
    WHERE lost_at IS NULL
      AND (status NOT IN ('successful', 'failed', 'dismissed') OR results_at IS NULL);

CREATE TABLE job_events (
    id       INTEGER PRIMARY KEY,
    job_id   TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at       INTEGER NOT NULL,
    kind     TEXT NOT NULL,                          -- status, unreachable, reachable, lost, results
    status   TEXT NOT NULL,
    progress INTEGER,
    message  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE job_actions (
    id     INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    action TEXT NOT NULL,                            -- hidden, rerun, imported, dismiss-requested, ...
    detail TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX job_actions_job ON job_actions (job_id, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
