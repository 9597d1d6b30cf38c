// Package transfer downloads files to a local folder: one portable layer over
// per-scheme source drivers (see package driver; http(s) and file are built in, s3 and
// WebDAV register through Mux).
//
// The layer validates names (nothing is written outside the destination folder),
// splits large files over several byte-range connections when the source allows it,
// retries transient failures resuming from the bytes already written, survives a
// restart (data goes to <name>.part with a sidecar <name>.part.json recording the
// completed ranges), verifies size and file:checksum, and only then renames the file
// into place. Progress is reported through a callback that never blocks a transfer.
//
// Failure policy, decided here once:
//   - checksum mismatch: the data is moved to <name>.corrupt (kept for inspection,
//     replaced by the next attempt, removed when a later download succeeds), the
//     sidecar is removed, and the error has Code DataLoss. Nothing is written under
//     the final name.
//   - Task.Cancel discards the partial data; Pause, Manager.Close, a cancelled context
//     or a killed process keep it, and the next download of the same file resumes.
//   - the .part data is not fsynced (like curl, wget and aria2); the sidecar is
//     written atomically (temp file, fsync, rename) and only lists bytes already
//     written, so a killed process loses nothing; after a power loss the checksum, when
//     the catalog has one, catches stale ranges.
//
// It is not a sync tool: it does not list folders or delete anything but its own
// temporary files.
package transfer
