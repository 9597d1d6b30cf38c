package webapp

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/spf13/afero"

	"github.com/geojobs/geojobs/backend/application"
	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// TestCallerTopic: a topic the caller serves (the desktop shell's "desktop") goes over
// the same /ws as the pages' topics: a page that subscribes gets the caller's snapshot
// and what the caller publishes, and what it sends on the topic reaches the caller.
func TestCallerTopic(t *testing.T) {
	received := make(chan string, 4)
	s := startWith(t, application.Options{DataDir: t.TempDir(), LocalFs: afero.NewMemMapFs(), Logger: slog.New(slog.DiscardHandler)},
		Options{Topics: map[string]Topic{"desktop": {
			Snapshot: func(context.Context) ([]hub.Message, error) {
				return []hub.Message{{Key: "zoom", Data: []byte(`{"type":"zoom","data":1.2}`)}}, nil
			},
			Receive: func(_ context.Context, data json.RawMessage) { received <- string(data) },
		}}})
	conn := s.subscribe("desktop")
	if _, data, err := conn.ReadMessage(); err != nil || string(data) != `{"type":"zoom","data":1.2}` {
		t.Fatalf("snapshot: %s %v", data, err)
	}
	s.app.ui.Hub.PublishBytes("desktop", "navigate", []byte(`{"type":"navigate","data":"/jobs"}`))
	if _, data, err := conn.ReadMessage(); err != nil || string(data) != `{"type":"navigate","data":"/jobs"}` {
		t.Fatalf("published: %s %v", data, err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"topic":"desktop","data":{"type":"dom"}}`)); err != nil {
		t.Fatal(err)
	}
	if got := waitfor.Chan(t, received, "the page's message"); got != `{"type":"dom"}` {
		t.Fatalf("received %s", got)
	}
}
