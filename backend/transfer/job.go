package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// Request is one file to download.
type Request struct {
	// URL of the file; its scheme selects the driver.
	URL string
	// Dest is the destination folder; it is created when missing.
	Dest string
	// Name is the untrusted relative path of the file inside Dest (see SanitizeName).
	Name string
	// Size is the expected size (STAC file:size), or -1 when unknown. Zero is taken
	// as unknown too, except that a zero-length file is fine either way.
	Size int64
	// Checksum is the expected multihash in hex (STAC file:checksum), optional.
	Checksum string
	// Scope, when set, limits the addresses the download may reach (a URL a server
	// named: see netpolicy.Scope).
	Scope *netpolicy.Scope
	// Paused adds the task paused: it starts on Resume (a download restored paused
	// must not start first).
	Paused bool
}

// Result describes a finished (or stopped) download.
type Result struct {
	ID   string
	Name string // sanitised relative path, with forward slashes
	Path string // the file's path once complete
	URL  string // redacted: no credentials, no query
	Size int64  // bytes, -1 when not known
	// Checksum is the multihash verified, when the request had one.
	Checksum string
	// Verified reports that Checksum was checked against the data.
	Verified bool
	// Skipped reports that the file was already present and was not fetched.
	Skipped bool
	Err     error
}

var (
	errPaused   = errors.New("transfer: paused")
	errCanceled = driver.Errorf(Canceled, "transfer: canceled")
	errStalled  = errors.New("no data received within the stall timeout")
)

// job downloads one file. Its counters are read by the progress reporter.
type job struct {
	opts  *Options
	req   Request
	rel   string // sanitised, slash-separated
	u     *url.URL
	src   driver.Source
	conns *connLimiter
	bufs  *bufPool
	// folders opens the file's folder, shared with the other tasks writing into it.
	folders *folders
	// smallBufs are the buffers of files fetched whole (runWhole).
	smallBufs *bufPool

	written atomic.Int64 // bytes of the file complete on disk
	size    atomic.Int64 // -1 unknown
	phase   atomic.Int32 // a State while running (StateRunning, StateVerifying)
	// retrying is set while the job waits to retry a transient error.
	retrying atomic.Pointer[Retrying]
	// noState: there is no resume state to remove when the file is complete (fetched
	// whole, none found before, none saved).
	noState bool
	// reserve is the free space a file of unknown size must leave on the disk
	// (roomLeft), set at its first check; 0 before.
	reserve int64
}

// Space checks of files whose size nobody said (a server may send without end):
// maxReserve is the most free space kept (a tenth of what was free, at most this),
// roomCheckEvery the bytes written between two checks, and freeSpaceOf is freeSpace
// (tests fill a small disk without writing gigabytes).
const maxReserve = 1 << 30

var (
	freeSpaceOf          = freeSpace
	roomCheckEvery int64 = 64 << 20
)

// roomLeft returns an error, having emptied f, when writing on into f (a file of
// unknown size, at pos bytes) would leave less free space on the destination's disk
// than the job's reserve: a tenth of what was free when the file started, at most
// maxReserve. An endless answer stops there rather than fill the disk; its partial
// file is of no use (such a file cannot be resumed: it starts over).
func (j *job) roomLeft(f *os.File, pos int64) error {
	free := freeSpaceOf(j.req.Dest)
	if free < 0 {
		return nil
	}
	if j.reserve == 0 {
		j.reserve = max(min((free+pos)/10, maxReserve), 1)
	}
	if free >= j.reserve {
		return nil
	}
	_ = f.Truncate(0)
	return driver.Errorf(ResourceExhausted, "transfer: %s: stopped after %s: the server did not say how large the file is "+
		"and was still sending when only %s was left free on the disk", j.rel, FormatSize(pos), FormatSize(free))
}

func (j *job) host() string { return j.u.Scheme + "://" + j.u.Host }

// names inside the file's folder (the root a job works in: folders.get).
func (j *job) final() string   { return path.Base(j.rel) }
func (j *job) part() string    { return j.final() + ".part" }
func (j *job) state() string   { return j.final() + ".part.json" }
func (j *job) corrupt() string { return j.final() + ".corrupt" }

// dir is the file's folder, relative to the destination (slash-separated).
func (j *job) dir() string { return path.Dir(j.rel) }

// inDest is name (of the file's folder) relative to the destination, as errors show it.
func (j *job) inDest(name string) string { return filepath.FromSlash(path.Join(j.dir(), name)) }

func (j *job) result() Result {
	return Result{Name: j.rel, Path: filepath.Join(j.req.Dest, filepath.FromSlash(j.rel)), URL: driver.RedactURL(j.u),
		Size: j.size.Load(), Checksum: j.req.Checksum}
}

// run downloads the file. On error the partial data is kept for a later resume.
func (j *job) run(ctx context.Context) (Result, error) {
	if j.req.Scope != nil {
		ctx = netpolicy.WithScope(ctx, *j.req.Scope)
	}
	res := j.result()
	root, release, err := j.folders.get(j.req.Dest, j.dir())
	if err != nil {
		return res, err
	}
	defer release()

	if op, ok := j.opener(); ok {
		if res, handled, err := j.runWhole(ctx, root, op, res); handled {
			return res, err
		}
	}
	info, err := j.stat(ctx)
	if err != nil {
		return res, err
	}
	if want := j.req.Size; want > 0 && info.Size >= 0 && info.Size != want {
		return res, driver.Errorf(DataLoss, "transfer: %s: the server has %d bytes, the catalog says %d", j.rel, info.Size, want)
	}
	if info.Size >= 0 || j.req.Size < 0 {
		j.size.Store(info.Size) // else keep showing the catalog's size until the end
	}
	res.Size = info.Size

	if ok, err := j.present(ctx, root, info.Size); err != nil || ok {
		res.Skipped, res.Verified = ok, ok && j.req.Checksum != ""
		if ok {
			j.written.Store(info.Size)
		}
		return res, err
	}

	for restarts := 0; ; restarts++ {
		var v *multihash.Verifier
		v, err = j.fetch(ctx, root, info)
		switch {
		case err == nil:
			return j.commit(root, v, res)
		case Code(err) == Changed && restarts < 2:
			// The object changed under us: whatever we have is of the old version.
			if info, err = j.stat(ctx); err != nil {
				return res, err
			}
			removeIfExists(root, j.state())
			j.size.Store(info.Size)
			res.Size = info.Size
		case Code(err) == RangeUnsupported && restarts < 2 && info.AcceptRanges:
			info.AcceptRanges = false
			removeIfExists(root, j.state())
		default:
			return res, err
		}
	}
}

// stat asks the source for the object's Info, retrying transient errors.
func (j *job) stat(ctx context.Context) (driver.Info, error) {
	for failures := 1; ; failures++ {
		if err := j.conns.acquire(ctx, j.host()); err != nil {
			return driver.Info{}, err
		}
		info, err := j.src.Stat(ctx, j.u)
		j.conns.release(j.host(), err)
		if err == nil {
			if info.Size < 0 {
				info.AcceptRanges = false
			}
			return info, nil
		}
		if err := j.backoff(ctx, err, failures); err != nil {
			return driver.Info{}, err
		}
	}
}

// backoff sleeps before the next attempt after a transient error, or returns the
// error when it is permanent or attempts are exhausted. While it waits, the task's
// progress says it is retrying and why.
func (j *job) backoff(ctx context.Context, err error, failures int) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if Code(err) != Unavailable {
		return err
	}
	if max := j.opts.Retry.MaxAttempts(); failures >= max {
		return &gaveUpError{rel: j.rel, attempts: failures, err: err}
	}
	var de *driver.Error
	var ra time.Duration
	if errors.As(err, &de) {
		ra = de.RetryAfter
	}
	j.retrying.Store(&Retrying{Attempt: failures + 1, Of: j.opts.Retry.MaxAttempts(), Err: err})
	defer j.retrying.Store(nil)
	return retry.Sleep(ctx, j.opts.Retry.Delay(failures, ra))
}

// gaveUpError is a transient error that lasted through every attempt.
type gaveUpError struct {
	rel      string
	attempts int
	err      error
}

func (e *gaveUpError) Error() string {
	return fmt.Sprintf("transfer: %s: giving up after %d attempts: %v", e.rel, e.attempts, e.err)
}

func (e *gaveUpError) Unwrap() error { return e.err }

// Retrying describes a task waiting to try again after a transient error.
type Retrying struct {
	// Attempt is the number of the attempt to come, Of the most there will be.
	Attempt, Of int
	// Err is the transient error that made the last attempt fail.
	Err error
}

// present reports whether the final file already exists with the right size and
// checksum (when there is one), so it need not be fetched.
func (j *job) present(ctx context.Context, root *os.Root, size int64) (bool, error) {
	fi, err := root.Lstat(j.final())
	if err != nil || !fi.Mode().IsRegular() || size < 0 || fi.Size() != size {
		return false, nil
	}
	if j.req.Checksum == "" {
		return true, nil
	}
	v, err := multihash.NewVerifier(j.req.Checksum)
	if err != nil {
		return false, driver.Wrap(InvalidArgument, err, "transfer: "+j.rel+": checksum")
	}
	f, err := root.Open(j.final())
	if err != nil {
		return false, nil
	}
	defer f.Close()
	b := j.bufs.get()
	defer j.bufs.put(b)
	if _, err := io.CopyBuffer(v, ctxReader{ctx, f}, *b); err != nil {
		return false, err
	}
	return v.Verify() == nil, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, context.Cause(c.ctx)
	}
	return c.r.Read(p)
}

// fetch brings <name>.part to completion, resuming from its sidecar when it matches
// info, and returns the verifier fed with the data when the request has a checksum.
func (j *job) fetch(ctx context.Context, root *os.Root, info driver.Info) (*multihash.Verifier, error) {
	if j.req.Checksum != "" {
		if _, err := multihash.Parse(j.req.Checksum); err != nil {
			return nil, driver.Wrap(InvalidArgument, err, "transfer: "+j.rel+": checksum")
		}
	}
	// O_NOFOLLOW semantics come from os.Root: a link escaping the folder is refused.
	f, err := root.OpenFile(j.part(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, localError("create", j.inDest(j.part()), err)
	}
	defer f.Close()

	var done rangeSet
	if sc := loadSidecar(root, j.state()); sc.resumable(j.u, info) {
		done = sc.done()
	} else {
		if err := removeIfExists(root, j.state()); err != nil {
			return nil, err
		}
		if err := f.Truncate(0); err != nil {
			return nil, localError("truncate", j.inDest(j.part()), err)
		}
		if err := preallocate(f, info.Size); err != nil {
			return nil, localError("allocate", j.inDest(j.part()), err)
		}
	}
	resumable := info.AcceptRanges && info.Size >= 0

	conns := 1
	if info.AcceptRanges && info.Size >= j.opts.MinSplitSize {
		conns = j.opts.Connections
	}
	remaining := max(info.Size-done.total(), 0)
	piece := j.opts.pieceSize(remaining, conns, j.req.Checksum != "")
	guard := int64(j.opts.BufferSize)
	// A stolen tail costs a request and whatever the victim's socket held beyond the
	// split, so only tails worth a few hundred milliseconds are stolen.
	p := newPlan(info.Size, done, piece, max(guard, 4<<20), guard, &j.written)
	p.etag, p.ranges = info.ETag, info.AcceptRanges

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup

	// Hashing runs beside the download, reading what is complete in file order.
	var v *multihash.Verifier
	var hashErr error
	hashDone := make(chan struct{})
	if j.req.Checksum != "" {
		go func() {
			defer close(hashDone)
			b := j.bufs.get()
			defer j.bufs.put(b)
			v, hashErr = hashInOrder(ctx, f, p, j.req.Checksum, *b)
			if hashErr != nil {
				cancel(hashErr)
			}
		}()
	} else {
		close(hashDone)
	}

	save := func() error {
		d, changed := p.snapshot()
		if !resumable || !changed {
			return nil
		}
		return newSidecar(j.u, info, j.req.Checksum, d).save(root, j.state())
	}
	stopSaver := saveEvery(j.opts.StateInterval, save, cancel)

	var errOnce sync.Once
	var firstErr error
	for range conns {
		wg.Go(func() {
			if err := j.worker(ctx, p, f); err != nil {
				errOnce.Do(func() { firstErr = err })
				cancel(err)
			}
		})
	}
	wg.Wait()
	stopSaver()
	// The state of a small file that is complete is not worth an fsync: the file is
	// renamed into place next, and a crash in between costs one small file again.
	if firstErr != nil || info.Size < 0 || info.Size >= j.opts.MinSplitSize {
		if err := save(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	if firstErr != nil {
		cancel(firstErr)
		<-hashDone
		return nil, firstErr
	}
	j.phase.Store(int32(StateVerifying))
	<-hashDone
	if hashErr != nil {
		return nil, hashErr
	}
	_, size, _ := p.progress()
	j.size.Store(size)
	if fi, err := f.Stat(); err != nil {
		return nil, localError("stat", j.inDest(j.part()), err)
	} else if fi.Size() != size {
		return nil, driver.Errorf(DataLoss, "transfer: %s: %d bytes on disk, expected %d", j.rel, fi.Size(), size)
	}
	if want := j.req.Size; want > 0 && size != want {
		return nil, driver.Errorf(DataLoss, "transfer: %s: received %d bytes, the catalog says %d", j.rel, size, want)
	}
	if err := f.Close(); err != nil {
		return nil, localError("write", j.inDest(j.part()), err)
	}
	return v, nil
}

// worker fetches segments until none is left.
func (j *job) worker(ctx context.Context, p *plan, f *os.File) error {
	b := j.bufs.get()
	defer j.bufs.put(b)
	for {
		s := p.next()
		if s == nil {
			return nil
		}
		err := j.fetchSegment(ctx, p, s, f, *b)
		p.finish(s)
		if err != nil {
			return err
		}
	}
}

// fetchSegment fetches s, retrying transient errors from where it got to. An attempt
// counts as progress only when it gets further than every earlier one: a stream
// without ranges starts over each time, and a server that keeps cutting it off at
// the same place must not be asked again without end.
func (j *job) fetchSegment(ctx context.Context, p *plan, s *segment, f *os.File, buf []byte) error {
	failures := 0
	furthest, _ := p.bounds(s)
	for {
		cur, end := p.bounds(s)
		if end >= 0 && cur >= end {
			return nil
		}
		if err := j.conns.acquire(ctx, j.host()); err != nil {
			return err
		}
		counted := false
		progressed, err := j.readSegment(ctx, p, s, f, buf, cur, end, func() {
			counted = true
			j.conns.answered(j.host())
		})
		j.conns.releaseAfter(j.host(), err, counted)
		if err == nil {
			return nil
		}
		if at, _ := p.bounds(s); progressed && at > furthest {
			furthest = at
			failures = 0
		}
		failures++
		if err := j.backoff(ctx, err, failures); err != nil {
			return err
		}
		if !p.resumable() {
			p.startOver(s) // a stream without ranges can only be fetched again whole
		}
	}
}

// readSegment makes one request for [cur, end) of s and writes what arrives.
// answered is called once the server has answered, before the body.
func (j *job) readSegment(ctx context.Context, p *plan, s *segment, f *os.File, buf []byte, cur, end int64, answered func()) (progressed bool, err error) {
	g := j.watch(ctx)
	defer g.stop()
	rctx, classify := g.ctx, g.classify

	n := int64(-1)
	if end >= 0 {
		n = end - cur
	}
	var ro *driver.ReadOptions
	if etag := p.etag; etag != "" {
		ro = &driver.ReadOptions{IfMatch: etag}
	}
	rc, err := j.src.ReadRange(rctx, j.u, cur, n, ro)
	if err != nil {
		return false, classify(err)
	}
	defer rc.Close()
	answered()
	pos := cur
	// Writeback of what this connection wrote starts every writebackChunk, so that the
	// closing sync has little left even when all pieces end together.
	flushed, checked := cur, cur
	defer func() { startWriteback(f, flushed, pos-flushed) }()
	for {
		want := int64(len(buf))
		if _, e := p.bounds(s); e >= 0 {
			want = min(want, e-pos)
		}
		if want <= 0 {
			return progressed, nil // reached the end, possibly moved by a stealer
		}
		k, rerr := io.ReadFull(rc, buf[:want])
		g.watchdog.Reset(g.stall)
		if k > 0 {
			if _, werr := f.WriteAt(buf[:k], pos); werr != nil {
				return progressed, localError("write", j.inDest(j.part()), werr)
			}
			p.advance(s, pos, int64(k))
			pos += int64(k)
			progressed = true
			if end < 0 && pos-checked >= roomCheckEvery {
				checked = pos
				if err := j.roomLeft(f, pos); err != nil {
					return progressed, err
				}
			}
			if pos-flushed >= writebackChunk {
				startWriteback(f, flushed, pos-flushed)
				flushed = pos
			}
		}
		switch {
		case rerr == nil:
		case (rerr == io.EOF || rerr == io.ErrUnexpectedEOF) && end < 0:
			p.setSize(pos) // the end of an object of unknown length
			return progressed, nil
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			if _, e := p.bounds(s); pos >= e {
				return progressed, nil
			}
			return progressed, driver.Errorf(Unavailable, "transfer: %s: connection closed at byte %d of %d", j.rel, pos, end)
		default:
			return progressed, classify(rerr)
		}
	}
}

// commit verifies the complete .part and renames it into place.
func (j *job) commit(root *os.Root, v *multihash.Verifier, res Result) (Result, error) {
	res.Size = j.size.Load()
	if v != nil {
		if err := v.Verify(); err != nil {
			removeIfExists(root, j.corrupt())
			if rerr := root.Rename(j.part(), j.corrupt()); rerr != nil {
				removeIfExists(root, j.part())
			}
			removeIfExists(root, j.state())
			return res, driver.Wrap(DataLoss, err, "transfer: "+j.rel+" (kept as "+path.Base(j.rel)+".corrupt)")
		}
		res.Verified = true
	}
	if err := root.Rename(j.part(), j.final()); err != nil {
		if fi, serr := root.Lstat(j.final()); serr == nil && fi.IsDir() {
			return res, driver.Errorf(AlreadyExists, "transfer: %s is a folder", j.rel)
		}
		return res, localError("rename", j.rel, err)
	}
	if !j.noState {
		removeIfExists(root, j.state())
	}
	if err := root.Remove(j.corrupt()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		_ = err // a stale .corrupt that cannot be removed is harmless
	}
	return res, nil
}

// discard removes the partial data of the job (Task.Cancel).
func (j *job) discard() error {
	root, err := os.OpenRoot(j.req.Dest)
	if err != nil {
		return nil // nothing was ever written
	}
	defer root.Close()
	return errors.Join(removeIfExists(root, j.inDest(j.part())), removeIfExists(root, j.inDest(j.state())),
		removeIfExists(root, j.inDest(j.state())+".tmp"))
}
