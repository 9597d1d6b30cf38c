-- What the user says about a job (a short label shown in the list, a longer note), and
-- when the user deleted a finished job on its server (the job keeps its final status).
ALTER TABLE jobs ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN deleted_on_server_at INTEGER;
