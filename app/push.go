package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Message is one push message to the page. Type "fragment" carries server-rendered
// HTML whose elements replace the page's elements with the same id (an out-of-band
// swap, as htmx's WebSocket extension does); other types are for the shell's script.
type Message struct {
	Type string          `json:"type"`
	HTML string          `json:"html,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Transport carries push messages to the window's page. The loopback WebSocket (Hub)
// is the normal one; Wails events can carry the same messages where a webview refuses
// the socket. Publish must not block: a page that cannot keep up loses messages (it
// reloads its state on the next full render).
type Transport interface {
	Publish(m Message)
}

// Timing of the push WebSocket, as in gorilla's chat example.
const (
	writeWait      = 10 * time.Second
	pongWait       = 60 * time.Second
	pingPeriod     = pongWait * 9 / 10
	maxMessageSize = 64 << 10
	sendQueue      = 64
)

// Hub is the push WebSocket: one goroutine (Run) owns the set of connected pages; each
// connection has a read pump (messages from the page go to OnMessage) and a write pump
// with a bounded queue.
type Hub struct {
	// OnMessage receives the messages pages send; optional. It is called from the
	// connection's read pump.
	OnMessage func(Message)
	// OnConnect is called when a page connects; optional.
	OnConnect func()

	log        *slog.Logger
	upgrader   websocket.Upgrader
	register   chan *pushClient
	unregister chan *pushClient
	broadcast  chan Message
	done       chan struct{} // closed when Run returns
	mu         sync.Mutex
	count      int
}

var _ Transport = (*Hub)(nil)

type pushClient struct {
	conn *websocket.Conn
	send chan Message
}

// NewHub returns a hub whose handshakes must come from one of origins (the Guard in
// front checks the same; this is a second lock on the door).
func NewHub(origins []string, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	h := &Hub{log: log, register: make(chan *pushClient), unregister: make(chan *pushClient),
		broadcast: make(chan Message, sendQueue), done: make(chan struct{})}
	h.upgrader = websocket.Upgrader{
		ReadBufferSize: 4096, WriteBufferSize: 16 << 10,
		CheckOrigin: func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			for _, a := range origins {
				if o == a {
					return true
				}
			}
			return false
		},
	}
	return h
}

// Clients is the number of connected pages.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Publish queues m for every connected page; it drops m when the hub is saturated.
func (h *Hub) Publish(m Message) {
	select {
	case h.broadcast <- m:
	default:
		h.log.Warn("push queue full; message dropped", "type", m.Type)
	}
}

// Run owns the client set until ctx ends, then closes every connection.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	clients := map[*pushClient]bool{}
	setCount := func() { h.mu.Lock(); h.count = len(clients); h.mu.Unlock() }
	for {
		select {
		case c := <-h.register:
			clients[c] = true
			setCount()
		case c := <-h.unregister:
			if clients[c] {
				delete(clients, c)
				close(c.send)
				setCount()
			}
		case m := <-h.broadcast:
			for c := range clients {
				select {
				case c.send <- m:
				default: // a stuck page: drop it, it reconnects
					delete(clients, c)
					close(c.send)
				}
			}
			setCount()
		case <-ctx.Done():
			for c := range clients {
				close(c.send)
			}
			clear(clients)
			setCount()
			return
		}
	}
}

// ServeHTTP upgrades the handshake and starts the connection's pumps.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &pushClient{conn: conn, send: make(chan Message, sendQueue)}
	select {
	case h.register <- c:
	case <-r.Context().Done():
		conn.Close()
		return
	case <-h.done:
		conn.Close()
		return
	}
	if h.OnConnect != nil {
		h.OnConnect()
	}
	go h.writePump(c)
	h.readPump(r.Context(), c)
}

func (h *Hub) readPump(ctx context.Context, c *pushClient) {
	defer func() {
		select {
		case h.unregister <- c:
		case <-ctx.Done():
		case <-h.done: // the hub stopped (a hijacked connection's context outlives the server)
		}
		c.conn.Close()
	}()
	c.conn.SetReadLimit(maxMessageSize)
	_ = c.conn.SetReadDeadline(time.Now().Add(pongWait))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		var m Message
		if err := c.conn.ReadJSON(&m); err != nil {
			return
		}
		if h.OnMessage != nil {
			h.OnMessage(m)
		}
	}
}

func (h *Hub) writePump(c *pushClient) {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close()
	}()
	for {
		select {
		case m, ok := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				_ = c.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, ""))
				return
			}
			if err := c.conn.WriteJSON(m); err != nil {
				return
			}
		case <-ticker.C:
			_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
