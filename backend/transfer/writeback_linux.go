package transfer

import (
	"os"

	"golang.org/x/sys/unix"
)

// writebackChunk is how much a connection writes before its writeback is started.
const writebackChunk = 8 << 20

// startWriteback asks the kernel to start writing n bytes of f at off to disk now,
// without waiting: a download then reaches the disk while it runs, and the sync that
// ends it (SyncFiles) has little left to write.
func startWriteback(f *os.File, off, n int64) {
	if n > 0 {
		_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
	}
}
