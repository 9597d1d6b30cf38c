package server

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A relaunch gets the port of the last launch, so the URLs the app handed out (the
// built-in endpoint's job and asset URLs, stored with jobs) still work; a busy port
// falls back to a free one; an explicit port is never replaced.
func TestListenPreferLast(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	file := filepath.Join(t.TempDir(), PortFile)

	s1, err := ListenRemembering("127.0.0.1:0", file, "", log)
	if err != nil {
		t.Fatal(err)
	}
	first := s1.Guard.Port
	if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != strconv.Itoa(first) {
		t.Errorf("recorded %q, want %d", b, first)
	}
	_ = s1.listener.Close()

	s2, err := ListenRemembering("127.0.0.1:0", file, "", log)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Guard.Port != first || s2.BaseURL() != "http://127.0.0.1:"+strconv.Itoa(first)+"/" {
		t.Errorf("relaunch on port %d (%s), want the last launch's %d", s2.Guard.Port, s2.BaseURL(), first)
	}

	// The port is still taken (s2 holds it): a free one, recorded for next time.
	s3, err := ListenRemembering("127.0.0.1:0", file, "", log)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.listener.Close()
	if s3.Guard.Port == first {
		t.Fatal("two listeners on one port")
	}
	if got := readPort(file); got != s3.Guard.Port {
		t.Errorf("recorded %d after the fallback, want %d", got, s3.Guard.Port)
	}
	_ = s2.listener.Close()

	// An explicit port is used as given and not recorded.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	explicit := l.Addr().String()
	_ = l.Close()
	s4, err := ListenRemembering(explicit, file, "", log)
	if err != nil {
		t.Fatal(err)
	}
	defer s4.listener.Close()
	if s4.Addr().String() != explicit || readPort(file) != s3.Guard.Port {
		t.Errorf("explicit %s: bound %s, recorded %d", explicit, s4.Addr(), readPort(file))
	}

	// A damaged file is ignored.
	if err := os.WriteFile(file, []byte("not a port"), 0o600); err != nil {
		t.Fatal(err)
	}
	s5, err := ListenRemembering("127.0.0.1:0", file, "", log)
	if err != nil {
		t.Fatal(err)
	}
	defer s5.listener.Close()
	if readPort(file) != s5.Guard.Port {
		t.Errorf("recorded %d, want %d", readPort(file), s5.Guard.Port)
	}
}
