-- The oidc key whose person must sign in again before a job's server can be asked
-- (set with unreachable_since when the sign-in ended; '' otherwise).
ALTER TABLE jobs ADD COLUMN sign_in_key TEXT NOT NULL DEFAULT '';
