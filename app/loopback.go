package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/geojobs/geojobs/backend/server"
)

// WebviewOrigins are the origins of the window's page: the Wails AssetServer serves it
// from wails://wails on Linux and macOS and from http://wails.localhost on Windows
// (WebView2). They are the only origins besides the listener's own that may open a
// WebSocket or send a state-changing request to the loopback listener.
var WebviewOrigins = []string{"wails://wails", "http://wails.localhost"}

// PushPath is the path of the push WebSocket on the loopback listener.
const PushPath = "/desktop/ws"

// PushTokenParam is the WebSocket URL's query parameter carrying the push token.
const PushTokenParam = "wst"

// Loopback is the desktop app's real socket: a loopback listener on an ephemeral port
// behind backend/server's Guard. geojobs' own client reaches the built-in endpoint
// through it (with the launch token as a bearer header) and the page opens its
// WebSockets to it.
//
// The page never sees the launch token. It gets a separate push token that
// authorizes WebSocket handshakes only: a browser cannot set an Authorization header
// on a WebSocket, and the page (origin wails://wails) has no cookie for 127.0.0.1.
type Loopback struct {
	Guard *server.Guard
	// PushToken authorizes WebSocket handshakes (from the webview's origins) only.
	PushToken string
	listener  net.Listener
	log       *slog.Logger
}

// ListenLoopback binds 127.0.0.1 with fresh launch and push tokens: on the port recorded
// in portFile by the last launch when it is free (the built-in endpoint's job and asset
// URLs stored with earlier jobs carry it), else on a free port, which it records.
func ListenLoopback(portFile string, log *slog.Logger) (*Loopback, error) {
	if log == nil {
		log = slog.Default()
	}
	l, err := server.ListenPreferLast("127.0.0.1:0", portFile, log)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on the loopback interface: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	p := strconv.Itoa(port)
	g := &server.Guard{
		Port:           port,
		Token:          server.NewToken(),
		TrustedOrigins: append([]string(nil), WebviewOrigins...),
		ConnectSrc:     []string{"ws://127.0.0.1:" + p},
		Logger:         log,
	}
	return &Loopback{Guard: g, PushToken: server.NewToken(), listener: l, log: log}, nil
}

// Port is the bound port.
func (lb *Loopback) Port() int { return lb.Guard.Port }

// BaseURL is the listener's root URL ("http://127.0.0.1:PORT/").
func (lb *Loopback) BaseURL() string { return "http://" + lb.listener.Addr().String() + "/" }

// WebSocketURL is the ws:// URL of path on the listener, carrying the push token.
func (lb *Loopback) WebSocketURL(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "ws://" + lb.listener.Addr().String() + path + sep + PushTokenParam + "=" + lb.PushToken
}

// Handler returns h behind the push-token exchange and the Guard, as Serve serves it.
func (lb *Loopback) Handler(h http.Handler) http.Handler {
	// Outermost first: the push token becomes the bearer header the Guard checks; the
	// Guard then checks Host, Origin (for the WebSocket handshake too) and the token.
	return lb.pushAuth(lb.Guard.Wrap(h))
}

// pushAuth turns a valid push token on a WebSocket handshake into the launch token's
// bearer header and removes it from the URL. A push token on anything else, or an
// invalid one, is refused.
func (lb *Loopback) pushAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !q.Has(PushTokenParam) {
			next.ServeHTTP(w, r)
			return
		}
		t := q.Get(PushTokenParam)
		if r.Method != http.MethodGet || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") ||
			subtle.ConstantTimeCompare([]byte(t), []byte(lb.PushToken)) != 1 {
			lb.log.Warn("refused request: push token not valid here", "path", r.URL.Path)
			http.Error(w, "not authorized", http.StatusUnauthorized)
			return
		}
		r2 := r.Clone(r.Context())
		q.Del(PushTokenParam)
		r2.URL.RawQuery = q.Encode()
		r2.RequestURI = r2.URL.RequestURI()
		r2.Header.Set("Authorization", "Bearer "+lb.Guard.Token)
		next.ServeHTTP(w, r2)
	})
}

// Serve serves h until ctx ends, then shuts down gracefully (hijacked WebSockets are
// closed by their owners, watching the same ctx).
func (lb *Loopback) Serve(ctx context.Context, h http.Handler) error {
	srv := server.NewHTTPServer(lb.Handler(h), lb.log)
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(server.LimitListener(lb.listener)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}
