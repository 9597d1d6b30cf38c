package transfer

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Files that take one connection anyway (the catalog says their size, under
// MinSplitSize) from a source that describes an object as it sends it (driver.Opener)
// start with one request: no Stat before it. Thousands of tiles, bands and masks are
// bound by round trips; this halves them. The body is hashed as it arrives. The resume
// state is saved as for split files (every StateInterval, and when the request fails),
// and a file with resume state goes the ranged way, which resumes it.

// wholeBufferSize is the copy buffer of a file fetched whole: 64 connections of small
// files hold 4 MiB, not the 16 MiB of full-size buffers.
const wholeBufferSize = 64 << 10

// opener returns the source as an Opener when the job is a file to fetch whole.
func (j *job) opener() (driver.Opener, bool) {
	op, ok := j.src.(driver.Opener)
	return op, ok && j.req.Size > 0 && j.req.Size < j.opts.MinSplitSize
}

// runWhole downloads the file with Open, retrying transient errors. It returns
// handled false, having done nothing for good, when the file has resume state: the
// ranged way (Stat, then ranges from where it got to) must go on.
func (j *job) runWhole(ctx context.Context, root *os.Root, op driver.Opener, res Result) (_ Result, handled bool, _ error) {
	size := j.req.Size
	res.Size = size
	if ok, err := j.present(ctx, root, size); err != nil || ok {
		res.Skipped, res.Verified = ok, ok && j.req.Checksum != ""
		if ok {
			j.written.Store(size)
		}
		return res, true, err
	}
	if j.req.Checksum != "" {
		if _, err := multihash.Parse(j.req.Checksum); err != nil {
			return res, true, driver.Wrap(InvalidArgument, err, "transfer: "+j.rel+": checksum")
		}
	}
	for failures := 1; ; failures++ {
		sc, found := readSidecar(root, j.state())
		if sc != nil {
			return res, false, nil
		}
		j.noState = !found // nothing to remove at the end unless a save comes
		var v *multihash.Verifier
		if j.req.Checksum != "" {
			v, _ = multihash.NewVerifier(j.req.Checksum)
		}
		if err := j.conns.acquire(ctx, j.host()); err != nil {
			return res, true, err
		}
		err := j.getWhole(ctx, root, op, v)
		j.conns.release(j.host(), err)
		if err == nil {
			res, err = j.commit(root, v, res)
			return res, true, err
		}
		if err := j.backoff(ctx, err, failures); err != nil {
			return res, true, err
		}
	}
}

// getWhole makes the one request of a file and writes its body to the .part file,
// feeding v (when not nil).
func (j *job) getWhole(ctx context.Context, root *os.Root, op driver.Opener, v *multihash.Verifier) (err error) {
	want := j.req.Size
	g := j.watch(ctx)
	defer g.stop()
	rctx, classify := g.ctx, g.classify
	rc, info, err := op.Open(rctx, j.u)
	if err != nil {
		return classify(err)
	}
	defer rc.Close()
	if info.Size >= 0 && info.Size != want {
		return driver.Errorf(DataLoss, "transfer: %s: the server has %d bytes, the catalog says %d", j.rel, info.Size, want)
	}
	f, err := root.OpenFile(j.part(), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return localError("create", j.inDest(j.part()), err)
	}
	defer f.Close()

	// The resume state lists the bytes written so far, for the ranged way to go on from.
	var n int64
	j.written.Store(0)
	var saved int64
	save := func() error {
		done := j.written.Load()
		if !info.AcceptRanges || info.Size < 0 || done == saved {
			return nil
		}
		saved = done
		j.noState = false
		return newSidecar(j.u, info, j.req.Checksum, rangeSet{{0, done}}).save(root, j.state())
	}
	stopSaver := saveEvery(j.opts.StateInterval, save, g.cancel)
	defer func() {
		stopSaver()
		if err != nil && n > 0 {
			_ = save() // a failed save keeps the earlier state, which is still true
		}
	}()

	b := j.smallBufs.get()
	defer j.smallBufs.put(b)
	buf := *b
	for {
		k, rerr := rc.Read(buf)
		g.watchdog.Reset(g.stall)
		if k > 0 {
			if n+int64(k) > want {
				return driver.Errorf(DataLoss, "transfer: %s: the server sent more than the %d bytes the catalog says", j.rel, want)
			}
			if _, err := f.Write(buf[:k]); err != nil {
				return localError("write", j.inDest(j.part()), err)
			}
			if v != nil {
				v.Write(buf[:k])
			}
			n += int64(k)
			j.written.Store(n)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return classify(rerr)
		}
	}
	if n != want {
		return driver.Errorf(DataLoss, "transfer: %s: received %d bytes, the catalog says %d", j.rel, n, want)
	}
	j.size.Store(n)
	j.phase.Store(int32(StateVerifying))
	if n >= 1<<20 {
		// The disk starts on it now, while the next files arrive: the sync that ends
		// the download has less left. Smaller files wait for that sync, which writes
		// many of them at once.
		startWriteback(f, 0, n)
	}
	if err := f.Close(); err != nil {
		return localError("write", j.inDest(j.part()), err)
	}
	return nil
}

// stallWatch cancels a request's context when no byte has come for StallTimeout
// (reset with watchdog.Reset(stall) as data arrives), and says why a request ended.
type stallWatch struct {
	ctx      context.Context
	cancel   context.CancelCauseFunc
	stall    time.Duration
	watchdog *time.Timer
	parent   context.Context
	rel      string
}

func (j *job) watch(ctx context.Context) *stallWatch {
	rctx, cancel := context.WithCancelCause(ctx)
	g := &stallWatch{ctx: rctx, cancel: cancel, stall: j.opts.StallTimeout, parent: ctx, rel: j.rel}
	g.watchdog = time.AfterFunc(g.stall, func() { cancel(errStalled) })
	return g
}

func (g *stallWatch) stop() {
	g.watchdog.Stop()
	g.cancel(nil)
}

// classify turns an error of the request into what happened: a stall (retried as
// Unavailable), the caller's cancellation, or err itself.
func (g *stallWatch) classify(err error) error {
	if context.Cause(g.ctx) == errStalled && g.parent.Err() == nil {
		return driver.Wrap(Unavailable, errStalled, "transfer: "+g.rel)
	}
	if g.parent.Err() != nil {
		return context.Cause(g.parent)
	}
	return err
}
