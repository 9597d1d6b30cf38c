package app

import (
	"context"
	"encoding/json"

	"github.com/geojobs/geojobs/backend/hub"
)

// The shell talks to its window's page over backend/hub, as the pages get their live
// updates: desktop.js subscribes to DesktopTopic on the loopback listener's /ws, behind
// the same Guard (Origin, Host, the push token for the session), and the shell
// publishes its messages there; the page's answers come back through the hub's Receive.

// DesktopTopic is the hub topic of the shell's messages to its window's page.
const DesktopTopic = "desktop"

// DesktopPath is the hub's WebSocket subscribed to DesktopTopic, on the loopback
// listener (the page opens Loopback.WebSocketURL(DesktopPath)).
const DesktopPath = "/ws?topic=" + DesktopTopic

// Message is one message between the shell and desktop.js: "zoom" (Data: the factor),
// "navigate" (Data: a same-origin path) and "tick" go to the page; the page answers a
// tick with "dom" (Data: a DOMReport) while the self-test runs.
type Message struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// hubMessage is m as the hub carries it: keyed by its type, so that a newer zoom
// replaces one the page has not read yet.
func (m Message) hubMessage() hub.Message {
	b, _ := json.Marshal(m)
	return hub.Message{Topic: DesktopTopic, Key: m.Type, Data: b}
}

// Transport carries messages to the window's page. Publish must not block.
type Transport interface {
	Publish(m Message)
}

// Publisher is what a Channel publishes with (the web front's *hub.Hub).
type Publisher interface {
	PublishBytes(topic, key string, data []byte)
}

// Channel is the shell's side of DesktopTopic: Publish sends to the page, Snapshot
// and Receive serve the topic for the hub (webapp.Options.Topics).
type Channel struct {
	// Hub publishes the messages; set once the web front (and its hub) is made.
	Hub Publisher
	// Zoom is the window's zoom factor: a page gets it when it subscribes.
	Zoom func() float64
	// OnMessage takes the page's messages (the self-test's); optional.
	OnMessage func(Message)
}

var _ Transport = (*Channel)(nil)

// Publish sends m to the window's page (to every page subscribed to the topic).
func (c *Channel) Publish(m Message) {
	hm := m.hubMessage()
	c.Hub.PublishBytes(hm.Topic, hm.Key, hm.Data)
}

// Snapshot is the topic's state for a page that subscribes: the zoom.
func (c *Channel) Snapshot(context.Context) ([]hub.Message, error) {
	return []hub.Message{zoomMessage(c.Zoom()).hubMessage()}, nil
}

// Receive decodes what the page sent and hands it to OnMessage.
func (c *Channel) Receive(_ context.Context, data json.RawMessage) {
	var m Message
	if c.OnMessage != nil && json.Unmarshal(data, &m) == nil && m.Type != "" {
		c.OnMessage(m)
	}
}

func zoomMessage(z float64) Message {
	b, _ := json.Marshal(z)
	return Message{Type: "zoom", Data: b}
}
