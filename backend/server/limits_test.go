package server

import (
	"net"
	"testing"
)

func TestServerTimeoutsSet(t *testing.T) {
	s := NewHTTPServer(ok200(), nil)
	if s.ReadHeaderTimeout <= 0 || s.IdleTimeout <= 0 || s.WriteTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Fatalf("timeouts not set: %+v", s)
	}
}

// Idle connections beyond MaxConns wait in the kernel's queue: they hold no file
// handle of the process.
func TestConnectionCap(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(raw)
	defer l.Close()
	accepted := make(chan net.Conn, MaxConns+20)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range MaxConns + 10 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	var held []net.Conn
	for range MaxConns {
		held = append(held, <-accepted)
	}
	select {
	case <-accepted:
		t.Fatalf("more than %d connections accepted at once", MaxConns)
	default:
	}
	held[0].Close() // a slot frees: the next waiting connection is taken
	held = append(held[1:], <-accepted)
	for _, c := range held {
		c.Close()
	}
}
