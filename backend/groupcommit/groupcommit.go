// Package groupcommit lets many changes share one write, as a database shares one log
// flush among the transactions that commit together: a change is queued (Batcher.Add),
// and one writer writes everything queued so far; what comes while a write is under way
// goes into the next.
//
// It turns N rewrites of a document that grows with N (a folder's manifest, its local
// catalog, rewritten as each of N files completes) into as many writes as the writer
// can do while the files arrive (fewer when paced), and nobody waits in a goroutine of
// its own for the write that covers its change: the writer reports the change done.
//
// It is not a queue: it does not retry writes, and it keeps no data once written.
package groupcommit

import "time"

// sleep waits d, or less when wake receives.
func sleep(d time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	}
}
