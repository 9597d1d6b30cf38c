package results

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/geojobs/geojobs/backend/groupcommit"
	"github.com/geojobs/geojobs/backend/keystore"
	"github.com/geojobs/geojobs/backend/netpolicy"
	"github.com/geojobs/geojobs/backend/stac"
	"github.com/geojobs/geojobs/backend/store"
	"github.com/geojobs/geojobs/backend/transfer"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// DownloadStore is what Downloads records its work in (*store.Store).
type DownloadStore interface {
	PutDownload(ctx context.Context, d store.Download, at time.Time) (int64, error)
	SetDownloadState(ctx context.Context, id int64, state, reason string, at time.Time) error
	UnfinishedDownloads(ctx context.Context) ([]store.Download, error)
	// Downloads lists a job's recorded downloads, oldest first.
	Downloads(ctx context.Context, jobID string) ([]store.Download, error)
}

// DownloadsOptions configure Downloads. Items is required.
type DownloadsOptions struct {
	// Store records the downloads so that unfinished ones resume after a restart
	// (Restore). Nil keeps them in memory only (the command line, which resumes from
	// the .part files when run again).
	Store DownloadStore
	// Items returns a job's results (Service.Items).
	Items func(ctx context.Context, jobID string) (*stac.ItemCollection, error)
	// Transfer configures the download manager (Sources: the app's Mux). Manifest and
	// OnProgress are set by Downloads.
	Transfer transfer.Options
	// OnProgress receives the progress of a job's downloads when it changed, from one
	// goroutine (updates coalesce while it runs); it should not block long.
	OnProgress func(JobProgress)
	// Scope, when set, gives the network scope of a job's asset hrefs (Service.ScopeFor):
	// a public server's results do not make geojobs download from local addresses.
	Scope  func(ctx context.Context, jobID string) *netpolicy.Scope
	Logger *slog.Logger
}

// FileView is the state of one downloaded file, for display.
type FileView struct {
	Task  string // the task id, for Pause, Resume and Cancel
	Item  string
	Asset string
	Name  string // relative to the job's folder
	Dest  string
	State transfer.State
	// Error is the reason of a failure, for people (no secrets); Code its class.
	Error string
	// SignIn is the oidc key whose sign-in a paused download waits for: it goes on
	// after a sign-in (Downloads.ResumeSignedIn).
	SignIn string
	Code   transfer.ErrorCode
	// Retrying says, while a transient error is being retried, which attempt comes
	// next and what failed; empty otherwise.
	Retrying string
	Done     int64
	Size     int64 // -1 unknown
	Speed    float64
	ETA      time.Duration // -1 unknown
}

// JobProgress is the state of a job's downloads.
type JobProgress struct {
	JobID string
	Files []FileView
	// Totals over Files.
	Done, Size int64 // Size -1 when a size is unknown
	Speed      float64
	ETA        time.Duration
	Active     int // queued, running or verifying
	Completed  int
	Failed     int
}

// Paused counts the paused files.
func (p JobProgress) Paused() int {
	n := 0
	for _, f := range p.Files {
		if f.State == transfer.StatePaused {
			n++
		}
	}
	return n
}

// Folders lists the folders the files (not canceled) go to, in the order first seen.
func (p JobProgress) Folders() []string {
	var out []string
	for _, f := range p.Files {
		if f.State != transfer.StateCanceled && !slices.Contains(out, f.Dest) {
			out = append(out, f.Dest)
		}
	}
	return out
}

// fileKey is a file of a job's results downloaded into one folder.
type fileKey struct {
	job, name, dest string
	ref             AssetRef
}

type entry struct {
	id   int64 // store row
	job  string
	dest string
	ref  AssetRef
	task *transfer.Task
	// state and err are the end of the task's run recorded, recorded is that run (-1
	// before the first end): see settledLocked. recording serialises the ends of
	// one task (a resumed run may end while the previous end is being recorded).
	state     transfer.State
	err       error
	recorded  int
	recording sync.Mutex
	// signIn is the oidc key whose sign-in the paused download waits for (ended,
	// Restore); "" otherwise.
	signIn string
	// ending is true while ended records a completed file (catalog, sync).
	ending bool
	// uncataloged: the file is on disk but the local catalog that lists it could
	// not be written; it shows failed until a later write of its folder's catalog
	// (the folder's next commit, or Resume) succeeds. d.mu held.
	uncataloged bool
	// counted: d.opened and d.unsettled count the entry (Downloads.setLocked).
	counted bool
	p       transfer.FileProgress
}

// settledLocked reports whether ended has recorded the end of the task's current run
// (for a completed file: checked on disk, catalog written, synced). It is read from
// the task, not kept beside it: a Resume starts a new run, which no record is of, so
// the entry is unsettled at once however the old run's record interleaves. The runs
// change only in Downloads.Resume, under d.mu, which keeps the counts of setLocked in
// step. d.mu held.
func (e *entry) settledLocked() bool {
	run, _, _ := e.task.Run()
	return run == e.recorded
}

// openLocked reports whether the entry is on its way into its folder: neither
// settled nor being recorded. d.mu held.
func (e *entry) openLocked() bool { return !e.ending && !e.settledLocked() }

// Downloads is the app's download manager: a transfer.Manager whose files are recorded
// in the store (so that unfinished ones resume after a restart, from their .part
// files), grouped by job, and described, once complete, by a local STAC catalog beside
// them (transfer.WriteLocalCatalog).
type Downloads struct {
	o   DownloadsOptions
	log *slog.Logger
	m   *transfer.Manager

	mu      sync.Mutex
	entries map[string]*entry // by task id
	order   []*entry
	byFile  map[fileKey][]*entry // the tasks of one file into one folder
	// opened holds, by job and folder, the entries on their way into the folder
	// (entry.open): the last of them has the catalog written at once.
	opened map[[2]string]map[*entry]struct{}
	// unsettled counts the entries not settled by job, for Wait.
	unsettled map[string]int
	// uncataloged holds, by job and folder, the entries whose catalog write failed
	// (entry.uncataloged): the folder's next commit writes the catalog for them too.
	uncataloged map[[2]string]map[*entry]struct{}
	closing     bool
	changed     chan struct{} // closed and replaced when an entry settles
	closed      chan struct{} // closed by Close

	// commits settles the completed files of a job's folder, by job and folder.
	commits groupcommit.Batchers[[2]string, endedRun]

	// Progress goes out from one goroutine: jobs to report are marked in pending.
	pendMu  sync.Mutex
	pending map[string]bool
	wake    chan struct{}
	quit    chan struct{}
	emitted chan struct{}
}

// NewDownloads returns the download manager; Close stops it, keeping partial files.
func NewDownloads(o DownloadsOptions) (*Downloads, error) {
	if o.Items == nil {
		return nil, errors.New("results: DownloadsOptions.Items is required")
	}
	if o.Store == nil {
		o.Store = &memoryStore{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Downloads{o: o, log: o.Logger, entries: map[string]*entry{}, byFile: map[fileKey][]*entry{}, pending: map[string]bool{},
		opened: map[[2]string]map[*entry]struct{}{}, unsettled: map[string]int{}, uncataloged: map[[2]string]map[*entry]struct{}{},
		changed: make(chan struct{}), closed: make(chan struct{}),
		wake: make(chan struct{}, 1), quit: make(chan struct{}), emitted: make(chan struct{})}
	topts := o.Transfer
	topts.Manifest = true
	topts.OnProgress = d.progress
	topts.OnEnd = d.ended
	d.m = transfer.NewManager(topts)
	d.commits.Pace, d.commits.Gap, d.commits.Write = catalogPace, catalogGap, d.commit
	go d.emitLoop()
	return d, nil
}

// Start queues the assets refs (all when empty) of a job's results for download into
// dest (DefaultDir when empty). It returns how many files were queued; assets left out
// (unsafe names, unknown refs) are reported in the error beside a positive count.
func (d *Downloads) Start(ctx context.Context, jobID, dest string, refs []AssetRef) (int, error) {
	ic, err := d.o.Items(ctx, jobID)
	if err != nil {
		return 0, err
	}
	if dest == "" {
		dest = DefaultDir(jobID)
	}
	dest, err = filepath.Abs(expandHome(dest))
	if err != nil {
		return 0, fmt.Errorf("%w: destination folder: %v", ErrBadFolder, err)
	}
	planned, perr := Plan(ic, dest, refs)
	if err := transfer.CheckFolder(dest, neededBytes(planned)); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBadFolder, err)
	}
	n := 0
	var errs []error
	if perr != nil {
		errs = append(errs, perr)
	}
	for _, p := range planned {
		if err := d.add(ctx, jobID, p, false, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s/%s: %w", clean0(p.Item), clean0(p.Asset), err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// ErrBadFolder: the destination folder is not usable. The error wrapping it also
// wraps a *transfer.Error that says why (transfer.CheckFolder).
var ErrBadFolder = errors.New("results: bad destination folder")

// CheckFolder checks a job's destination folder (DefaultDir when empty) before any
// download is queued: see transfer.CheckFolder. need is the known size of the job's
// assets not already in the folder.
func (d *Downloads) CheckFolder(ctx context.Context, jobID, dest string) (string, error) {
	if dest == "" {
		dest = DefaultDir(jobID)
	}
	dest, err := filepath.Abs(expandHome(dest))
	if err != nil {
		return dest, fmt.Errorf("%w: %w", ErrBadFolder, err)
	}
	ic, err := d.o.Items(ctx, jobID)
	if err != nil {
		return dest, err
	}
	planned, _ := Plan(ic, dest, nil)
	if err := transfer.CheckFolder(dest, neededBytes(planned)); err != nil {
		return dest, fmt.Errorf("%w: %w", ErrBadFolder, err)
	}
	return dest, nil
}

// neededBytes sums the known sizes of the planned files not yet in their folder with
// that size.
func neededBytes(planned []Planned) int64 {
	var n int64
	for _, p := range planned {
		if p.Request.Size <= 0 {
			continue
		}
		if fi, err := os.Stat(filepath.Join(p.Request.Dest, filepath.FromSlash(p.Request.Name))); err == nil && fi.Size() == p.Request.Size {
			continue
		}
		n += p.Request.Size
	}
	return n
}

func (d *Downloads) add(ctx context.Context, jobID string, p Planned, paused bool, signIn string) error {
	p.Request.Paused = paused
	if d.o.Scope != nil && p.Request.Scope == nil {
		p.Request.Scope = d.o.Scope(ctx, jobID)
	}
	// The same file into the same folder; another folder gets its own copy.
	key := fileKey{job: jobID, ref: p.AssetRef, dest: p.Request.Dest}
	if name, err := transfer.SanitizeName(p.Request.Name); err == nil {
		key.name = name
	}
	d.mu.Lock()
	for _, e := range d.byFile[key] {
		st, _ := e.task.State()
		if st == transfer.StateCompleted || st == transfer.StateQueued || st == transfer.StateRunning || st == transfer.StateVerifying {
			d.mu.Unlock()
			return nil // already there or on its way
		}
	}
	d.mu.Unlock()
	id, err := d.o.Store.PutDownload(ctx, store.Download{JobID: jobID, ItemID: p.Item, AssetKey: p.Asset,
		URL: p.Request.URL, Dest: p.Request.Dest, Name: p.Request.Name, Size: p.Request.Size, Checksum: p.Request.Checksum}, time.Now())
	if err != nil {
		return err
	}
	if paused { // restored paused: recorded so, and why, for the next restart too
		why := ""
		if signIn != "" {
			why = signInReason + signIn
		}
		_ = d.o.Store.SetDownloadState(ctx, id, store.DownloadPaused, why, time.Now())
	}
	// The entry is known before the task can end (ended looks it up under d.mu).
	d.mu.Lock()
	t, err := d.m.Add(p.Request)
	if err != nil {
		d.mu.Unlock()
		_ = d.o.Store.SetDownloadState(context.WithoutCancel(ctx), id, store.DownloadFailed, reason(err), time.Now())
		return err
	}
	e := &entry{id: id, job: jobID, dest: p.Request.Dest, ref: p.AssetRef, task: t, state: transfer.StateQueued, recorded: -1, signIn: signIn,
		p: transfer.FileProgress{ID: t.ID(), Name: t.Name(), Size: p.Request.Size, ETA: -1}}
	d.entries[t.ID()] = e
	d.order = append(d.order, e)
	key.name = t.Name()
	d.byFile[key] = append(d.byFile[key], e)
	d.setLocked(e, func() {})
	d.mu.Unlock()
	return nil
}

// setLocked applies change to e (its record, ending, a new run) and keeps d.opened and
// d.unsettled in step; d.mu must be held. A new entry (not yet counted) is counted by
// a call with no change.
func (d *Downloads) setLocked(e *entry, change func()) {
	key := [2]string{e.job, e.dest}
	wasOpen, wasUnsettled := e.counted && e.openLocked(), e.counted && !e.settledLocked()
	change()
	e.counted = true
	switch open := e.openLocked(); {
	case open && !wasOpen:
		if d.opened[key] == nil {
			d.opened[key] = map[*entry]struct{}{}
		}
		d.opened[key][e] = struct{}{}
	case wasOpen && !open:
		delete(d.opened[key], e)
		if len(d.opened[key]) == 0 {
			delete(d.opened, key)
		}
	}
	switch unsettled := !e.settledLocked(); {
	case unsettled && !wasUnsettled:
		d.unsettled[e.job]++
	case wasUnsettled && !unsettled:
		if d.unsettled[e.job]--; d.unsettled[e.job] == 0 {
			delete(d.unsettled, e.job)
		}
	}
}

// Restore adds the downloads the store records as unfinished (a previous run was
// stopped or killed); they resume from their partial files. Paused ones stay paused.
func (d *Downloads) Restore(ctx context.Context) (int, error) {
	recs, err := d.o.Store.UnfinishedDownloads(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, r := range recs {
		p := Planned{AssetRef: AssetRef{Item: r.ItemID, Asset: r.AssetKey},
			Request: transfer.Request{URL: r.URL, Dest: r.Dest, Name: r.Name, Size: r.Size, Checksum: r.Checksum}}
		signIn := ""
		if r.State == store.DownloadPaused {
			signIn, _ = strings.CutPrefix(r.Error, signInReason)
			if signIn == r.Error {
				signIn = ""
			}
		}
		if err := d.add(ctx, r.JobID, p, r.State == store.DownloadPaused, signIn); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", clean0(r.Name), err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// ended records the end of a task (transfer.Options.OnEnd) in the store. A completed
// file goes to its folder's committer (commit), which checks it on disk, rewrites the
// folder's local catalog and syncs the folder for all the files that completed
// meanwhile; only then does the entry count as settled (Wait, View): "done" means
// verified, in the folder shown, and on disk (a power loss does not take it back). A
// failed task that is resumed (Resume) ends again later; the end of a run that is no
// longer the task's (resumed meanwhile) is not recorded.
func (d *Downloads) ended(t *transfer.Task) {
	d.mu.Lock()
	e, closing := d.entries[t.ID()], d.closing
	d.mu.Unlock()
	if e == nil || closing {
		return // stopped by Close: still unfinished in the store, resumed next time
	}
	e.recording.Lock()
	defer e.recording.Unlock()
	run, st, terr := t.Run()
	switch st {
	case transfer.StateCompleted:
		// Final: a completed task is not resumed, so its record cannot race another end.
		d.mu.Lock()
		d.setLocked(e, func() { e.ending = true })
		last := d.lastOfFolderLocked(e)
		d.mu.Unlock()
		d.commits.Add([2]string{e.job, e.dest}, endedRun{e, run}, last)
		return
	case transfer.StateFailed, transfer.StateCanceled:
	default:
		return // resumed since: the new run ends later
	}
	ctx, now := context.Background(), time.Now()
	// A download whose sign-in ended waits for its person to sign in again, paused
	// (ResumeSignedIn), as job monitoring does; it has not failed.
	signIn := ""
	switch {
	case st == transfer.StateFailed && keystore.SignInKey(terr) != "":
		signIn = keystore.SignInKey(terr)
		_ = d.o.Store.SetDownloadState(ctx, e.id, store.DownloadPaused, signInReason+signIn, now)
	case st == transfer.StateFailed:
		_ = d.o.Store.SetDownloadState(ctx, e.id, store.DownloadFailed, reason(terr), now)
	default:
		_ = d.o.Store.SetDownloadState(ctx, e.id, store.DownloadCanceled, "", now)
	}
	d.mu.Lock()
	d.setLocked(e, func() {
		if r, _, _ := t.Run(); r == run { // else resumed while this end was recorded
			e.state, e.err, e.recorded, e.signIn = st, terr, run, signIn
		}
	})
	d.notifyLocked()
	d.mu.Unlock()
	d.emit(e.job)
}

// signInReason starts the stored reason of a download paused until its sign-in key
// (named after it) is signed in again; Restore reads it back.
const signInReason = "sign-in needed: "

// ResumeSignedIn resumes the downloads paused for a sign-in (after a sign-in: those
// whose key is still signed out fail again at once and wait again). It returns how
// many it resumed.
func (d *Downloads) ResumeSignedIn() int {
	d.mu.Lock()
	var waiting []*entry
	for _, e := range d.order {
		if e.signIn != "" {
			waiting = append(waiting, e)
		}
	}
	d.mu.Unlock()
	n := 0
	for _, e := range waiting {
		n += d.Resume(e.job, e.task.ID())
	}
	return n
}

// endedRun is a completed run of an entry's task, waiting for its folder's commit.
type endedRun struct {
	e   *entry
	run int
}

// commit settles the completed files of a job's folder (groupcommit.Batchers, one
// writer per folder): each checked on disk, then one catalog write and one sync for
// all of them. The catalog lists everything in the folder's manifest, so the writes
// are spaced (catalogPace, catalogGap) and the last file of a burst has the write at once.
// A file is done only once the catalog that lists it is written: when the write fails
// the batch's files fail with the reason, and the folder's next commit (another file,
// or Resume) writes the catalog for them again.
func (d *Downloads) commit(key [2]string, batch []endedRun) {
	jobID, dest := key[0], key[1]
	ctx, now := context.Background(), time.Now()
	d.mu.Lock()
	if len(d.uncataloged[key]) > 0 {
		in := make(map[*entry]bool, len(batch))
		for _, b := range batch {
			in[b.e] = true
		}
		for e := range d.uncataloged[key] {
			if !in[e] && !e.ending { // ending: in a batch of its own (Resume)
				batch = append(batch, endedRun{e, e.recorded})
			}
		}
	}
	d.mu.Unlock()
	type outcome struct {
		st  transfer.State
		err error
	}
	out := make([]outcome, len(batch))
	var names []string
	for i, b := range batch {
		res := b.e.task.Result()
		if err := onDisk(res); err != nil {
			out[i] = outcome{transfer.StateFailed, err}
			continue
		}
		out[i] = outcome{st: transfer.StateCompleted}
		item := transfer.ItemFolder(b.e.ref.Item)
		names = append(names, res.Name, item+"/"+item+".json")
	}
	var catalogErr error
	if len(names) > 0 {
		if err := d.writeCatalogNow(ctx, jobID, dest); err != nil {
			d.log.Warn("results: local catalog", "dest", dest, "err", err)
			catalogErr = driver.Wrap(transfer.Code(err), err, "downloaded, but the local catalog ("+transfer.CatalogName+") was not written")
			for i := range out {
				if out[i].st == transfer.StateCompleted {
					out[i] = outcome{transfer.StateFailed, catalogErr}
				}
			}
		}
		if err := transfer.SyncFiles(dest, names); err != nil {
			for i := range out {
				if out[i].st == transfer.StateCompleted {
					out[i] = outcome{transfer.StateFailed, err}
				}
			}
		}
	}
	for i, b := range batch {
		if out[i].st == transfer.StateCompleted {
			_ = d.o.Store.SetDownloadState(ctx, b.e.id, store.DownloadCompleted, "", now)
		} else {
			_ = d.o.Store.SetDownloadState(ctx, b.e.id, store.DownloadFailed, reason(out[i].err), now)
		}
	}
	d.mu.Lock()
	for i, b := range batch {
		d.setLocked(b.e, func() {
			b.e.ending = false
			if r, _, _ := b.e.task.Run(); r == b.run {
				b.e.state, b.e.err, b.e.recorded = out[i].st, out[i].err, b.run
			}
		})
		d.setUncatalogedLocked(key, b.e, catalogErr != nil && out[i].err == catalogErr)
	}
	d.notifyLocked()
	d.mu.Unlock()
	d.emit(jobID)
}

// setUncatalogedLocked records whether e waits for a catalog write of its folder
// key. d.mu held.
func (d *Downloads) setUncatalogedLocked(key [2]string, e *entry, uncataloged bool) {
	e.uncataloged = uncataloged
	switch {
	case uncataloged:
		if d.uncataloged[key] == nil {
			d.uncataloged[key] = map[*entry]struct{}{}
		}
		d.uncataloged[key][e] = struct{}{}
	case d.uncataloged[key] != nil:
		delete(d.uncataloged[key], e)
		if len(d.uncataloged[key]) == 0 {
			delete(d.uncataloged, key)
		}
	}
}

// onDisk checks that a completed download's file is where it is said to be, with its size.
func onDisk(res transfer.Result) error {
	fi, err := os.Stat(res.Path)
	switch {
	case err != nil:
		return driver.Wrap(transfer.DataLoss, err, "the downloaded file is not on disk")
	case !fi.Mode().IsRegular():
		return driver.Errorf(transfer.DataLoss, "%s is not a regular file", res.Path)
	case res.Size >= 0 && fi.Size() != res.Size:
		return driver.Errorf(transfer.DataLoss, "%s has %d bytes on disk, %d were downloaded", res.Path, fi.Size(), res.Size)
	}
	return nil
}

// notifyLocked wakes Wait; d.mu must be held.
func (d *Downloads) notifyLocked() {
	close(d.changed)
	d.changed = make(chan struct{})
}

// catalogPace and catalogGap space the writes of a folder's local catalog (the Pace and
// Gap of Downloads.commits): each write encodes and checks the items of every file so far, so
// while files keep completing it is written at most once a second and takes at most a
// ninth of the time; a file waits for the catalog that lists it for about a second or
// ten writes' time, and the last file of a burst has it written at once.
const (
	catalogPace = 8
	catalogGap  = time.Second
)

// lastOfFolderLocked reports whether no other file of e's job is on its way into e's
// folder: every other one is settled, paused or being recorded. Only the open entries
// are looked at, and the first one not paused answers: not O(files) per file.
func (d *Downloads) lastOfFolderLocked(e *entry) bool {
	for o := range d.opened[[2]string{e.job, e.dest}] {
		if o == e {
			continue
		}
		if st, _ := o.task.State(); st != transfer.StatePaused {
			return false
		}
	}
	return true
}

func (d *Downloads) writeCatalogNow(ctx context.Context, jobID, dest string) error {
	man, err := transfer.ReadManifest(dest)
	if err != nil {
		return err
	}
	ic, err := d.o.Items(ctx, jobID)
	if err != nil {
		return err
	}
	info := transfer.CatalogInfo{}
	if jobID != "" {
		info = transfer.CatalogInfo{ID: jobID, Title: "geojobs job " + jobID}
	}
	return transfer.WriteLocalCatalog(dest, man, ic, info)
}

// reason describes a download failure for people (transfer.Reason).
func reason(err error) string { return transfer.Reason(err, "download") }

func (d *Downloads) find(jobID, taskID string) []*entry {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*entry
	for _, e := range d.order {
		if e.job == jobID && (taskID == "" || e.task.ID() == taskID) {
			out = append(out, e)
		}
	}
	return out
}

// Pause pauses a job's download task (all of the job's when taskID is ""), keeping its data.
func (d *Downloads) Pause(jobID, taskID string) int {
	es := d.find(jobID, taskID)
	for _, e := range es {
		e.task.Pause()
		if st, _ := e.task.State(); st == transfer.StatePaused {
			_ = d.o.Store.SetDownloadState(context.Background(), e.id, store.DownloadPaused, "", time.Now())
		}
	}
	d.emit(jobID)
	return len(es)
}

// Resume resumes paused or failed tasks of a job (all when taskID is ""). A file
// whose local catalog was not written has the catalog written again.
func (d *Downloads) Resume(jobID, taskID string) int {
	es := d.find(jobID, taskID)
	for _, e := range es {
		d.mu.Lock()
		if e.uncataloged && !e.ending {
			// Unsettled until the commit: Wait waits for it, View shows it verifying.
			run, _, _ := e.task.Run()
			d.setLocked(e, func() { e.ending, e.recorded = true, -1 })
			d.mu.Unlock()
			d.commits.Add([2]string{e.job, e.dest}, endedRun{e, run}, true)
			continue
		}
		d.mu.Unlock()
		st, _ := e.task.State()
		if st == transfer.StatePaused || st == transfer.StateFailed {
			_ = d.o.Store.SetDownloadState(context.Background(), e.id, store.DownloadActive, "", time.Now())
			// A new run, unsettled from here: a Wait right after Resume waits for
			// its end, not the old one's (settledLocked).
			d.mu.Lock()
			d.setLocked(e, func() {
				e.signIn = ""
				e.task.Resume()
			})
			d.mu.Unlock()
		}
	}
	d.emit(jobID)
	return len(es)
}

// Cancel cancels tasks of a job (all when taskID is ""), removing their partial data.
func (d *Downloads) Cancel(jobID, taskID string) int {
	es := d.find(jobID, taskID)
	for _, e := range es {
		e.task.Cancel()
	}
	d.emit(jobID)
	return len(es)
}

// Wait blocks until every task of the job is settled (completed and checked on disk,
// failed, canceled or paused) or ctx ends, and returns the job's progress then.
func (d *Downloads) Wait(ctx context.Context, jobID string) (JobProgress, error) {
	for {
		d.mu.Lock()
		ch, mch := d.changed, d.m.Changed()
		settled := d.settledLocked(jobID)
		// The view (every file) is built once, at the end: not at each of the
		// thousands of changes of a job with many files.
		if settled {
			p := d.viewLocked(jobID)
			d.mu.Unlock()
			return p, nil
		}
		d.mu.Unlock()
		select {
		case <-ctx.Done():
			return d.View(jobID), ctx.Err()
		case <-ch:
		case <-mch:
		}
	}
}

// settledLocked reports whether every entry of the job is settled or paused. It looks
// only at the open entries, and stops at the first not paused: a wake-up of Wait costs
// little however many files the job has.
func (d *Downloads) settledLocked(jobID string) bool {
	unsettled := d.unsettled[jobID]
	if unsettled == 0 {
		return true
	}
	paused := 0
	for key, set := range d.opened {
		if key[0] != jobID {
			continue
		}
		for o := range set {
			if st, _ := o.task.State(); st != transfer.StatePaused {
				return false
			}
			paused++
		}
	}
	return paused == unsettled // else some are being recorded (ending)
}

// View returns the state of a job's downloads. A job with none in this run shows the
// files an earlier run downloaded and verified that are still in their folder (F-06:
// after a restart the panel said "Nothing downloaded yet" beside the files).
func (d *Downloads) View(jobID string) JobProgress {
	d.mu.Lock()
	jp := d.viewLocked(jobID)
	d.mu.Unlock()
	if len(jp.Files) == 0 {
		jp = d.earlier(jobID)
	}
	return jp
}

// earlierTimeout bounds reading a job's recorded downloads for View.
const earlierTimeout = 5 * time.Second

// earlier is the progress of a job's downloads completed in earlier runs whose files
// are still in their folder with their size: done, with nothing to pause or cancel.
func (d *Downloads) earlier(jobID string) JobProgress {
	jp := JobProgress{JobID: jobID, ETA: -1}
	ctx, cancel := context.WithTimeout(context.Background(), earlierTimeout)
	defer cancel()
	recs, err := d.o.Store.Downloads(ctx, jobID)
	if err != nil {
		d.log.Warn("downloads: reading earlier downloads", "job", jobID, "err", err)
		return jp
	}
	seen := map[string]int{} // a file downloaded again: its latest record
	for _, r := range recs {
		if r.State != store.DownloadCompleted {
			continue
		}
		fi, err := os.Stat(filepath.Join(r.Dest, filepath.FromSlash(r.Name)))
		if err != nil || !fi.Mode().IsRegular() || (r.Size >= 0 && fi.Size() != r.Size) {
			continue
		}
		fv := FileView{Item: r.ItemID, Asset: r.AssetKey, Name: r.Name, Dest: r.Dest, State: transfer.StateCompleted,
			Done: fi.Size(), Size: fi.Size(), ETA: -1}
		key := filepath.Join(r.Dest, r.Name)
		if i, ok := seen[key]; ok {
			jp.Files[i] = fv
			continue
		}
		seen[key] = len(jp.Files)
		jp.Files = append(jp.Files, fv)
	}
	for _, f := range jp.Files {
		jp.Completed++
		jp.Done += f.Done
		jp.Size += f.Size
	}
	return jp
}

func (d *Downloads) viewLocked(jobID string) JobProgress {
	jp := JobProgress{JobID: jobID}
	var size transfer.SizeTotal
	for _, e := range d.order {
		if e.job != jobID {
			continue
		}
		st, err := e.task.State()
		if st == transfer.StateCompleted {
			if e.settledLocked() {
				st, err = e.state, e.err // failed when the file is not on disk
			} else {
				st = transfer.StateVerifying // done once checked on disk
			}
		}
		fv := FileView{Task: e.task.ID(), Item: e.ref.Item, Asset: e.ref.Asset, Name: e.task.Name(), Dest: e.dest, State: st,
			Done: e.p.Done, Size: e.p.Size, Speed: e.p.Speed, ETA: e.p.ETA}
		if st == transfer.StateCompleted && fv.Size >= 0 {
			fv.Done = fv.Size
		}
		if e.signIn != "" && (st == transfer.StateFailed || st == transfer.StatePaused) {
			// Paused until its key is signed in again, not failed.
			st, err = transfer.StatePaused, nil
			fv.State, fv.SignIn = st, e.signIn
		}
		if err != nil && st == transfer.StateFailed {
			fv.Error, fv.Code = reason(err), transfer.Code(err)
		}
		if r := e.p.Retrying; r != nil && st == transfer.StateRunning {
			fv.Retrying = fmt.Sprintf("Retrying (attempt %d of %d): %s", r.Attempt, r.Of, reason(r.Err))
		}
		switch st {
		case transfer.StateQueued, transfer.StateRunning, transfer.StateVerifying:
			jp.Active++
			jp.Speed += fv.Speed
		case transfer.StateCompleted:
			jp.Completed++
		case transfer.StateFailed:
			jp.Failed++
		}
		if st != transfer.StateCanceled {
			jp.Done += fv.Done
			size.Add(fv.Size)
		}
		jp.Files = append(jp.Files, fv)
	}
	jp.Size = size.Size()
	jp.ETA = -1
	if jp.Size >= 0 && jp.Speed > 0 {
		jp.ETA = time.Duration(float64(jp.Size-jp.Done) / jp.Speed * float64(time.Second)).Round(time.Second)
	}
	return jp
}

// Jobs lists the jobs with downloads, in the order they were first added.
func (d *Downloads) Jobs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, e := range d.order {
		if !slices.Contains(out, e.job) {
			out = append(out, e.job)
		}
	}
	return out
}

// progress receives the manager's updates (one goroutine) and reports per job.
func (d *Downloads) progress(u transfer.Update) {
	jobs := map[string]bool{}
	d.mu.Lock()
	for _, f := range u.Files {
		if e, ok := d.entries[f.ID]; ok {
			e.p = f
			jobs[e.job] = true
		}
	}
	d.mu.Unlock()
	for j := range jobs {
		d.emit(j)
	}
}

// emit marks a job's progress to be reported; it never blocks.
func (d *Downloads) emit(jobID string) {
	if d.o.OnProgress == nil {
		return
	}
	d.pendMu.Lock()
	d.pending[jobID] = true
	d.pendMu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// emitLoop calls OnProgress for the marked jobs, from this goroutine only.
func (d *Downloads) emitLoop() {
	defer close(d.emitted)
	flush := func() {
		d.pendMu.Lock()
		jobs := d.pending
		d.pending = map[string]bool{}
		d.pendMu.Unlock()
		for j := range jobs {
			d.o.OnProgress(d.View(j))
		}
	}
	for {
		select {
		case <-d.wake:
		case <-d.quit:
			flush()
			return
		}
		flush()
		// A view lists every file of a job: with thousands of small files completing,
		// building one for each completion cost more than the downloads. Changes in
		// the next moment are shown together.
		select {
		case <-time.After(progressGap):
		case <-d.quit:
			flush()
			return
		}
	}
}

// progressGap is the least time between two progress reports of Downloads.
const progressGap = 100 * time.Millisecond

// Close stops every download, keeping partial data and the store's records, so the
// next Restore resumes them.
func (d *Downloads) Close() error {
	d.mu.Lock()
	d.closing = true
	close(d.closed)
	d.mu.Unlock()
	err := d.m.Close()
	d.commits.Flush()
	close(d.quit)
	<-d.emitted
	return err
}

func expandHome(p string) string {
	if p == "~" || len(p) > 1 && p[0] == '~' && (p[1] == '/' || p[1] == filepath.Separator) {
		if home, err := osUserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// memoryStore is the DownloadStore of Downloads without a database.
type memoryStore struct {
	mu sync.Mutex
	n  int64
}

func (m *memoryStore) PutDownload(context.Context, store.Download, time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	return m.n, nil
}

func (m *memoryStore) SetDownloadState(context.Context, int64, string, string, time.Time) error {
	return nil
}

func (m *memoryStore) UnfinishedDownloads(context.Context) ([]store.Download, error) { return nil, nil }

func (m *memoryStore) Downloads(context.Context, string) ([]store.Download, error) { return nil, nil }
