-- The partial index of open jobs tested "status NOT IN (...)", which SQLite evaluates
-- with a temporary table, built twice (old and new row) on every UPDATE of a job:
-- most of the cost of a status write. The same condition without IN.
DROP INDEX jobs_open;
CREATE INDEX jobs_open ON jobs (seq)
    WHERE lost_at IS NULL
      AND (status <> 'successful' AND status <> 'failed' AND status <> 'dismissed' OR results_at IS NULL);
