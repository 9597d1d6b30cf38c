package export

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/geojobs/geojobs/backend/errs"
	"github.com/geojobs/geojobs/backend/multihash"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/results"
	"github.com/geojobs/geojobs/backend/retry"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// ErrBusy: the job is being exported already.
var ErrBusy = errs.New(errs.Conflict, "export: this job's results are being exported already")

// State is a file's state in an export.
type State string

// The states.
const (
	Queued   State = "queued"
	Running  State = "running"
	Done     State = "done"
	Failed   State = "failed"
	Canceled State = "canceled"
)

const (
	parallel = 2                      // files at once per export
	tick     = 250 * time.Millisecond // progress reports
)

// File is one asset of an export.
type File struct {
	Item, Asset string
	// Name is the file's path under the destination folder; URL its location.
	Name, URL string
	// Type is the asset's media type, sent as the upload's Content-Type.
	Type  string
	State State
	Done  int64
	Size  int64 // -1 unknown
	// Checked says what was verified: "size", "size, checksum".
	Checked string
	// Checksum is the SHA2-256 multihash of what was exported (file:checksum).
	Checksum string
	// Error is the reason of a failure, for people (no secrets); Code its class.
	Error string
	Code  transfer.ErrorCode
}

// Progress is the state of a job's export.
type Progress struct {
	JobID string
	// Dest names the destination folder.
	Dest  string
	Files []File
	// Totals over Files (Size -1 when one is unknown).
	Done, Size        int64
	Completed, Failed int
	Running           bool
	// Catalog is the exported catalog.json's URL once written; CatalogError why it
	// was not.
	Catalog, CatalogError string
	Started, Finished     time.Time
}

// Options configure an Exporter. Sources is required.
type Options struct {
	// Sources opens the assets' hrefs with their credentials (the download manager's Mux).
	Sources *transfer.Mux
	// OnProgress receives a job's export progress about four times a second while it
	// runs and once at its end, from one goroutine per export; it should not block long.
	OnProgress func(Progress)
	// Retry schedules the retries of a file after a transient failure (backend/retry);
	// the zero value is its default policy.
	Retry retry.Policy
	// Scope, when set, gives the network scope of a job's asset hrefs (the addresses
	// they may reach: see netpolicy.Scope; results.Service.ScopeFor).
	Scope  func(ctx context.Context, jobID string) *netpolicy.Scope
	Logger *slog.Logger
}

// Exporter runs exports, one at a time per job, two files at a time each.
type Exporter struct {
	o   Options
	log *slog.Logger
	mu  sync.Mutex
	run map[string]*run // by job, the last export of each
	wg  sync.WaitGroup
}

type run struct {
	jobID  string
	dest   *transfer.Folder
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	p      Progress
	counts []atomic.Int64 // bytes read per file
}

// New returns an Exporter.
func New(o Options) (*Exporter, error) {
	if o.Sources == nil {
		return nil, errors.New("export: Options.Sources is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Exporter{o: o, log: o.Logger, run: map[string]*run{}}, nil
}

// exportable schemes: never file (a remote catalog must not make the app copy local
// files out).
var exportable = map[string]bool{"http": true, "https": true, "s3": true}

// Start exports the assets refs (all when empty) of ic, a job's results, to dest:
// each to <item folder>/<file name> as in a download (results.Plan), then a STAC
// catalog (catalog.json and one JSON per item, asset hrefs relative to it). It
// returns how many files are queued; assets left out are reported in the error
// beside a positive count. ErrBusy when the job's previous export still runs.
func (e *Exporter) Start(jobID string, ic *stac.ItemCollection, refs []results.AssetRef, dest *transfer.Folder) (int, error) {
	planned, perr := results.Plan(ic, "", refs)
	var errs []error
	if perr != nil {
		errs = append(errs, perr)
	}
	var files []File
	var hrefs []*url.URL
	var sums []string
	for _, p := range planned {
		u, err := url.Parse(p.Request.URL)
		if err != nil || !exportable[strings.ToLower(u.Scheme)] {
			errs = append(errs, fmt.Errorf("%s/%s: only http, https and s3 assets can be exported", p.Item, p.Asset))
			continue
		}
		files = append(files, File{Item: p.Item, Asset: p.Asset, Name: p.Request.Name, URL: dest.URL(p.Request.Name),
			Type: assetType(ic, p.AssetRef), State: Queued, Size: p.Request.Size})
		hrefs = append(hrefs, u)
		sums = append(sums, p.Request.Checksum)
	}
	if len(files) == 0 {
		if len(errs) == 0 {
			errs = append(errs, errors.New("export: no assets to export"))
		}
		return 0, errors.Join(errs...)
	}
	e.mu.Lock()
	if r, ok := e.run[jobID]; ok && r.running() {
		e.mu.Unlock()
		return 0, ErrBusy
	}
	ctx, cancel := context.WithCancel(context.Background())
	if e.o.Scope != nil {
		if sc := e.o.Scope(ctx, jobID); sc != nil {
			ctx = netpolicy.WithScope(ctx, *sc)
		}
	}
	r := &run{jobID: jobID, dest: dest, cancel: cancel, done: make(chan struct{}), counts: make([]atomic.Int64, len(files)),
		p: Progress{JobID: jobID, Dest: dest.String(), Files: files, Running: true, Started: time.Now()}}
	e.run[jobID] = r
	e.mu.Unlock()
	e.wg.Go(func() { e.exec(ctx, r, ic, hrefs, sums) })
	return len(files), errors.Join(errs...)
}

func (r *run) running() bool {
	select {
	case <-r.done:
		return false
	default:
		return true
	}
}

// exec copies the files, writes the catalog and reports progress.
func (e *Exporter) exec(ctx context.Context, r *run, ic *stac.ItemCollection, hrefs []*url.URL, sums []string) {
	defer close(r.done)
	defer r.cancel()
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				e.report(r)
			case <-stop:
				return
			}
		}
	}()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range hrefs {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				r.set(i, func(f *File) { f.State = Canceled })
				return
			}
			defer func() { <-sem }()
			e.copyFile(ctx, r, i, hrefs[i], sums[i])
		})
	}
	wg.Wait()
	close(stop)
	<-ticked
	if ctx.Err() == nil {
		where, err := e.writeCatalog(context.WithoutCancel(ctx), r, ic)
		r.mu.Lock()
		if err != nil {
			r.p.CatalogError = transfer.Reason(err, "export")
			e.log.Warn("export: catalog", "job", r.jobID, "err", err)
		} else {
			r.p.Catalog = where
		}
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.p.Running = false
	r.p.Finished = time.Now()
	r.mu.Unlock()
	e.report(r)
}

func (r *run) set(i int, f func(*File)) {
	r.mu.Lock()
	f(&r.p.Files[i])
	r.mu.Unlock()
}

// copyFile streams one asset to the destination, retrying transient failures.
func (e *Exporter) copyFile(ctx context.Context, r *run, i int, u *url.URL, checksum string) {
	r.set(i, func(f *File) { f.State = Running })
	var checked, sum string
	err := retry.Do(ctx, e.o.Retry, transient, func(failures int, wait time.Duration, err error) {
		e.log.Debug("export: retrying", "file", r.p.Files[i].Name, "attempt", failures+1, "wait", wait, "err", err)
	}, func(ctx context.Context) (err error) {
		r.counts[i].Store(0)
		checked, sum, err = e.copyOnce(ctx, r, i, u, checksum)
		return err
	})
	r.set(i, func(f *File) {
		f.Done = r.counts[i].Load()
		switch {
		case err == nil:
			f.State, f.Checked, f.Checksum, f.Size = Done, checked, sum, f.Done
		case ctx.Err() != nil:
			f.State = Canceled
		default:
			f.State, f.Error, f.Code = Failed, transfer.Reason(err, "export"), transfer.Code(err)
		}
	})
}

func transient(err error) (bool, time.Duration) {
	var de *transfer.Error
	var after time.Duration
	if errors.As(err, &de) {
		after = de.RetryAfter
	}
	return transfer.Code(err) == transfer.Unavailable, after
}

// copyOnce reads the asset from its source into the destination. The reader checks
// the asset's file:size and file:checksum as the bytes pass, and fails at the end of
// the stream on a mismatch, so the upload is aborted rather than stored.
func (e *Exporter) copyOnce(ctx context.Context, r *run, i int, u *url.URL, checksum string) (checked, sum string, err error) {
	src, err := e.o.Sources.Source(u)
	if err != nil {
		return "", "", err
	}
	f := r.file(i)
	size := f.Size
	if size < 0 {
		info, err := src.Stat(ctx, u)
		if err != nil {
			return "", "", err
		}
		size = info.Size
		r.set(i, func(f *File) { f.Size = size })
	}
	body, err := src.ReadRange(ctx, u, 0, -1, nil)
	if err != nil {
		return "", "", err
	}
	defer body.Close()
	vr := &verifyReader{r: body, n: &r.counts[i], size: size, name: f.Name, sha: sha256.New()}
	checked = "size"
	if checksum != "" {
		v, err := multihash.NewVerifier(checksum)
		if err == nil {
			vr.sum = v
			checked = "size, checksum"
		} else {
			e.log.Debug("export: file:checksum not usable", "file", f.Name, "err", err)
		}
	}
	if err := r.dest.Put(ctx, f.Name, vr, size, f.Type); err != nil {
		if vr.err != nil {
			return "", "", vr.err // the source's data was wrong: say that, not the aborted upload
		}
		return "", "", err
	}
	if vr.err != nil {
		return "", "", vr.err
	}
	if !vr.eof {
		// The destination took size bytes and stopped: the source has more.
		_, err := io.ReadFull(vr, make([]byte, 1))
		if vr.err != nil {
			return "", "", vr.err
		}
		if err == nil {
			return "", "", dataLoss("%s: the source has more than the %d bytes expected", f.Name, size)
		}
	}
	return checked, multihash.Encode(multihash.SHA2_256, vr.sha.Sum(nil)), nil
}

func (r *run) file(i int) File {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p.Files[i]
}

func assetType(ic *stac.ItemCollection, ref results.AssetRef) string {
	for _, it := range ic.Features {
		if it != nil && it.ID == ref.Item {
			return it.Assets[ref.Asset].Type
		}
	}
	return ""
}

// verifyReader counts what passes and, at EOF, checks the count against size and the
// digest against the checksum, returning a DataLoss error instead of EOF on a mismatch.
type verifyReader struct {
	r    io.Reader
	n    *atomic.Int64
	size int64
	sum  *multihash.Verifier
	sha  hash.Hash
	name string
	err  error
	eof  bool
}

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	k, err := v.r.Read(p)
	if k > 0 {
		n := v.n.Add(int64(k))
		v.sha.Write(p[:k])
		if v.sum != nil {
			v.sum.Write(p[:k])
		}
		if v.size >= 0 && n > v.size {
			v.err = dataLoss("%s: the source sent more than the %d bytes expected", v.name, v.size)
			return 0, v.err
		}
	}
	if errors.Is(err, io.EOF) {
		v.eof = true
		got := v.n.Load()
		switch {
		case v.size >= 0 && got != v.size:
			v.err = dataLoss("%s: the source sent %d bytes, %d expected", v.name, got, v.size)
		case v.sum != nil:
			if verr := v.sum.Verify(); verr != nil {
				v.err = driver.Wrap(transfer.DataLoss, verr, v.name+": the data differs from its file:checksum")
			}
		}
		if v.err != nil {
			return k, v.err
		}
	}
	return k, err
}

func dataLoss(format string, args ...any) error {
	return driver.Errorf(transfer.DataLoss, format, args...)
}

// report sends the run's progress to OnProgress.
func (e *Exporter) report(r *run) {
	if e.o.OnProgress != nil {
		e.o.OnProgress(r.view())
	}
}

func (r *run) view() Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.p
	p.Files = append([]File(nil), r.p.Files...)
	var size transfer.SizeTotal
	for i := range p.Files {
		f := &p.Files[i]
		if f.State == Running {
			f.Done = r.counts[i].Load()
		}
		switch f.State {
		case Done:
			p.Completed++
		case Failed:
			p.Failed++
		}
		p.Done += f.Done
		size.Add(f.Size)
	}
	p.Size = size.Size()
	return p
}

// View returns the progress of a job's last export; ok is false when there is none.
func (e *Exporter) View(jobID string) (Progress, bool) {
	e.mu.Lock()
	r, ok := e.run[jobID]
	e.mu.Unlock()
	if !ok {
		return Progress{JobID: jobID}, false
	}
	return r.view(), true
}

// Wait blocks until the job's export ends or ctx does, and returns its progress.
func (e *Exporter) Wait(ctx context.Context, jobID string) (Progress, error) {
	e.mu.Lock()
	r, ok := e.run[jobID]
	e.mu.Unlock()
	if !ok {
		return Progress{JobID: jobID}, nil
	}
	select {
	case <-r.done:
		return r.view(), nil
	case <-ctx.Done():
		return r.view(), ctx.Err()
	}
}

// Cancel stops the job's export; what was uploaded stays.
func (e *Exporter) Cancel(jobID string) bool {
	e.mu.Lock()
	r, ok := e.run[jobID]
	e.mu.Unlock()
	if ok && r.running() {
		r.cancel()
		return true
	}
	return false
}

// Close cancels every export and waits for them to stop.
func (e *Exporter) Close() {
	e.mu.Lock()
	for _, r := range e.run {
		r.cancel()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// KeyOption is a keystore key offered as an export destination.
type KeyOption struct {
	Name, Kind string
	// Target is where the key's storage is (bucket or share URL).
	Target string
	// Allowed: the key may receive outputs; else Why says why not.
	Allowed bool
	Why     string
}
