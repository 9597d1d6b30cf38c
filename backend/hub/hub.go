// Package hub pushes live updates to browser pages over WebSocket. Pages subscribe
// to topics ("jobs", "job:<id>", "downloads"); publishers hand the hub a rendered
// fragment per topic and key (a job id), and every subscribed page gets the latest
// fragment of every key. It is built like gorilla's chat example: one goroutine owns
// the set of clients, and each connection has a read pump and a write pump.
//
// Nothing blocks on a slow page: each client has a bounded queue that keeps only the
// latest fragment per key, so a page that stops reading costs a map entry per key and
// is dropped (to reconnect and resynchronise) when it falls too far behind. On every
// subscription the hub asks the caller's Snapshot for the topic's current state, so a
// page that reconnects misses nothing. The hub knows nothing of pages or templates.
//
// Pages mostly listen; where one must answer (the desktop window's page reports its
// state to the desktop shell's self-test), it sends {"topic":"…","data":…} on one of
// its topics and the hub hands data to the caller's Receive.
package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Timing and size limits of a connection.
const (
	// writeWait is the time allowed to write a frame to the peer.
	writeWait = 10 * time.Second
	// pongWait is the time allowed to read the next pong from the peer.
	pongWait = 60 * time.Second
	// pingPeriod is how often pings are sent; less than pongWait.
	pingPeriod = (pongWait * 9) / 10
	// maxMessageSize is the largest message accepted from the peer (subscriptions, and
	// the messages Receive takes).
	maxMessageSize = 64 << 10
	// maxTopics is the most topics one connection may subscribe to.
	maxTopics = 64
)

// DefaultQueueKeys is the default bound of a client's queue, in distinct keys.
const DefaultQueueKeys = 4096

// Message is one update: the latest fragment of a key within a topic.
type Message struct {
	Topic string
	Key   string // what it replaces: a newer Message with the same Topic and Key supersedes it
	Data  []byte // the frame's payload, e.g. an HTML fragment with hx-swap-oob
	seq   uint64
}

// Renderer is anything that renders itself, such as a templ.Component.
type Renderer interface {
	Render(ctx context.Context, w io.Writer) error
}

// Config configures a Hub. CheckOrigin is required.
type Config struct {
	// CheckOrigin decides whether a handshake's Origin is allowed (the server's
	// Guard.OriginAllowed). Required: the hub never guesses.
	CheckOrigin func(r *http.Request) bool
	// Snapshot returns the current state of a topic, as the messages a new subscriber
	// needs. It is called on the subscribing connection's goroutine, not the hub's.
	Snapshot func(ctx context.Context, topic string) ([]Message, error)
	// Receive takes what a page sends on one of the topics its connection subscribed to
	// (a text message {"topic":"…","data":…}); optional: without it such messages are
	// dropped. It is called on the connection's read pump, one message at a time, and
	// must not block for long.
	Receive func(ctx context.Context, topic string, data json.RawMessage)
	// QueueKeys bounds a client's queue in distinct keys (default DefaultQueueKeys);
	// a client past it is disconnected.
	QueueKeys int
	Logger    *slog.Logger
}

// Hub is the set of connected pages. Create it with New and run it with Run.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader
	seq      atomic.Uint64

	// Published messages wait here, coalesced by topic and key, for the hub goroutine.
	mu       sync.Mutex
	outbox   map[string]Message
	wake     chan struct{}
	register chan *client
	leave    chan *client
	subs     chan subChange
	done     chan struct{} // closed when Run returns
	started  atomic.Bool
	running  chan struct{} // closed when Run starts
	// limits are writeWait, pongWait and pingPeriod; the tests lengthen them before Run.
	limits connLimits
}

// connLimits are the times a connection is allowed (see the constants).
type connLimits struct {
	writeWait, pongWait, pingPeriod time.Duration
}

// subChange is a read pump's request to change its subscriptions; done is closed
// once the hub goroutine applied it.
type subChange struct {
	c      *client
	topics []string
	add    bool
	done   chan struct{}
}

// New returns a hub; it delivers nothing until Run.
func New(cfg Config) (*Hub, error) {
	if cfg.CheckOrigin == nil {
		return nil, errors.New("hub: Config.CheckOrigin is required")
	}
	if cfg.Snapshot == nil {
		cfg.Snapshot = func(context.Context, string) ([]Message, error) { return nil, nil }
	}
	if cfg.QueueKeys <= 0 {
		cfg.QueueKeys = DefaultQueueKeys
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, outbox: map[string]Message{}, wake: make(chan struct{}, 1),
		register: make(chan *client), leave: make(chan *client), subs: make(chan subChange), done: make(chan struct{}), running: make(chan struct{}),
		limits: connLimits{writeWait: writeWait, pongWait: pongWait, pingPeriod: pingPeriod}}
	h.upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, CheckOrigin: cfg.CheckOrigin}
	return h, nil
}

func msgKey(topic, key string) string { return topic + "\x00" + key }

// Publish renders a fragment once and sends it to every subscriber of topic, replacing
// any not yet sent fragment of the same key. It never blocks on clients.
func (h *Hub) Publish(topic, key string, render func(w io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return fmt.Errorf("hub: render %s %s: %w", topic, key, err)
	}
	h.PublishBytes(topic, key, b.Bytes())
	return nil
}

// PublishComponent is Publish for a Renderer such as a templ.Component.
func (h *Hub) PublishComponent(ctx context.Context, topic, key string, c Renderer) error {
	return h.Publish(topic, key, func(w io.Writer) error { return c.Render(ctx, w) })
}

// PublishBytes sends an already rendered frame (see Publish).
func (h *Hub) PublishBytes(topic, key string, data []byte) {
	m := Message{Topic: topic, Key: key, Data: data, seq: h.seq.Add(1)}
	h.mu.Lock()
	h.outbox[msgKey(topic, key)] = m
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run delivers messages until ctx is done, then closes every connection and returns.
func (h *Hub) Run(ctx context.Context) error {
	if !h.started.CompareAndSwap(false, true) {
		return errors.New("hub: already running")
	}
	close(h.running)
	defer close(h.done)
	clients := map[*client]bool{}
	topics := map[string]map[*client]bool{}
	drop := func(c *client) {
		if !clients[c] {
			return
		}
		delete(clients, c)
		for t := range c.topics {
			delete(topics[t], c)
			if len(topics[t]) == 0 {
				delete(topics, t)
			}
		}
		c.close()
	}
	for {
		select {
		case <-ctx.Done():
			for c := range clients {
				drop(c)
			}
			return ctx.Err()
		case c := <-h.register:
			clients[c] = true
		case c := <-h.leave:
			drop(c)
		case s := <-h.subs:
			if clients[s.c] {
				for _, t := range s.topics {
					if s.add {
						if topics[t] == nil {
							topics[t] = map[*client]bool{}
						}
						topics[t][s.c], s.c.topics[t] = true, true
					} else {
						delete(topics[t], s.c)
						delete(s.c.topics, t)
						if len(topics[t]) == 0 {
							delete(topics, t)
						}
					}
				}
			}
			close(s.done)
		case <-h.wake:
			h.mu.Lock()
			out := h.outbox
			h.outbox = map[string]Message{}
			h.mu.Unlock()
			for _, m := range out {
				for c := range topics[m.Topic] {
					if !c.enqueue(m) {
						h.log.Warn("hub: dropping a client that does not keep up", "remote", c.remote)
						drop(c)
					}
				}
			}
		}
	}
}

// startWait bounds how long a connection made before Run waits for it.
const startWait = 10 * time.Second

var topicRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._/-]{0,127}$`)

// ValidTopic reports whether a topic name is acceptable.
func ValidTopic(t string) bool { return topicRe.MatchString(t) }

// ServeHTTP upgrades the request to a WebSocket connection (after CheckOrigin) and
// subscribes it to the topics of its "topic" query parameters. The page may then send
// {"subscribe":["job:…"]} or {"unsubscribe":[…]} text messages, and {"topic":"…",
// "data":…} for Receive.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-h.done:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	default:
	}
	if !h.started.Load() {
		// A page may connect while the app is still starting (the server listens
		// before the hub runs): wait for it a little rather than refuse.
		t := time.NewTimer(startWait)
		select {
		case <-h.running:
			t.Stop()
		case <-h.done:
			t.Stop()
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
			http.Error(w, "not running", http.StatusServiceUnavailable)
			return
		}
	}
	initial := r.URL.Query()["topic"]
	if len(initial) > maxTopics {
		http.Error(w, "too many topics", http.StatusBadRequest)
		return
	}
	for _, t := range initial {
		if !ValidTopic(t) {
			http.Error(w, "invalid topic", http.StatusBadRequest)
			return
		}
	}
	conn, err := h.upgrader.Upgrade(w, r, nil) // answers 403 itself when CheckOrigin refuses
	if err != nil {
		h.log.Debug("hub: upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := newClient(h, conn, r.RemoteAddr)
	select {
	case h.register <- c:
	case <-h.done:
		conn.Close()
		return
	}
	go c.writePump()
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	go func() {
		defer cancel()
		if len(initial) > 0 {
			c.subscribe(ctx, initial)
		}
		c.readPump(ctx, initial)
	}()
}
