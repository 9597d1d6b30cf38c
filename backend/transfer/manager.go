package transfer

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/geojobs/geojobs/backend/groupcommit"
	"github.com/geojobs/geojobs/backend/transfer/driver"
)

// State is where a task is in its life.
type State int32

// Task states. Completed, failed and canceled are final (a failed task may be resumed).
const (
	StateQueued State = iota
	StateRunning
	StateVerifying
	StatePaused
	StateCompleted
	StateFailed
	StateCanceled
)

var stateNames = [...]string{"queued", "running", "verifying", "paused", "completed", "failed", "canceled"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// settled reports whether the task is waiting for nobody: finished, failed or paused.
func (s State) settled() bool {
	return s == StateCompleted || s == StateFailed || s == StateCanceled || s == StatePaused
}

// Manager downloads many files: at most Options.MaxFiles at once, with bounded
// connections per file, per host and in total. Its methods are safe for concurrent use.
type Manager struct {
	opts      Options
	conns     *connLimiter
	bufs      *bufPool
	smallBufs *bufPool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	tasks   []*Task
	targets map[string]*Task
	queue   []*Task
	running int
	// onWay counts by folder the tasks on their way into it: queued, or running and not
	// yet waiting for the manifest (Task.onWay).
	onWay   map[string]int
	closed  bool
	changed chan struct{} // closed and replaced on every state change

	// recorder writes a folder's manifest for the files completed meanwhile, one write
	// at a time per folder, and then ends their tasks.
	recorder groupcommit.Batchers[string, recorded]
	reporter *reporter
	folders  folders
}

// NewManager returns a Manager; Close releases it.
func NewManager(opts Options) *Manager {
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		opts:      opts,
		conns:     newConnLimiter(opts.MaxConnections, opts.StartPerHost, opts.MaxPerHost),
		bufs:      newBufPool(opts.BufferSize),
		smallBufs: newBufPool(min(opts.BufferSize, wholeBufferSize)),
		ctx:       ctx,
		cancel:    cancel,
		targets:   map[string]*Task{},
		onWay:     map[string]int{},
		changed:   make(chan struct{}),
	}
	m.recorder.Pace, m.recorder.Gap, m.recorder.Write = writePace, writeGap, m.record
	if opts.OnProgress != nil {
		m.reporter = newReporter(m, opts.ProgressInterval, opts.OnProgress)
	}
	return m
}

// Task is one file of a Manager.
type Task struct {
	m   *Manager
	id  string
	job *job

	// guarded by m.mu
	state  State
	err    error
	res    Result
	cancel context.CancelCauseFunc
	want   State // StatePaused or StateCanceled when a stop was asked for while running
	// recording is true while the completed file waits for the manifest write.
	recording bool
	// run counts the times Resume queued the task again (Run).
	run int
}

// onWay reports whether the task is still to end or to be recorded: queued, or running
// and not yet waiting for the manifest write. m.mu must be held.
func (t *Task) onWay() bool {
	return !t.recording && (t.state == StateQueued || t.state == StateRunning)
}

// setLocked applies change to t (its state, recording) and keeps m.onWay in step.
func (m *Manager) setLocked(t *Task, change func()) {
	was := t.onWay()
	change()
	switch now := t.onWay(); {
	case now && !was:
		m.onWay[t.job.req.Dest]++
	case was && !now:
		if m.onWay[t.job.req.Dest]--; m.onWay[t.job.req.Dest] == 0 {
			delete(m.onWay, t.job.req.Dest)
		}
	}
}

// ID identifies the task within its Manager.
func (t *Task) ID() string { return t.id }

// Name is the sanitised relative path of the file.
func (t *Task) Name() string { return t.job.rel }

// State returns the current state and, for StateFailed, the error.
func (t *Task) State() (State, error) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.state, t.err
}

// Run returns which run of the task it is, its state and its error (for StateFailed):
// run 0 is the first, one more each time Resume queues the task again. A caller that
// records the end of a run (a store, a catalog) keeps the run number with it: once the
// task's run differs, that record is no longer the task's end, whoever was told first.
func (t *Task) Run() (run int, st State, err error) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.run, t.state, t.err
}

// Add validates req and queues it. The error has Code InvalidArgument for a bad name,
// URL or checksum, and AlreadyExists when another task of this Manager writes the
// same file.
func (m *Manager) Add(req Request) (*Task, error) {
	rel, err := SanitizeName(req.Name)
	if err != nil {
		return nil, err
	}
	if req.Dest == "" {
		return nil, driver.Errorf(InvalidArgument, "transfer: no destination folder")
	}
	u, err := url.Parse(req.URL)
	if err != nil || u.Scheme == "" {
		return nil, driver.Errorf(InvalidArgument, "transfer: %s: bad URL", rel)
	}
	src, err := m.opts.Sources.Source(u)
	if err != nil {
		return nil, err
	}
	if req.Size == 0 {
		req.Size = -1
	}
	dest, err := filepath.Abs(req.Dest)
	if err != nil {
		return nil, driver.Wrap(InvalidArgument, err, "transfer: destination folder")
	}
	req.Dest = dest
	j := &job{opts: &m.opts, req: req, rel: rel, u: u, src: src, conns: m.conns, bufs: m.bufs, smallBufs: m.smallBufs, folders: &m.folders}
	j.size.Store(req.Size)
	// Keys for the final and the partial file, folded for case-insensitive file
	// systems: "x" and "x.part" must not be downloaded side by side.
	key := strings.ToLower(filepath.Join(dest, filepath.FromSlash(rel)))
	keys := []string{key, key + ".part"}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, driver.Errorf(Canceled, "transfer: manager closed")
	}
	for _, k := range keys {
		if other, ok := m.targets[k]; ok && other.state != StateCanceled {
			return nil, driver.Errorf(AlreadyExists, "transfer: %s is already being downloaded (as %s)", rel, other.job.rel)
		}
	}
	t := &Task{m: m, id: strconv.Itoa(len(m.tasks) + 1), job: j, state: StateQueued}
	m.tasks = append(m.tasks, t)
	m.targets[key] = t
	m.targets[key+".part"] = t
	if req.Paused {
		t.state = StatePaused
	} else {
		m.onWay[dest]++
		m.queue = append(m.queue, t)
	}
	m.kickLocked()
	m.changedLocked()
	return t, nil
}

// Tasks returns the tasks in the order they were added.
func (m *Manager) Tasks() []*Task {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Task(nil), m.tasks...)
}

// Task returns the task with the given ID, or nil.
func (m *Manager) Task(id string) *Task {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		if t.id == id {
			return t
		}
	}
	return nil
}

// Changed returns a channel that is closed at the next change of any task's state:
// wait on it, then look at the states again.
func (m *Manager) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}

func (m *Manager) changedLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
	if m.reporter != nil {
		m.reporter.wake()
	}
}

// kickLocked starts queued tasks while there is room: MaxFiles files at once, and
// beyond that files known to be small (under MinSplitSize: one connection each) up to
// MaxConnections, because many small assets (tiles, bands, masks) are bound by round
// trips, not bandwidth; the connection limiter still bounds what each host gets.
func (m *Manager) kickLocked() {
	for !m.closed && len(m.queue) > 0 && m.roomLocked(m.queue[0]) {
		t := m.queue[0]
		m.queue = m.queue[1:]
		ctx, cancel := context.WithCancelCause(m.ctx)
		t.state, t.err, t.cancel, t.want = StateRunning, nil, cancel, StateRunning
		t.job.phase.Store(int32(StateRunning))
		m.running++
		m.wg.Go(func() { m.runTask(ctx, t) })
	}
}

func (m *Manager) roomLocked(t *Task) bool {
	if m.running < m.opts.MaxFiles {
		return true
	}
	size := t.job.req.Size
	return size > 0 && size < m.opts.MinSplitSize && m.running < m.opts.MaxConnections
}

func (m *Manager) runTask(ctx context.Context, t *Task) {
	res, err := t.job.run(ctx)
	t.cancel(nil)
	res.ID = t.id
	if err == nil && m.opts.Manifest {
		// The file is in place: the next file starts while this one waits for the
		// manifest write that lists it, which this goroutine does not wait for.
		m.mu.Lock()
		m.running--
		m.kickLocked()
		m.setLocked(t, func() { t.recording = true })
		last := m.lastOfFolderLocked(t)
		m.mu.Unlock()
		m.recorder.Add(t.job.req.Dest, recorded{t, res}, last)
		return
	}
	m.finish([]recorded{{t, res}}, err, true)
}

// recorded is a completed task waiting for the manifest write that lists it.
type recorded struct {
	t   *Task
	res Result
}

// finish ends the tasks with err, the outcome of their download (and manifest write):
// completed, failed, or paused or canceled as asked. running says they still hold
// their place among the running tasks.
func (m *Manager) finish(tasks []recorded, err error, running bool) {
	for _, r := range tasks {
		m.mu.Lock()
		want := r.t.want
		m.mu.Unlock()
		if want == StateCanceled {
			if derr := r.t.job.discard(); derr != nil && err == nil {
				err = derr
			}
		}
	}
	m.mu.Lock()
	var ended []*Task
	for _, r := range tasks {
		t, res := r.t, r.res
		if running {
			m.running--
		}
		want := t.want
		m.setLocked(t, func() {
			t.recording = false
			switch {
			case err == nil:
				t.state, t.err = StateCompleted, nil
			case want == StateCanceled:
				t.state, t.err = StateCanceled, errCanceled
			case want == StatePaused || m.closed:
				t.state, t.err = StatePaused, nil
			default:
				t.state, t.err = StateFailed, err
			}
		})
		res.Err = t.err
		t.res = res
		if t.state != StatePaused {
			ended = append(ended, t)
		}
	}
	m.kickLocked()
	m.changedLocked()
	m.mu.Unlock()
	if m.opts.OnEnd != nil {
		for _, t := range ended {
			m.opts.OnEnd(t)
		}
	}
}

// lastOfFolderLocked reports whether no task but t is still on its way into t's
// folder (queued, or running and not yet waiting for the manifest).
func (m *Manager) lastOfFolderLocked(t *Task) bool {
	n := m.onWay[t.job.req.Dest]
	if t.onWay() {
		n--
	}
	return n == 0
}

// Pause stops the task keeping its partial data; Resume continues it.
func (t *Task) Pause() {
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	switch t.state {
	case StateQueued:
		m.dequeueLocked(t)
		m.setLocked(t, func() { t.state = StatePaused })
		m.changedLocked()
	case StateRunning, StateVerifying:
		t.want = StatePaused
		t.cancel(errPaused)
	}
}

// Resume queues a paused or failed task again; it continues from its partial data.
func (t *Task) Resume() {
	m := t.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || (t.state != StatePaused && t.state != StateFailed) {
		return
	}
	m.setLocked(t, func() { t.state, t.err = StateQueued, nil })
	t.run++
	m.queue = append(m.queue, t)
	m.kickLocked()
	m.changedLocked()
}

// Cancel stops the task and removes its partial data. A completed file is kept.
func (t *Task) Cancel() {
	m := t.m
	m.mu.Lock()
	switch t.state {
	case StateRunning, StateVerifying:
		t.want = StateCanceled
		t.cancel(errCanceled)
		m.mu.Unlock()
		return
	case StateQueued, StatePaused, StateFailed:
		m.dequeueLocked(t)
		m.setLocked(t, func() { t.state, t.err = StateCanceled, errCanceled })
		t.res = t.job.result()
		t.res.ID, t.res.Err = t.id, errCanceled
		m.changedLocked()
		m.mu.Unlock()
		t.job.discard()
		if m.opts.OnEnd != nil {
			m.opts.OnEnd(t)
		}
		return
	}
	m.mu.Unlock()
	t.job.discard()
}

func (m *Manager) dequeueLocked(t *Task) {
	for i, q := range m.queue {
		if q == t {
			m.queue = append(m.queue[:i], m.queue[i+1:]...)
			return
		}
	}
}

// PauseAll pauses every queued or running task.
func (m *Manager) PauseAll() {
	for _, t := range m.Tasks() {
		t.Pause()
	}
}

// ResumeAll resumes every paused or failed task.
func (m *Manager) ResumeAll() {
	for _, t := range m.Tasks() {
		t.Resume()
	}
}

// CancelAll cancels every task not completed.
func (m *Manager) CancelAll() {
	for _, t := range m.Tasks() {
		t.Cancel()
	}
}

// Result is the outcome of the task's last run (zero until it ends).
func (t *Task) Result() Result {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.res
}

// Wait blocks until the task is StateCompleted, StateFailed or Canceled (a paused task is
// waited for until it is resumed and ends) or ctx is done.
func (t *Task) Wait(ctx context.Context) (Result, error) {
	m := t.m
	for {
		m.mu.Lock()
		st, res, ch := t.state, t.res, m.changed
		closedPaused := m.closed && st == StatePaused
		m.mu.Unlock()
		if st == StateCompleted || st == StateFailed || st == StateCanceled || closedPaused {
			if closedPaused {
				res.Err = driver.Errorf(Canceled, "transfer: manager closed")
			}
			return res, res.Err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return res, context.Cause(ctx)
		}
	}
}

// Wait blocks until every task is completed, failed, canceled or paused, and returns
// the results of the settled tasks in the order they were added, with the errors of
// the failed ones joined.
func (m *Manager) Wait(ctx context.Context) ([]Result, error) {
	for {
		m.mu.Lock()
		ch := m.changed
		settled := true
		for _, t := range m.tasks {
			if !t.state.settled() {
				settled = false
				break
			}
		}
		if settled {
			var res []Result
			var errs []error
			for _, t := range m.tasks {
				if t.state != StatePaused {
					res = append(res, t.res)
				}
				if t.state == StateFailed {
					errs = append(errs, t.err)
				}
			}
			m.mu.Unlock()
			return res, errors.Join(errs...)
		}
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// Close stops all tasks, keeping their partial data for a later resume, waits for
// them, and delivers a last progress update.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	for _, t := range m.queue {
		m.setLocked(t, func() { t.state = StatePaused })
	}
	m.queue = nil
	m.changedLocked()
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	m.recorder.Flush()
	if m.reporter != nil {
		m.reporter.stop()
	}
	return nil
}

// Download fetches one file with a Manager of its own. Cancelling ctx stops it and
// keeps the partial data, so calling Download again resumes.
func Download(ctx context.Context, req Request, opts Options) (Result, error) {
	m := NewManager(opts)
	defer m.Close()
	t, err := m.Add(req)
	if err != nil {
		return Result{}, err
	}
	res, err := t.Wait(ctx)
	if err != nil && res.Err == nil {
		res.Err = fmt.Errorf("transfer: %s: %w", t.Name(), err)
	}
	return res, res.Err
}
