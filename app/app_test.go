package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/gorilla/websocket"

	"github.com/geojobs/geojobs/backend/hub"
	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/frontend/components"
	"github.com/geojobs/geojobs/frontend/web"
	"github.com/geojobs/geojobs/internal/waitfor"
)

func TestStateRoundTripAndNormalize(t *testing.T) {
	dir := t.TempDir()
	s, err := LoadState(dir)
	if err != nil || s != DefaultState() {
		t.Fatalf("missing file: got %+v, %v; want defaults", s, err)
	}
	want := State{X: 40, Y: 30, Width: 1400, Height: 900, Placed: true, Zoom: 1.2}
	if err := SaveState(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(dir)
	if err != nil || got != want {
		t.Fatalf("round trip: got %+v, %v; want %+v", got, err, want)
	}
	// Too small, absurd position, bad zoom, relative folder: clamped or dropped.
	n := State{X: 1 << 20, Y: 5, Width: 300, Height: 99999, Zoom: 9, Placed: true}.Normalized()
	if n.Width != MinWidth || n.Height != maxSide || n.Zoom != MaxZoom || n.Placed || n.X != 0 {
		t.Fatalf("normalized: %+v", n)
	}
	if err := os.WriteFile(filepath.Join(dir, StateFile), []byte("{nope"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadState(dir); err == nil || s != DefaultState() {
		t.Fatalf("corrupt file: got %+v, %v; want defaults and an error", s, err)
	}
}

func TestStepZoom(t *testing.T) {
	for _, c := range []struct {
		z     float64
		steps int
		want  float64
	}{{1, 1, 1.1}, {1.1, -1, 1}, {1.5, 0, 1}, {0.5, -1, MinZoom}, {3, 1, MaxZoom}, {0.3, 1, MinZoom}} {
		if got := StepZoom(c.z, c.steps); got != c.want {
			t.Errorf("StepZoom(%v, %d) = %v, want %v", c.z, c.steps, got, c.want)
		}
	}
}

// loopback starts a Loopback serving backend/hub at /ws, as the web front does, with
// the desktop topic's Channel (zoom 1.2), and an app handler that says who it saw. The
// page's messages on the desktop topic arrive on the channel.
func loopback(t *testing.T) (*Loopback, *Channel, chan Message) {
	t.Helper()
	lb, err := ListenLoopback("", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan Message, 16)
	ch := &Channel{Zoom: func() float64 { return 1.2 }, OnMessage: func(m Message) { got <- m }}
	h, err := hub.New(hub.Config{CheckOrigin: lb.Guard.OriginAllowed,
		Snapshot: func(ctx context.Context, topic string) ([]hub.Message, error) {
			if topic != DesktopTopic {
				return nil, nil
			}
			return ch.Snapshot(ctx)
		},
		Receive: func(ctx context.Context, topic string, data json.RawMessage) {
			if topic == DesktopTopic {
				ch.Receive(ctx, data)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ch.Hub = h
	mux := http.NewServeMux()
	mux.Handle("GET /ws", h)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app:"+r.URL.RawQuery) })
	ctx, cancel := context.WithCancel(context.Background())
	done, ran := make(chan struct{}), make(chan struct{})
	go func() { defer close(ran); _ = h.Run(ctx) }()
	go func() { defer close(done); _ = lb.Serve(ctx, mux) }()
	t.Cleanup(func() { cancel(); <-done; <-ran })
	return lb, ch, got
}

func dial(url, origin string) (*websocket.Conn, int, error) {
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, resp, err := websocket.DefaultDialer.Dial(url, h)
	code := 0
	if resp != nil {
		code = resp.StatusCode
	}
	return c, code, err
}

// The window's page reaches the shell's desktop topic on the loopback listener's hub
// from the webview's origins, with the push token; nothing else gets through.
func TestLoopbackDesktopTopic(t *testing.T) {
	lb, ch, got := loopback(t)
	url := lb.WebSocketURL(DesktopPath)
	if !strings.HasPrefix(url, "ws://127.0.0.1:") || !strings.HasSuffix(url, "/ws?topic=desktop&"+PushTokenParam+"="+lb.Guard.PushToken) {
		t.Fatalf("desktop topic URL %q", url)
	}
	plain := strings.Split(url, "&")[0]
	for _, c := range []struct {
		name, url, origin string
		code              int
	}{
		{"foreign origin", url, "https://evil.example", http.StatusForbidden},
		{"no token", plain, "wails://wails", http.StatusUnauthorized},
		{"wrong token", plain + "&" + PushTokenParam + "=x", "wails://wails", http.StatusUnauthorized},
		{"launch token in the URL is no WebSocket credential", plain + "&token=" + lb.Guard.Token, "wails://wails", http.StatusSeeOther},
	} {
		if conn, code, err := dial(c.url, c.origin); err == nil || code != c.code {
			if conn != nil {
				conn.Close()
			}
			t.Errorf("%s: got %d, %v; want refusal %d", c.name, code, err, c.code)
		}
	}
	read := func(conn *websocket.Conn) Message {
		t.Helper()
		var m Message
		_ = conn.SetReadDeadline(time.Now().Add(waitfor.Guard))
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, origin := range WebviewOrigins {
		conn, code, err := dial(url, origin)
		if err != nil {
			t.Fatalf("origin %s: %d %v", origin, code, err)
		}
		// On subscribing, the page gets the window's zoom; then what the shell publishes.
		if m := read(conn); m.Type != "zoom" || string(m.Data) != "1.2" {
			t.Fatalf("origin %s: first message %+v, want the zoom", origin, m)
		}
		ch.Publish(Message{Type: "navigate", Data: json.RawMessage(`"/jobs/1"`)})
		if m := read(conn); m.Type != "navigate" || string(m.Data) != `"/jobs/1"` {
			t.Fatalf("origin %s: read %+v", origin, m)
		}
		if err := conn.WriteJSON(map[string]any{"topic": DesktopTopic, "data": Message{Type: "dom", Data: json.RawMessage(`{"path":"/jobs"}`)}}); err != nil {
			t.Fatal(err)
		}
		if m := waitfor.Chan(t, got, "the page's message"); m.Type != "dom" || string(m.Data) != `{"path":"/jobs"}` {
			t.Fatalf("channel got %+v", m)
		}
		conn.Close()
	}
}

func TestLoopbackGuardsPlainRequests(t *testing.T) {
	lb, _, _ := loopback(t)
	get := func(url string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("GET", url, nil)
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
				continue
			}
			req.Header.Set(k, v)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	base := lb.BaseURL()
	if code, _ := get(base+"x", nil); code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", code)
	}
	if code, _ := get(base+"x?"+PushTokenParam+"="+lb.Guard.PushToken, nil); code != http.StatusUnauthorized {
		t.Errorf("push token on a plain request: %d, want 401", code)
	}
	if code, body := get(base+"x?a=1", map[string]string{"Authorization": "Bearer " + lb.Guard.Token}); code != 200 || body != "app:a=1" {
		t.Errorf("bearer: %d %q", code, body)
	}
	if code, _ := get(base+"x", map[string]string{"Authorization": "Bearer " + lb.Guard.Token, "Host": "evil.example"}); code != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host accepted")
	}
}

type fakeNative struct {
	dir   string
	err   error
	start string // where the last picker opened
}

func (f *fakeNative) PickFolder(_ context.Context, _, start string) (string, error) {
	f.start = start
	return f.dir, f.err
}

type memSettings struct{ dir string }

func (m *memSettings) DownloadsDir(context.Context) string { return m.dir }
func (m *memSettings) SetDownloadsDir(_ context.Context, d string) error {
	m.dir = d
	return nil
}

func TestWebviewHandler(t *testing.T) {
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/endpoints", http.StatusSeeOther) })
	app.HandleFunc("GET /endpoints", func(w http.ResponseWriter, r *http.Request) {
		_ = web.Render(w, r, web.Page{Title: "E", Section: components.SectionEndpoints, Content: templ.Raw("part")})
	})
	app.HandleFunc("POST /endpoints", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/endpoints/x", http.StatusSeeOther) })
	app.HandleFunc("GET /static/app.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		io.WriteString(w, "body{}")
	})
	set := &memSettings{dir: "/home/u/Downloads/geojobs"}
	native := &fakeNative{dir: "/data/picked"}
	h := WebviewHandler(WebviewOptions{App: app, PushURL: "ws://127.0.0.1:5/ws?topic=desktop&wst=a&b", ConnectSrc: []string{"ws://127.0.0.1:5"},
		Native: native, Settings: set})
	doForm := func(method, path string, hdr map[string]string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "wails://wails"+path, strings.NewReader(form.Encode()))
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	do := func(method, path string, hdr map[string]string) *httptest.ResponseRecorder {
		return doForm(method, path, hdr, nil)
	}

	// The app's pages are rendered for the window: the layout adds the desktop's head.
	full := do("GET", "/endpoints", nil)
	body := full.Body.String()
	if full.Code != 200 || !strings.Contains(body, `<meta name="geojobs-desktop" content="1"><meta name="geojobs-ws" content="ws://127.0.0.1:5/ws?topic=desktop&amp;wst=a&amp;b">`) ||
		!strings.Contains(body, `<script src="/wails/runtime.js"></script>`) || !strings.Contains(body, `<script src="/desktop/desktop.js" defer></script>`) {
		t.Fatalf("full page not given the desktop head: %d %s", full.Code, body)
	}
	if strings.Contains(body, "geojobs-selftest") {
		t.Error("self-test marker outside the self-test")
	}
	if csp := full.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' ws://127.0.0.1:5;") || !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("CSP %q", csp)
	}
	if part := do("GET", "/endpoints", map[string]string{"HX-Request": "true"}); part.Body.String() != `<main id="main" tabindex="-1" data-section="endpoints">part</main>` {
		t.Errorf("fragment changed: %q", part.Body.String())
	}
	if css := do("GET", "/static/app.css", nil); css.Body.String() != "body{}" {
		t.Errorf("static changed: %q", css.Body.String())
	}
	if js := do("GET", "/desktop/desktop.js", nil); js.Code != 200 || !strings.Contains(js.Body.String(), "geojobs-ws") {
		t.Errorf("desktop.js: %d", js.Code)
	}
	selftest := WebviewHandler(WebviewOptions{App: app, SelfTest: true, Native: native, Settings: set})
	rec := httptest.NewRecorder()
	selftest.ServeHTTP(rec, httptest.NewRequest("GET", "wails://wails/endpoints", nil))
	if b := rec.Body.String(); !strings.Contains(b, `<meta name="geojobs-selftest" content="1">`) || strings.Contains(b, "geojobs-ws") {
		t.Errorf("self-test page head: %s", b)
	}

	// Redirects become something WebKit follows.
	root := do("GET", "/", nil)
	if root.Code != 200 || root.Header().Get("Location") != "" || !strings.Contains(root.Body.String(), `http-equiv="refresh" content="0;url=/endpoints"`) {
		t.Errorf("redirect page: %d %q", root.Code, root.Body.String())
	}
	if hx := do("GET", "/", map[string]string{"HX-Request": "true"}); hx.Code != 204 || hx.Header().Get("HX-Redirect") != "/endpoints" {
		t.Errorf("HTMX redirect: %d %v", hx.Code, hx.Header())
	}
	if post := do("POST", "/endpoints", map[string]string{"Origin": "wails://wails"}); post.Code != 200 || !strings.Contains(post.Body.String(), "url=/endpoints/x") {
		t.Errorf("POST from the page: %d %q", post.Code, post.Body.String())
	}

	// A page the webview was navigated to must not post to the app.
	for _, o := range []string{"https://evil.example", "null", "http://127.0.0.1:5"} {
		if r := do("POST", "/endpoints", map[string]string{"Origin": o}); r.Code != http.StatusForbidden {
			t.Errorf("POST from %s: %d, want 403", o, r.Code)
		}
		if r := do("POST", "/desktop/downloads-folder", map[string]string{"Origin": o}); r.Code != http.StatusForbidden {
			t.Errorf("folder picker from %s: %d, want 403", o, r.Code)
		}
	}
	if r := do("POST", "/endpoints", map[string]string{"Sec-Fetch-Site": "cross-site"}); r.Code != http.StatusForbidden {
		t.Errorf("cross-site POST without Origin: %d", r.Code)
	}

	// The downloads folder: read, pick (stored), pick for a field only, cancel.
	if r := do("GET", "/desktop/downloads-folder", nil); !strings.Contains(r.Body.String(), `"/home/u/Downloads/geojobs"`) {
		t.Errorf("GET folder: %s", r.Body.String())
	}
	if r := do("POST", "/desktop/downloads-folder", map[string]string{"Origin": "http://wails.localhost"}); r.Code != 200 || set.dir != "/data/picked" ||
		native.start != "/home/u/Downloads/geojobs" {
		t.Errorf("pick: %d %s, saved %q, opened at %q", r.Code, r.Body.String(), set.dir, native.start)
	}
	native.dir = "/data/other"
	r := doForm("POST", "/desktop/downloads-folder", map[string]string{"Origin": "wails://wails"},
		url.Values{"save": {"0"}, "start": {"/data/picked/job-1"}})
	var got struct{ Path string }
	if err := json.Unmarshal(r.Body.Bytes(), &got); r.Code != 200 || err != nil || got.Path != "/data/other" || set.dir != "/data/picked" ||
		native.start != "/data/picked/job-1" {
		t.Errorf("pick for a field: %d %s, saved %q, opened at %q", r.Code, r.Body.String(), set.dir, native.start)
	}
	native.dir = ""
	if r := do("POST", "/desktop/downloads-folder", map[string]string{"Origin": "wails://wails"}); r.Code != 204 || set.dir != "/data/picked" {
		t.Errorf("cancelled pick: %d, saved %q", r.Code, set.dir)
	}
	native.err = errors.New("no display")
	if r := do("POST", "/desktop/downloads-folder", map[string]string{"Origin": "wails://wails"}); r.Code != 500 || strings.Contains(r.Body.String(), "no display") {
		t.Errorf("picker failure: %d %s", r.Code, r.Body.String())
	}
}

func TestNearestDir(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		sub:                              sub,
		filepath.Join(sub, "job-1", "x"): sub,
		"":                               "",
		"relative/dir":                   "",
	} {
		if got := nearestDir(in); got != want {
			t.Errorf("nearestDir(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRisingValues(t *testing.T) {
	if n := risingValues([]int{0, 37, 62, 100}); n != 3 {
		t.Errorf("got %d", n)
	}
	if n := risingValues([]int{0, 100}); n != 1 {
		t.Errorf("jump to the end is not visible progress: got %d", n)
	}
}

// The desktop app leaves the CLI the same credentials as browser mode (a 0600 file in
// the data folder, read by `geojobs run` and `download`), and the loopback listener
// accepts them as a bearer token; the push token is not among them.
func TestLoopbackCredentialsForTheCLI(t *testing.T) {
	lb, _, _ := loopback(t)
	dir := t.TempDir()
	remove, err := server.WriteCredentials(dir, lb.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	c, err := server.ReadCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Token == lb.Guard.PushToken || !c.Covers(lb.BaseURL()+"local/ogcapi/jobs") {
		t.Fatalf("credentials %+v", c.URL)
	}
	req, _ := http.NewRequest("GET", lb.BaseURL()+"x", nil)
	if err := c.Apply(req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the CLI's credentials: %d", resp.StatusCode)
	}
	remove()
	if _, err := server.ReadCredentials(dir); !errors.Is(err, server.ErrNoApp) {
		t.Errorf("after the window closed: %v", err)
	}
}
