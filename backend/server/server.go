package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Server is a loopback HTTP listener with a Guard in front of its handler.
type Server struct {
	Guard    *Guard
	listener net.Listener
	http     *http.Server
}

// Listen binds addr, which must be a loopback address ("127.0.0.1:0" for a free port).
// An empty token makes a fresh one.
func Listen(addr, token string, log *slog.Logger) (*Server, error) {
	return ListenRemembering(addr, "", token, log)
}

// ListenRemembering is Listen, and when addr asks for a free port it prefers the port
// recorded in portFile by the last launch, then records the one it got (ListenPreferLast).
func ListenRemembering(addr, portFile, token string, log *slog.Logger) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
		addr = net.JoinHostPort(host, addr[len("localhost:"):])
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("address %q: geojobs serves on a loopback address only (127.0.0.1 or [::1])", addr)
	}
	if log == nil {
		log = slog.Default()
	}
	l, err := ListenPreferLast(addr, portFile, log)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	if token == "" {
		token = NewToken()
	}
	return &Server{
		Guard:    &Guard{Port: l.Addr().(*net.TCPAddr).Port, Token: token, Logger: log},
		listener: l,
	}, nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.listener.Addr() }

// BaseURL is the server's root URL, without the token.
func (s *Server) BaseURL() string {
	return "http://" + s.listener.Addr().String() + "/"
}

// LaunchURL is the URL to print: it carries the token, which the guard exchanges for
// the session cookie. Never put it on a command line (OpenURL is for that).
func (s *Server) LaunchURL() string { return s.BaseURL() + "?" + TokenParam + "=" + s.Guard.Token }

// OpenURL is the URL to hand to the browser opener: a single-use launch code, not the
// token (a command line is visible to every user in ps).
func (s *Server) OpenURL() string {
	return s.BaseURL() + "?" + LaunchParam + "=" + s.Guard.NewLaunchCode()
}

// Limits of the UI server: slow or idle clients cannot hold connections (and file
// handles) for long, and no more than MaxConns are open at once.
const (
	ReadHeaderTimeout = 10 * time.Second
	IdleTimeout       = 90 * time.Second
	// WriteTimeout bounds writing an answer; handlers that stream for longer (the asset
	// proxy, WebSockets) extend their own deadline.
	WriteTimeout = 2 * time.Minute
	MaxConns     = 256
)

// NewHTTPServer returns an http.Server for h with the UI server's timeouts.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		WriteTimeout:      WriteTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// LimitListener returns l accepting at most MaxConns connections at once.
func LimitListener(l net.Listener) net.Listener { return netutil.LimitListener(l, MaxConns) }

// Serve serves h behind the guard until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, h http.Handler) error {
	s.http = NewHTTPServer(s.Guard.Wrap(h), s.Guard.Logger)
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(LimitListener(s.listener)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.http.Shutdown(sctx)
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}
