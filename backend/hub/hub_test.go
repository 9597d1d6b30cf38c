package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/internal/waitfor"
	"github.com/gorilla/websocket"
)

// testHub runs a hub behind an httptest server whose CheckOrigin is the real Guard's.
type testHub struct {
	*Hub
	srv    *httptest.Server
	origin string
	cancel context.CancelFunc
	done   chan error
	// subscribed receives a topic each time a subscription is in place: the hub takes a
	// topic's snapshot only after the subscription is applied.
	subscribed chan string
}

func startHub(t *testing.T, snapshot func(context.Context, string) ([]Message, error), queueKeys int) *testHub {
	t.Helper()
	return startHubConfig(t, Config{Snapshot: snapshot, QueueKeys: queueKeys})
}

// startHubConfig is startHub with more of the Config (its CheckOrigin is the Guard's).
func startHubConfig(t *testing.T, cfg Config) *testHub {
	t.Helper()
	snapshot := cfg.Snapshot
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	srv.Start()
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	g := &server.Guard{Port: port}
	subscribed := make(chan string, 1024)
	snap := func(ctx context.Context, topic string) ([]Message, error) {
		defer func() { subscribed <- topic }()
		if snapshot == nil {
			return nil, nil
		}
		return snapshot(ctx, topic)
	}
	cfg.CheckOrigin, cfg.Snapshot = g.OriginAllowed, snap
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// No test here is about the keepalive. With its real limits a busy machine (-race,
	// other processes) had the hub drop a reader that was still working through megabytes
	// of frames: a ping sent 54 s into the test had to be answered within 6 s, and a
	// frame written within 10 s. What these tests check must not hang on that.
	h.limits = connLimits{writeWait: waitfor.Guard, pongWait: waitfor.Guard, pingPeriod: waitfor.Guard}
	mux.Handle("GET /ws", h)
	ctx, cancel := context.WithCancel(context.Background())
	th := &testHub{Hub: h, srv: srv, origin: srv.URL, cancel: cancel, done: make(chan error, 1), subscribed: subscribed}
	go func() { th.done <- h.Run(ctx) }()
	waitfor.Chan(t, h.running, "the hub to run")
	t.Cleanup(func() {
		cancel()
		<-th.done
		srv.Close()
	})
	return th
}

// waitSubscribed waits until n more subscriptions are in place.
func (th *testHub) waitSubscribed(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		waitfor.Chan(t, th.subscribed, fmt.Sprintf("subscription %d of %d", i+1, n))
	}
}

func (th *testHub) dial(t *testing.T, origin string, topics ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	q := url.Values{"topic": topics}
	u := "ws" + strings.TrimPrefix(th.srv.URL, "http") + "/ws?" + q.Encode()
	return websocket.DefaultDialer.Dial(u, http.Header{"Origin": {origin}})
}

// reader collects the frames of a connection: the latest payload per key, where a
// payload is "key|version|padding".
type reader struct {
	mu     sync.Mutex
	latest map[string]int
	frames int
	done   chan struct{}
	got    waitfor.Pulse // fired after each frame
}

func read(conn *websocket.Conn) *reader {
	r := &reader{latest: map[string]int{}, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			parts := strings.SplitN(string(data), "|", 3)
			v, _ := strconv.Atoi(parts[1])
			r.mu.Lock()
			r.frames++
			if v >= r.latest[parts[0]] {
				r.latest[parts[0]] = v
			}
			r.mu.Unlock()
			r.got.Fire()
		}
	}()
	return r
}

// waitFor waits until every key shows version want.
func (r *reader) waitFor(t *testing.T, keys []string, want int) {
	t.Helper()
	missing := ""
	if !waitfor.UntilOK(&r.got, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		missing = ""
		for _, k := range keys {
			if r.latest[k] != want {
				missing = fmt.Sprintf("%s at %d", k, r.latest[k])
				return false
			}
		}
		return true
	}) {
		t.Fatalf("after %s: %s, want %d", waitfor.Guard, missing, want)
	}
}

func frame(key string, v int, pad int) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s|%d|%s", key, v, strings.Repeat("x", pad))
		return err
	}
}

func TestSlowClientDoesNotSlowOthers(t *testing.T) {
	th := startHub(t, nil, 1<<20)
	stuck, _, err := th.dial(t, th.origin, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close() // never reads
	var readers []*reader
	for i := 0; i < 3; i++ {
		c, _, err := th.dial(t, th.origin, "jobs")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readers = append(readers, read(c))
	}
	th.waitSubscribed(t, 4) // the stuck client and the three readers
	var keys []string
	for k := 0; k < 100; k++ {
		keys = append(keys, fmt.Sprintf("job-%d", k))
	}
	// 100 keys × 40 versions × 16 KiB = 64 MiB offered to each client: far more than
	// the stuck client's socket buffers hold, so its write pump blocks.
	const versions = 40
	start := time.Now()
	for v := 1; v <= versions; v++ {
		for _, k := range keys {
			if err := th.Publish("jobs", k, frame(k, v, 16<<10)); err != nil {
				t.Fatal(err)
			}
		}
	}
	publishTook := time.Since(start)
	for i, r := range readers {
		r.waitFor(t, keys, versions)
		r.mu.Lock()
		t.Logf("reader %d: %d frames for %d updates (coalesced)", i, r.frames, len(keys)*versions)
		r.mu.Unlock()
	}
	t.Logf("publishing %d updates took %s", len(keys)*versions, publishTook)
}

func TestSlowClientIsDroppedWhenQueueOverflows(t *testing.T) {
	th := startHub(t, nil, 10)
	stuck, _, err := th.dial(t, th.origin, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	ok, _, err := th.dial(t, th.origin, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer ok.Close()
	r := read(ok)
	th.waitSubscribed(t, 2)
	// Stuck stops reading; its pending keys pile up past 10 once its socket is full.
	var keys []string
	for v := 1; v <= 3; v++ {
		keys = keys[:0]
		for k := 0; k < 8; k++ {
			key := fmt.Sprintf("k%d", k)
			keys = append(keys, key)
			th.Publish("jobs", key, frame(key, v, 1<<20))
		}
		// Once the reading client has version v, the hub has offered it to the stuck one
		// too, so the next version is not coalesced away before reaching its queue.
		r.waitFor(t, keys, v)
	}
	for k := 8; k < 40; k++ {
		key := fmt.Sprintf("k%d", k)
		th.Publish("jobs", key, frame(key, 1, 10))
	}
	// The stuck client is closed by the hub: reading (after its buffers drain) ends in an error.
	stuck.SetReadDeadline(time.Now().Add(waitfor.Guard))
	for {
		if _, _, err := stuck.ReadMessage(); err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("the overflowing client was not dropped")
			}
			break
		}
	}
}

func TestReconnectResynchronises(t *testing.T) {
	var mu sync.Mutex
	state := map[string]int{"a": 1, "b": 1}
	snapshot := func(_ context.Context, topic string) ([]Message, error) {
		if topic != "jobs" {
			return nil, nil
		}
		mu.Lock()
		defer mu.Unlock()
		var out []Message
		for k, v := range state {
			out = append(out, Message{Key: k, Data: []byte(fmt.Sprintf("%s|%d|", k, v))})
		}
		return out, nil
	}
	th := startHub(t, snapshot, 0)
	set := func(k string, v int) {
		mu.Lock()
		state[k] = v
		mu.Unlock()
		th.Publish("jobs", k, frame(k, v, 0))
	}
	c, _, err := th.dial(t, th.origin, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	r := read(c)
	r.waitFor(t, []string{"a", "b"}, 1)
	set("a", 2)
	r.waitFor(t, []string{"a"}, 2)
	c.Close()
	<-r.done
	// Changes while the page is away.
	set("a", 3)
	set("b", 7)
	set("c", 1)
	c, _, err = th.dial(t, th.origin, "jobs")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r = read(c)
	r.waitState(t, map[string]int{"a": 3, "b": 7, "c": 1})
}

// waitState waits until the latest versions are exactly want.
func (r *reader) waitState(t *testing.T, want map[string]int) {
	t.Helper()
	got := ""
	if !waitfor.UntilOK(&r.got, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = fmt.Sprint(r.latest)
		return got == fmt.Sprint(want)
	}) {
		t.Fatalf("state %s, want %v", got, want)
	}
}

func TestOriginRefused(t *testing.T) {
	th := startHub(t, nil, 0)
	for _, origin := range []string{"http://evil.example", "null", "http://localhost.evil.example:1"} {
		_, resp, err := th.dial(t, origin, "jobs")
		if err == nil {
			t.Fatalf("origin %s: handshake accepted", origin)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("origin %s: %v %v; want 403", origin, resp, err)
		}
	}
	c, _, err := th.dial(t, th.origin, "jobs")
	if err != nil {
		t.Fatalf("own origin refused: %v", err)
	}
	c.Close()
	_, resp, err := th.dial(t, th.origin, "bad topic!")
	if err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("invalid topic: %v", err)
	}
}

func TestCoalescingKeepsLatest(t *testing.T) {
	// The queue itself: many versions of few keys leave one entry per key, the latest,
	// in the order the keys first appeared.
	h, _ := New(Config{CheckOrigin: func(*http.Request) bool { return true }})
	c := newClient(h, nil, "test")
	for v := 1; v <= 100; v++ {
		for _, k := range []string{"b", "a"} {
			if !c.enqueue(Message{Topic: "jobs", Key: k, Data: []byte(fmt.Sprint(v)), seq: h.seq.Add(1)}) {
				t.Fatal("queue overflow")
			}
		}
	}
	stale := Message{Topic: "jobs", Key: "a", Data: []byte("old"), seq: 1}
	c.enqueue(stale)
	got := c.take()
	if len(got) != 2 || got[0].Key != "b" || string(got[0].Data) != "100" || got[1].Key != "a" || string(got[1].Data) != "100" {
		t.Fatalf("queue gave %+v", got)
	}
	if len(c.take()) != 0 {
		t.Fatal("take left messages")
	}

	// End to end: a burst of versions of one key ends with the latest.
	th := startHub(t, nil, 0)
	conn, _, err := th.dial(t, th.origin, "job:42")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := read(conn)
	th.waitSubscribed(t, 1)
	for v := 1; v <= 2000; v++ {
		th.Publish("job:42", "42", frame("42", v, 0))
		th.Publish("job:43", "43", frame("43", v, 0)) // not subscribed
	}
	r.waitFor(t, []string{"42"}, 2000)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.latest["43"]; ok || r.frames > 2000 {
		t.Fatalf("frames %d, latest %v", r.frames, r.latest)
	}
	t.Logf("2000 versions arrived as %d frames", r.frames)
}

func TestSubscribeMessagesAndShutdown(t *testing.T) {
	th := startHub(t, func(_ context.Context, topic string) ([]Message, error) {
		return []Message{{Key: topic, Data: []byte(topic + "|1|snap")}}, nil
	}, 0)
	c, _, err := th.dial(t, th.origin)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := read(c)
	c.WriteMessage(websocket.TextMessage, []byte(`{"subscribe":["job:7","no good"]}`))
	r.waitState(t, map[string]int{"job:7": 1})
	th.Publish("job:7", "job:7", frame("job:7", 2, 0))
	r.waitState(t, map[string]int{"job:7": 2})
	c.WriteMessage(websocket.TextMessage, []byte(`{"unsubscribe":["job:7"]}`))
	c.WriteMessage(websocket.TextMessage, []byte(`{"subscribe":["downloads"]}`))
	r.waitState(t, map[string]int{"job:7": 2, "downloads": 1})
	th.Publish("job:7", "job:7", frame("job:7", 3, 0))
	th.Publish("downloads", "downloads", frame("downloads", 2, 0))
	r.waitState(t, map[string]int{"job:7": 2, "downloads": 2})

	th.cancel()
	select {
	case <-r.done: // the hub closed the connection
	case <-time.After(waitfor.Guard):
		t.Fatal("connection still open after shutdown")
	}
	if _, resp, err := th.dial(t, th.origin, "jobs"); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v", err)
	}
}

// A page sends data on its topics to Receive; never on a topic it has not (or no
// longer) subscribed to.
func TestReceive(t *testing.T) {
	type got struct {
		topic, data string
	}
	received := make(chan got, 16)
	th := startHubConfig(t, Config{Receive: func(_ context.Context, topic string, data json.RawMessage) {
		received <- got{topic, string(data)}
	}})
	c, _, err := th.dial(t, th.origin, "desktop")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send := func(m string) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want got) {
		t.Helper()
		if g := waitfor.Chan(t, received, "a message for Receive"); g != want {
			t.Fatalf("Receive got %+v, want %+v", g, want)
		}
	}
	// Read in order by one pump: the message after a refused one is the next received.
	send(`{"topic":"jobs","data":{"n":1}}`) // not subscribed
	send(`{"topic":"desktop","data":{"n":2}}`)
	expect(got{"desktop", `{"n":2}`})
	send(`{"subscribe":["job:7"]}`)
	send(`{"topic":"job:7","data":"x"}`)
	expect(got{"job:7", `"x"`})
	send(`{"unsubscribe":["desktop"]}`)
	send(`{"topic":"desktop","data":3}`) // no longer subscribed
	send(`{"topic":"job:7","data":4}`)
	expect(got{"job:7", "4"})
}
