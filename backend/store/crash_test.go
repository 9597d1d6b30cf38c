package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/geojobs/geojobs/backend/ogcapi"
)

const crashChildEnv = "GEOJOBS_STORE_CRASH_CHILD"

// TestMain runs the child process of TestKillDuringWrites when the test binary is
// started as one (crashChildEnv names the database), and the tests otherwise: no test
// that passes by doing nothing when run directly (review §3.1).
func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
	}
	os.Exit(m.Run())
}

// crashChild writes jobs and status changes as fast as it can and prints each job's
// id once CreateJob returned, until it is killed.
func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(2)
	}
	ctx := context.Background()
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		j, err := s.CreateJob(ctx, NewJob{EndpointID: LocalEndpoint, ProcessID: "countdown",
			Request: []byte(fmt.Sprintf(`{"inputs":{"n":%d}}`, i))})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(2)
		}
		fmt.Fprintln(w, j.ID)
		w.Flush()
		// Status traffic between submissions, as a monitor would write it.
		s.RecordStatus(ctx, j.ID, ogcapi.StatusInfo{Status: ogcapi.StatusRunning, Progress: intp(i % 100)}, time.Now())
	}
}

func TestKillDuringWrites(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "geojobs.db")
	committed := map[string]bool{}
	for round := 0; round < 3; round++ {
		cmd := exec.Command(exe, "-test.run=^$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		// Kill at a different point each round, in the middle of the write loop.
		target := 40 + round*37
		for sc.Scan() {
			line := sc.Text()
			if len(line) > 3 && line[:3] == "ERR" {
				t.Fatalf("child: %s", line)
			}
			committed[line] = true
			if n++; n == target {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		// Read what was reported before the kill landed, then reap the child.
		for sc.Scan() {
			committed[sc.Text()] = true
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child was not killed: %v", round, err)
		}

		s, err := Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		ctx := context.Background()
		if err := s.IntegrityCheck(ctx); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var fkProblems int
		s.r.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&fkProblems)
		if fkProblems != 0 {
			t.Fatalf("round %d: %d foreign key problems", round, fkProblems)
		}
		for id := range committed {
			j, err := s.Job(ctx, id)
			if err != nil {
				t.Fatalf("round %d: job %s reported committed is gone: %v", round, id, err)
			}
			evs, err := s.Events(ctx, id)
			if err != nil || len(evs) == 0 || evs[0].Status != StatusSubmitting {
				t.Fatalf("round %d: job %s (%s) lost its first event: %+v %v", round, id, j.Status, evs, err)
			}
		}
		s.Close()
	}
	if len(committed) < 100 {
		t.Fatalf("only %d jobs committed over 3 rounds", len(committed))
	}
}
