//go:build linux || freebsd || openbsd || netbsd

package cmd

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/geojobs/geojobs/backend/server"
	"github.com/geojobs/geojobs/internal/waitfor"
)

// The browser opener's command line (xdg-open's, visible to every user in ps) carries a
// single-use launch code, never the session token: the code opens the app once, then
// it is worth nothing (issue 11 §3).
func TestBrowserOpenerGetsNoToken(t *testing.T) {
	bin := t.TempDir()
	argv := filepath.Join(bin, "argv")
	// A stand-in xdg-open that records its command line.
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argv + ".tmp && mv " + argv + ".tmp " + argv + "\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	c := exec.Command(os.Args[0], "--data-dir", data, "--addr", "127.0.0.1:0", "--log-level", "warn")
	c.Env = append(os.Environ(), "GEOJOBS_CMD_CHILD=1", "PATH="+bin+":"+os.Getenv("PATH"))
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Signal(syscall.SIGINT); c.Wait() })

	var opened []byte // written by the opener, another process, at once (renamed into place)
	waitfor.Poll(t, "the browser opener to run", func() bool {
		var err error
		opened, err = os.ReadFile(argv)
		return err == nil
	})
	creds, err := server.ReadCredentials(data)
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(string(opened))
	if strings.Contains(link, creds.Token) || strings.Contains(link, server.TokenParam+"=") || !strings.Contains(link, server.LaunchParam+"=") {
		t.Fatalf("the opener's command line is %q", link)
	}
	nf := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := nf.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 || resp.Cookies()[0].Value == creds.Token {
		t.Fatalf("the launch code: %d %v", resp.StatusCode, resp.Cookies())
	}
	if resp, err = nf.Get(link); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the launch code worked twice: %d", resp.StatusCode)
	}
}
