package transfer

import (
	"math"
	"time"
)

// FileProgress is the progress of one task.
type FileProgress struct {
	ID    string
	Name  string
	State State
	Err   error
	Done  int64 // bytes complete on disk
	Size  int64 // -1 when unknown
	// Speed is bytes per second, smoothed over a few seconds.
	Speed float64
	// ETA is the expected time to completion, -1 when unknown.
	ETA time.Duration
	// Retrying is set while the task waits to try again after a transient error.
	Retrying *Retrying
}

// TotalProgress sums the tasks of a Manager.
type TotalProgress struct {
	Files, Completed, Failed int
	Done                     int64
	Size                     int64 // -1 when a size is unknown
	Speed                    float64
	ETA                      time.Duration
}

// Update is delivered to Options.OnProgress: the tasks that changed since the last
// update, and the totals. Updates come from a single goroutine, in order; the callback
// may be slow — updates coalesce meanwhile — but it must not call back into the
// Manager's Wait. Transfers never wait for it.
type Update struct {
	Files []FileProgress
	Total TotalProgress
}

// smoothing time constant for Speed.
const speedTau = 3 * time.Second

type taskSample struct {
	done  int64
	state State
	speed float64
	sent  bool
	retry *Retrying
}

// reporter owns the progress callback: it samples counters on a ticker or when woken
// by a state change, and calls back outside every lock.
type reporter struct {
	m        *Manager
	interval time.Duration
	fn       func(Update)
	wakeCh   chan struct{}
	quit     chan struct{}
	exited   chan struct{}
	last     map[*Task]*taskSample
	lastAt   time.Time
}

func newReporter(m *Manager, interval time.Duration, fn func(Update)) *reporter {
	r := &reporter{m: m, interval: interval, fn: fn, wakeCh: make(chan struct{}, 1),
		quit: make(chan struct{}), exited: make(chan struct{}), last: map[*Task]*taskSample{}, lastAt: time.Now()}
	go r.loop()
	return r
}

func (r *reporter) wake() {
	select {
	case r.wakeCh <- struct{}{}:
	default:
	}
}

func (r *reporter) stop() {
	close(r.quit)
	<-r.exited
}

func (r *reporter) loop() {
	defer close(r.exited)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-r.wakeCh:
		case <-r.quit:
			r.emit()
			return
		}
		r.emit()
		// An update looks at every task: when thousands of small files end one after
		// the other, the state changes of the next moment go into one update.
		select {
		case <-time.After(min(r.interval, burstGap)):
		case <-r.quit:
			r.emit()
			return
		}
	}
}

// burstGap is the least time between two updates.
const burstGap = 50 * time.Millisecond

func (r *reporter) emit() {
	now := time.Now()
	dt := now.Sub(r.lastAt)
	r.lastAt = now
	alpha := 1 - math.Exp(-dt.Seconds()/speedTau.Seconds())

	var u Update
	u.Total.ETA = -1
	var total SizeTotal
	r.m.mu.Lock()
	tasks := append([]*Task(nil), r.m.tasks...)
	states := make([]State, len(tasks))
	errs := make([]error, len(tasks))
	for i, t := range tasks {
		states[i], errs[i] = t.state, t.err
		if t.state == StateRunning && t.job.phase.Load() == int32(StateVerifying) {
			states[i] = StateVerifying
		}
	}
	r.m.mu.Unlock()

	for i, t := range tasks {
		done, size := t.job.written.Load(), t.job.size.Load()
		s := r.last[t]
		if s == nil {
			s = &taskSample{done: done}
			r.last[t] = s
		}
		if dt > 0 {
			inst := float64(done-s.done) / dt.Seconds()
			if inst < 0 || states[i] != StateRunning {
				s.speed = 0 // started over, or not moving
			} else {
				s.speed += alpha * (inst - s.speed)
			}
		}
		retrying := t.job.retrying.Load()
		changed := !s.sent || done != s.done || states[i] != s.state || retrying != s.retry
		s.done, s.state, s.sent, s.retry = done, states[i], true, retrying
		fp := FileProgress{ID: t.id, Name: t.job.rel, State: states[i], Err: errs[i], Done: done, Size: size,
			Speed: s.speed, ETA: eta(size-done, s.speed), Retrying: retrying}
		if states[i] == StateCompleted {
			fp.ETA = 0
		}
		if changed {
			u.Files = append(u.Files, fp)
		}
		u.Total.Files++
		switch states[i] {
		case StateCompleted:
			u.Total.Completed++
		case StateFailed:
			u.Total.Failed++
		}
		if states[i] == StateCanceled {
			continue
		}
		u.Total.Done += done
		u.Total.Speed += s.speed
		total.Add(size)
	}
	if u.Total.Size = total.Size(); u.Total.Size >= 0 {
		u.Total.ETA = eta(u.Total.Size-u.Total.Done, u.Total.Speed)
	}
	if len(u.Files) == 0 && u.Total.Speed == 0 {
		return // nothing new
	}
	r.fn(u)
}

func eta(left int64, speed float64) time.Duration {
	if left < 0 || speed < 1 {
		if left == 0 {
			return 0
		}
		return -1
	}
	return time.Duration(float64(left) / speed * float64(time.Second))
}
