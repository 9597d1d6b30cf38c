package webapp

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/geojobs/geojobs/internal/waitfor"
)

// subscribe opens the hub's WebSocket as a page of the app does (its own Origin, the
// token as a bearer header), subscribed to topics; reads wait at most waitfor.Guard.
// The connection closes when the test ends.
func (s *stack) subscribe(topics ...string) *websocket.Conn {
	s.t.Helper()
	hdr := http.Header{"Authorization": {"Bearer " + s.token}, "Origin": {s.base}}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.base, "http")+"/ws?"+url.Values{"topic": topics}.Encode(), hdr)
	if err != nil {
		s.t.Fatalf("subscribing to %v: %v", topics, err)
	}
	s.t.Cleanup(func() { conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(waitfor.Guard))
	return conn
}
