package hub

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// client is one connection. The hub goroutine owns its membership (topics); the
// queue is shared with the write pump under mu.
type client struct {
	h      *Hub
	conn   *websocket.Conn
	remote string
	topics map[string]bool // hub goroutine only

	mu      sync.Mutex
	pending map[string]Message // latest unsent message per topic and key
	order   []string           // pending keys, oldest first
	sent    map[string]uint64  // newest seq queued per key: older messages are stale
	closed  bool
	signal  chan struct{} // something to send, or closed
	gone    chan struct{} // closed by close()
}

func newClient(h *Hub, conn *websocket.Conn, remote string) *client {
	return &client{h: h, conn: conn, remote: remote, topics: map[string]bool{}, pending: map[string]Message{},
		sent: map[string]uint64{}, signal: make(chan struct{}, 1), gone: make(chan struct{})}
}

// enqueue queues m unless a newer message of its key was queued already. It reports
// false when the queue is full: the client does not keep up.
func (c *client) enqueue(m Message) bool {
	k := msgKey(m.Topic, m.Key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return true
	}
	if c.sent[k] >= m.seq && m.seq != 0 {
		return true // stale: a newer state of this key is queued or sent
	}
	if _, ok := c.pending[k]; !ok {
		if len(c.pending) >= c.h.cfg.QueueKeys {
			return false
		}
		c.order = append(c.order, k)
	}
	c.pending[k] = m
	c.sent[k] = m.seq
	select {
	case c.signal <- struct{}{}:
	default:
	}
	return true
}

// take removes and returns the queued messages, oldest key first.
func (c *client) take() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Message, 0, len(c.order))
	for _, k := range c.order {
		out = append(out, c.pending[k])
	}
	c.order = c.order[:0]
	clear(c.pending)
	return out
}

// close ends the connection; called by the hub goroutine only.
func (c *client) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.gone)
	}
	c.mu.Unlock()
}

// leave tells the hub that the connection ended.
func (c *client) leave() {
	select {
	case c.h.leave <- c:
	case <-c.h.done:
	}
}

// subscribe adds topics, then queues their snapshots. The subscription is in place
// before the snapshot is taken, and the snapshot carries the sequence number of that
// moment, so a message published meanwhile is neither missed nor overwritten by older state.
func (c *client) subscribe(ctx context.Context, topics []string) {
	done := make(chan struct{})
	select {
	case c.h.subs <- subChange{c: c, topics: topics, add: true, done: done}:
	case <-c.h.done:
		return
	}
	<-done
	seq := c.h.seq.Load()
	for _, t := range topics {
		msgs, err := c.h.cfg.Snapshot(ctx, t)
		if err != nil {
			c.h.log.Warn("hub: snapshot", "topic", t, "err", err)
			continue
		}
		for _, m := range msgs {
			m.Topic, m.seq = t, seq
			if !c.enqueue(m) {
				c.leave()
				return
			}
		}
	}
}

func (c *client) unsubscribe(topics []string) {
	done := make(chan struct{})
	select {
	case c.h.subs <- subChange{c: c, topics: topics, done: done}:
		<-done
	case <-c.h.done:
	}
}

// request is what a page may send: subscription changes, or data for Receive on one
// of its topics.
type request struct {
	Subscribe   []string        `json:"subscribe"`
	Unsubscribe []string        `json:"unsubscribe"`
	Topic       string          `json:"topic"`
	Data        json.RawMessage `json:"data"`
}

// readPump reads subscription changes and what the page sends on its topics, and
// handles pongs, until the connection ends. It alone changes the connection's
// subscriptions, so it keeps its own set of them (the hub goroutine has another).
func (c *client) readPump(ctx context.Context, initial []string) {
	defer func() {
		c.leave()
		c.conn.Close()
	}()
	mine := map[string]bool{}
	for _, t := range initial {
		mine[t] = true
	}
	c.conn.SetReadLimit(maxMessageSize)
	c.conn.SetReadDeadline(time.Now().Add(c.h.limits.pongWait))
	c.conn.SetPongHandler(func(string) error { c.conn.SetReadDeadline(time.Now().Add(c.h.limits.pongWait)); return nil })
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var req request
		if json.Unmarshal(data, &req) != nil || len(req.Subscribe)+len(req.Unsubscribe) > maxTopics {
			continue // not ours (e.g. an htmx form message): ignore
		}
		if req.Topic != "" {
			if mine[req.Topic] && c.h.cfg.Receive != nil {
				c.h.cfg.Receive(ctx, req.Topic, req.Data)
			}
			continue
		}
		var add []string
		for _, t := range req.Subscribe {
			if ValidTopic(t) {
				add = append(add, t)
				mine[t] = true
			}
		}
		if len(add) > 0 {
			c.subscribe(ctx, add)
		}
		if len(req.Unsubscribe) > 0 {
			for _, t := range req.Unsubscribe {
				delete(mine, t)
			}
			c.unsubscribe(req.Unsubscribe)
		}
	}
}

// writePump sends queued messages and pings until the connection ends.
func (c *client) writePump() {
	ticker := time.NewTicker(c.h.limits.pingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case <-c.gone:
			c.conn.SetWriteDeadline(time.Now().Add(c.h.limits.writeWait))
			c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
			return
		case <-c.signal:
			for _, m := range c.take() {
				c.conn.SetWriteDeadline(time.Now().Add(c.h.limits.writeWait))
				if err := c.conn.WriteMessage(websocket.TextMessage, m.Data); err != nil {
					c.leave()
					return
				}
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(c.h.limits.writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.leave()
				return
			}
		}
	}
}
