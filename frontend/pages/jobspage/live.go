package jobspage

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/jobs"
	"github.com/geojobs/geojobs/backend/ogcapi"
	"github.com/geojobs/geojobs/backend/store"
)

// Topics of the live connection (backend/hub).
const (
	// TopicJobs carries a row per changed job, for the job list.
	TopicJobs = "jobs"
	// TopicRunning carries the "n running" indicator of the page header.
	TopicRunning = "running"
	// TopicNotify carries a notice per job that ended, for browser notifications.
	TopicNotify = "notify"
	// sincePrefix names a snapshot-only topic: the rows of the jobs changed since a
	// time (Unix ms), which a list page asks for to resynchronise after a reconnection.
	sincePrefix = "jobs-since:"
	jobPrefix   = "job:"
)

// JobTopic is the topic of one job's page.
func JobTopic(id string) string { return jobPrefix + id }

func sinceTopic(t time.Time) string { return sincePrefix + strconv.FormatInt(t.UnixMilli(), 10) }

// Publisher is what Live needs of the hub (*hub.Hub).
type Publisher interface {
	PublishBytes(topic, key string, data []byte)
}

// LiveStore is what Live reads.
type LiveStore interface {
	Job(ctx context.Context, id string) (store.Job, error)
	Events(ctx context.Context, id string) ([]store.Event, error)
	ListJobs(ctx context.Context, f store.Filter) (store.Page, error)
	Endpoints(ctx context.Context) ([]store.Endpoint, error)
	Setting(ctx context.Context, key string) (string, bool, error)
}

// maxSince bounds the rows a resynchronising list receives.
const maxSince = 500

// Live turns the monitor's changes into rendered fragments for the hub: a row for the
// job lists, the status and timeline for the job's page, the running indicator, and
// (Notify) a notice when a job ends. OnChange only marks the job as changed; one
// goroutine reads and renders, so a burst of changes costs one render per job and
// never holds up the monitor. Pages are never polled: the hub pushes.
type Live struct {
	st  LiveStore
	pub Publisher
	log *slog.Logger

	mu    sync.Mutex
	dirty map[string]jobs.Change
	wake  chan struct{}
	// runningShown is the last indicator published.
	runningShown string
}

// NewLive returns a Live publishing to pub.
func NewLive(st LiveStore, pub Publisher, log *slog.Logger) *Live {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Live{st: st, pub: pub, log: log, dirty: map[string]jobs.Change{}, wake: make(chan struct{}, 1)}
}

// OnChange marks a job as changed (from the monitor's jobs.Change events); it never
// blocks: Run renders and publishes.
func (l *Live) OnChange(c jobs.Change) {
	l.mu.Lock()
	l.dirty[c.JobID] = c
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run renders changes until ctx is done.
func (l *Live) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.wake:
		}
		l.mu.Lock()
		batch := l.dirty
		l.dirty = map[string]jobs.Change{}
		l.mu.Unlock()
		for id := range batch {
			l.publishJob(ctx, id)
		}
		l.publishRunning(ctx, false)
	}
}

func (l *Live) publishJob(ctx context.Context, id string) {
	j, err := l.st.Job(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err != nil {
		l.log.Warn("live: read job", "job", id, "err", err)
		return
	}
	now := time.Now()
	if b, err := renderBytes(ctx, RowUpdate(j, l.rowInfo(ctx, now))); err == nil {
		l.pub.PublishBytes(TopicJobs, j.ID, b)
	}
	if b, err := l.jobFragments(ctx, j, now); err == nil {
		l.pub.PublishBytes(JobTopic(j.ID), "job", b)
	} else {
		l.log.Warn("live: render job", "job", id, "err", err)
	}
}

// jobFragments renders the parts of a job's page that change.
func (l *Live) jobFragments(ctx context.Context, j store.Job, now time.Time) ([]byte, error) {
	events, err := l.st.Events(ctx, j.ID)
	if err != nil {
		return nil, err
	}
	return renderBytes(ctx, JobUpdate(JobModel{Job: j, Events: events, Now: now}))
}

// Notify pushes the notice of a job that ended (application.Endings), which app.js
// shows as a browser notification.
func (l *Live) Notify(ctx context.Context, n application.Notification) {
	if b, err := renderBytes(ctx, NotifyFragment(n)); err == nil {
		l.pub.PublishBytes(TopicNotify, n.JobID, b)
	}
}

// running counts the jobs not yet ended; at most maxSince (shown as "500+").
func (l *Live) running(ctx context.Context) (Active, error) {
	p, err := l.st.ListJobs(ctx, store.Filter{Status: []string{store.StatusSubmitting, ogcapi.StatusAccepted,
		ogcapi.StatusRunning, ogcapi.StatusPaused, ogcapi.StatusCreated}, Limit: maxSince, WithHidden: true})
	if err != nil {
		return Active{}, err
	}
	var c Active
	for _, j := range p.Jobs {
		switch {
		case !j.Lost.IsZero():
		case j.Status == ogcapi.StatusRunning:
			c.Running++
		default:
			c.Waiting++
		}
	}
	c.More = p.Next != ""
	return c, nil
}

// Active counts the jobs not yet ended: running, and waiting (accepted or queued on
// their server, being submitted, paused). More: there are more than were counted.
type Active struct {
	Running, Waiting int
	More             bool
}

// Total is the number of jobs not yet ended (as counted).
func (c Active) Total() int { return c.Running + c.Waiting }

func (c Active) text() string {
	plus := ""
	if c.More {
		plus = "+"
	}
	switch {
	case c.Waiting == 0:
		return strconv.Itoa(c.Running) + plus + " running"
	case c.Running == 0:
		return strconv.Itoa(c.Waiting) + plus + " waiting"
	}
	return strconv.Itoa(c.Running) + " running · " + strconv.Itoa(c.Waiting) + plus + " waiting"
}

func (c Active) link() string {
	if c.Waiting == 0 {
		return "/jobs?status=running"
	}
	return "/jobs?status=running&status=accepted"
}

func (l *Live) publishRunning(ctx context.Context, force bool) {
	n, err := l.running(ctx)
	if err != nil {
		l.log.Warn("live: count running jobs", "err", err)
		return
	}
	b, err := renderBytes(ctx, RunningIndicator(n))
	if err != nil {
		return
	}
	l.mu.Lock()
	same := l.runningShown == string(b)
	l.runningShown = string(b)
	l.mu.Unlock()
	if !same || force {
		l.pub.PublishBytes(TopicRunning, "count", b)
	}
}

// Snapshot is the hub's Snapshot: the current state of a topic for a new subscriber.
func (l *Live) Snapshot(ctx context.Context, topic string) ([]hub.Message, error) {
	now := time.Now()
	switch {
	case topic == TopicRunning:
		n, err := l.running(ctx)
		if err != nil {
			return nil, err
		}
		b, err := renderBytes(ctx, RunningIndicator(n))
		if err != nil {
			return nil, err
		}
		return []hub.Message{{Key: "count", Data: b}}, nil
	case strings.HasPrefix(topic, jobPrefix):
		j, err := l.st.Job(ctx, strings.TrimPrefix(topic, jobPrefix))
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := l.jobFragments(ctx, j, now)
		if err != nil {
			return nil, err
		}
		return []hub.Message{{Key: "job", Data: b}}, nil
	case strings.HasPrefix(topic, sincePrefix):
		ms, err := strconv.ParseInt(strings.TrimPrefix(topic, sincePrefix), 10, 64)
		if err != nil {
			return nil, nil
		}
		return l.since(ctx, time.UnixMilli(ms), now)
	}
	return nil, nil // TopicJobs and TopicNotify start empty
}

// since renders the rows of the jobs changed after t (the list page's read). They
// travel under another topic than TopicJobs' updates, so a row may arrive after a
// newer one: rows carry their version and the page keeps the newest (app.js).
func (l *Live) since(ctx context.Context, t, now time.Time) ([]hub.Message, error) {
	var out []hub.Message
	p, err := l.st.ListJobs(ctx, store.Filter{UpdatedSince: t, Limit: maxSince, WithHidden: true})
	if err != nil {
		return nil, err
	}
	info := l.rowInfo(ctx, now)
	for _, j := range p.Jobs {
		b, err := renderBytes(ctx, RowUpdate(j, info))
		if err != nil {
			return nil, err
		}
		out = append(out, hub.Message{Key: j.ID, Data: b})
	}
	return out, nil
}

// rowInfo is the row information of pushed rows (endpoint ids when their titles cannot be read).
func (l *Live) rowInfo(ctx context.Context, now time.Time) RowInfo {
	eps, err := l.st.Endpoints(ctx)
	if err != nil {
		l.log.Warn("live: read endpoints", "err", err)
	}
	return NewRowInfo(now, eps)
}

func renderBytes(ctx context.Context, c templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
