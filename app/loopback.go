package app

import (
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/geojobs/geojobs/backend/server"
)

// WebviewOrigins are the origins of the window's page: the Wails AssetServer serves it
// from wails://wails on Linux and macOS and from http://wails.localhost on Windows
// (WebView2). They are the only origins besides the listener's own that may open a
// WebSocket or send a state-changing request to the loopback listener.
var WebviewOrigins = []string{"wails://wails", "http://wails.localhost"}

// PushTokenParam is the WebSocket URL's query parameter carrying the push token.
const PushTokenParam = server.PushTokenParam

// Loopback is the desktop app's real socket: backend/server's loopback listener and
// Guard, as in browser mode, on an ephemeral port. geojobs' own client reaches the
// built-in endpoint through it (with the launch token as a bearer header) and the
// page opens its WebSockets to it.
//
// The page never sees the launch token. It gets the Guard's push token, which
// authorizes WebSocket handshakes only: a browser cannot set an Authorization header
// on a WebSocket, and the page (origin wails://wails) has no cookie for 127.0.0.1.
type Loopback struct {
	*server.Server
}

// ListenLoopback binds 127.0.0.1 with fresh launch and push tokens: on the port recorded
// in portFile by the last launch when it is free (the built-in endpoint's job and asset
// URLs stored with earlier jobs carry it), else on a free port, which it records. Its
// Guard trusts the webview's origins.
func ListenLoopback(portFile string, log *slog.Logger) (*Loopback, error) {
	if log == nil {
		log = slog.Default()
	}
	srv, err := server.ListenRemembering("127.0.0.1:0", portFile, "", log)
	if err != nil {
		return nil, err
	}
	g := srv.Guard
	g.TrustedOrigins = append([]string(nil), WebviewOrigins...)
	g.ConnectSrc = []string{"ws://127.0.0.1:" + strconv.Itoa(g.Port)}
	g.PushToken = server.NewToken()
	return &Loopback{Server: srv}, nil
}

// Port is the bound port.
func (lb *Loopback) Port() int { return lb.Guard.Port }

// Credentials are what geojobs' own command line needs to reach this app (`geojobs
// run` and `download` use the built-in endpoint with them). As in browser mode they
// are written into the data folder (server.WriteCredentials, 0600), never passed on a
// command line or logged. The push token is not among them: it opens WebSockets only.
func (lb *Loopback) Credentials() server.Credentials {
	return server.Credentials{URL: lb.BaseURL(), Token: lb.Guard.Token, PID: os.Getpid()}
}

// WebSocketURL is the ws:// URL of path on the listener, carrying the push token.
func (lb *Loopback) WebSocketURL(path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "ws://" + lb.Addr().String() + path + sep + PushTokenParam + "=" + lb.Guard.PushToken
}
