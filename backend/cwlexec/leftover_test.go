//go:build unix

package cwlexec

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/geojobs/geojobs/internal/waitfor"
)

// TestMain doubles as a geojobs that runs a package and gets killed: with
// CWLEXEC_CHILD_DIR set, the test binary runs sleeper (its tool writes its child's
// process id to CWLEXEC_CHILD_PID) in that working folder until it is killed.
func TestMain(m *testing.M) {
	if dir := os.Getenv("CWLEXEC_CHILD_DIR"); dir != "" {
		r := Runner{Containers: NoContainer}
		_, err := r.Run(context.Background(), Job{Dir: dir, Package: []byte(sleeper),
			Order: map[string]any{"pidfile": os.Getenv("CWLEXEC_CHILD_PID")}, Choice: Choice{Flag: "--no-container", Reason: "test"}})
		if err != nil {
			os.Stderr.WriteString(err.Error())
		}
		os.Exit(3)
	}
	os.Exit(m.Run())
}

const sleeper = `cwlVersion: v1.2
class: CommandLineTool
id: sleeper
baseCommand: [sh, -c, 'sleep 600 & echo $! > "$0.tmp" && mv "$0.tmp" "$0"; wait']
inputs:
  pidfile: {type: string, inputBinding: {position: 1}}
outputs: {}
`

// waitFile waits until another process has written its process id to path.
func waitFile(t *testing.T, path string) int {
	t.Helper()
	pid := 0
	waitfor.Poll(t, path+" to be written", func() bool {
		if b, err := os.ReadFile(path); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return pid != 0
	})
	return pid
}

// A run whose geojobs was killed goes on (cwltool has a process group of its own);
// StopLeftover, called by the next geojobs, stops cwltool and the tools it started,
// and leaves alone a process that is not that run's cwltool.
func TestStopLeftover(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	pidfile := filepath.Join(t.TempDir(), "tool.pid")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), "CWLEXEC_CHILD_DIR="+dir, "CWLEXEC_CHILD_PID="+pidfile)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	tool := waitFile(t, pidfile)
	cwltool := waitFile(t, filepath.Join(dir, pidFile))
	t.Cleanup(func() { syscall.Kill(-cwltool, syscall.SIGKILL) }) // should the test fail
	// geojobs dies; cwltool does not.
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if syscall.Kill(tool, 0) != nil || syscall.Kill(cwltool, 0) != nil {
		t.Fatal("the run ended with its geojobs: nothing to test")
	}

	// Another process under the recorded id is not touched.
	other := exec.Command("sleep", "600")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer other.Process.Kill()
	elsewhere := t.TempDir()
	os.WriteFile(filepath.Join(elsewhere, pidFile), []byte(strconv.Itoa(other.Process.Pid)), 0o644)
	if StopLeftover(elsewhere, time.Second) || syscall.Kill(other.Process.Pid, 0) != nil {
		t.Error("a process that is not the run's cwltool was stopped")
	}

	if !StopLeftover(dir, 5*time.Second) {
		t.Fatal("the leftover run was not found")
	}
	// Other processes: nothing signals their end to this one but polling.
	waitfor.Poll(t, "the leftover run to end", func() bool {
		return syscall.Kill(tool, 0) != nil && syscall.Kill(cwltool, 0) != nil
	})
	if StopLeftover(dir, time.Second) {
		t.Error("found again")
	}
}
